/** The Content-Type rule for bodies the client sends (wire spec §4.2). */
import type { SipRequest, SipResponse } from '../message/types';
import { getHeader } from '../message';

/**
 * A body without Content-Type is SDP when it starts `v=0` (the header is added). Returns false
 * when the body's type stays unknown: requests are then refused, responses go out without one.
 */
export function defaultContentType(msg: SipRequest | SipResponse): boolean {
  if (msg.body.length === 0 || getHeader(msg, 'Content-Type')) return true;
  if (msg.body.toString('utf8', 0, 3) !== 'v=0') return false;
  msg.headers.push({ name: 'Content-Type', value: 'application/sdp' });
  return true;
}
