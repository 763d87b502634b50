import { makeResponse, parseMessage } from '../../src/message';
import type { SipRequest, SipResponse } from '../../src/message/types';
import { requestText } from '../transport/helpers';

export function request(opts: Parameters<typeof requestText>[0]): SipRequest {
  const r = parseMessage(Buffer.from(requestText(opts)));
  if (!r.ok || r.message.kind !== 'request')
    throw new Error(`bad fixture: ${r.ok ? 'response' : r.error.reason}`);
  return r.message;
}

export function response(req: SipRequest, status: number, toTag = 'uas-tag'): SipResponse {
  return makeResponse(req, status, undefined, status === 100 ? {} : { toTag });
}
