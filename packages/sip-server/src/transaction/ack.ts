import { cseq, getHeader, getHeaders } from '../message';
import type { SipHeader, SipRequest, SipResponse } from '../message/types';

/**
 * The ACK an INVITE client transaction sends for a non-2xx final response (RFC 3261 §17.1.1.3):
 * same Request-URI, a single Via equal to the INVITE's top Via (same branch), From, Call-ID and
 * Route as the INVITE, To from the response (with its tag), CSeq number with method ACK.
 */
export function buildAckForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  const headers: SipHeader[] = [];
  const via = getHeaders(invite, 'Via')[0];
  if (via !== undefined) headers.push({ name: 'Via', value: via });
  headers.push({ name: 'Max-Forwards', value: '70' });
  for (const route of getHeaders(invite, 'Route')) headers.push({ name: 'Route', value: route });
  const copy = (name: string, from: SipRequest | SipResponse): void => {
    const value = getHeader(from, name);
    if (value !== undefined) headers.push({ name, value });
  };
  copy('From', invite);
  copy('To', response);
  copy('Call-ID', invite);
  headers.push({ name: 'CSeq', value: `${cseq(invite)?.seq ?? 1} ACK` });
  headers.push({ name: 'Content-Length', value: '0' });
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}
