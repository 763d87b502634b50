import { toTag } from './accessors';
import { canonicalHeaderName, sameHeaderName } from './header-names';
import { reasonPhrase } from './status';
import type { SipHeader, SipRequest, SipResponse } from './types';

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
  const headers: SipHeader[] = [];
  for (const h of req.headers) {
    if (sameHeaderName(h.name, 'Via')) headers.push({ name: 'Via', value: h.value });
  }
  const copy = (name: string, value?: (v: string) => string): void => {
    const h = req.headers.find((x) => sameHeaderName(x.name, name));
    if (h !== undefined) headers.push({ name, value: value ? value(h.value) : h.value });
  };
  copy('From');
  const tag = opts.toTag;
  copy('To', (v) => (tag !== undefined && toTag(req) === undefined ? `${v};tag=${tag}` : v));
  copy('Call-ID');
  copy('CSeq');
  if (status === 100) copy('Timestamp');
  for (const h of opts.headers ?? [])
    headers.push({ name: canonicalHeaderName(h.name), value: h.value });
  return {
    kind: 'response',
    status,
    reason: reason ?? reasonPhrase(status),
    headers,
    body: opts.body ?? Buffer.alloc(0),
  };
}
