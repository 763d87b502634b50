import { toTag } from './accessors';
import { canonicalHeaderName, sameHeaderName } from './header-names';
import { reasonPhrase } from './status';
import type { SipHeader, SipRequest, SipResponse } from './types';

/** Shared empty body: a zero-length Buffer holds no bytes anyone could change. */
const EMPTY_BODY = Buffer.alloc(0);

export interface MakeResponseOptions {
  /** Added to To when the request's To has no tag. */
  toTag?: string;
  /** Appended after the copied headers. */
  headers?: SipHeader[];
  body?: Buffer;
}

/**
 * Builds a response to `req` (RFC 3261 §8.2.6): every Via in order, From, To (with `toTag` added
 * when To has none), Call-ID and CSeq are copied; a 100 also copies Timestamp (§8.2.6.1); then
 * `opts.headers`. Content-Length is left to the serializer.
 */
export function makeResponse(
  req: SipRequest,
  status: number,
  reason?: string,
  opts: MakeResponseOptions = {},
): SipResponse {
  // One pass over the request's headers (this runs for every answer): every Via in order, and
  // the first From, To, Call-ID, CSeq and (for a 100) Timestamp.
  const headers: SipHeader[] = [];
  let from: string | undefined;
  let to: string | undefined;
  let id: string | undefined;
  let seq: string | undefined;
  let timestamp: string | undefined;
  for (const h of req.headers) {
    const n = h.name;
    if (sameHeaderName(n, 'Via')) headers.push({ name: 'Via', value: h.value });
    else if (from === undefined && sameHeaderName(n, 'From')) from = h.value;
    else if (to === undefined && sameHeaderName(n, 'To')) to = h.value;
    else if (id === undefined && sameHeaderName(n, 'Call-ID')) id = h.value;
    else if (seq === undefined && sameHeaderName(n, 'CSeq')) seq = h.value;
    else if (status === 100 && timestamp === undefined && sameHeaderName(n, 'Timestamp'))
      timestamp = h.value;
  }
  if (from !== undefined) headers.push({ name: 'From', value: from });
  if (to !== undefined) {
    const tag = opts.toTag;
    const value = tag !== undefined && toTag(req) === undefined ? `${to};tag=${tag}` : to;
    headers.push({ name: 'To', value });
  }
  if (id !== undefined) headers.push({ name: 'Call-ID', value: id });
  if (seq !== undefined) headers.push({ name: 'CSeq', value: seq });
  if (timestamp !== undefined) headers.push({ name: 'Timestamp', value: timestamp });
  for (const h of opts.headers ?? [])
    headers.push({ name: canonicalHeaderName(h.name), value: h.value });
  return {
    kind: 'response',
    status,
    reason: reason ?? reasonPhrase(status),
    headers,
    body: opts.body ?? EMPTY_BODY,
  };
}
