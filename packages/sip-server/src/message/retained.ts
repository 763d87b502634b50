/**
 * Copies for what outlives a message: transactions waiting out their RFC timers, dialogs, caches.
 *
 * V8 keeps a substring of 13 characters or more as a view of the string it was cut from, and a
 * concatenation as a pair of its parts. A parsed header value is a substring of the whole header
 * text of its message, so a Call-ID or tag kept for 32 s (or a whole call) keeps the message's
 * full header text with it, and a small Buffer is a view of an 8 KiB pool slab. What is kept long
 * is copied here once, so only its own bytes stay.
 */
import type { SipHeader, SipRequest } from './types';

/**
 * `s` as a string of its own: not a view of a larger string, not a concatenation of parts. The
 * concatenation is flattened into a new string by the slice, which is then cut from that copy.
 */
export function ownString(s: string): string {
  return s.length === 0 ? '' : (' ' + s).slice(1);
}

/** Headers kept by {@link requestSkeleton}, by lower-case name: those a dialog is made of. */
const SKELETON_HEADERS = new Map(
  ['From', 'To', 'Call-ID', 'CSeq', 'Contact'].map((n) => [n.toLowerCase(), n]),
);

const EMPTY = Buffer.alloc(0);

/**
 * What is kept of a request of ours once its final response came: method, Request-URI and the
 * headers a dialog is made of (From, To, Call-ID, CSeq, Contact), each an own copy; no Via, no
 * body. Enough to set up (and tear down) a dialog for a late forked 2xx.
 */
export function requestSkeleton(req: SipRequest): SipRequest {
  const headers: SipHeader[] = [];
  for (const h of req.headers) {
    const name = SKELETON_HEADERS.get(h.name.toLowerCase());
    if (name !== undefined) headers.push({ name, value: ownString(h.value) });
  }
  return {
    kind: 'request',
    method: ownString(req.method),
    uri: ownString(req.uri),
    headers,
    body: EMPTY,
  };
}

/** Bytes kept for a long time, as latin1 text (one character per byte, an exact round trip). */
export function bytesAsText(bytes: Buffer): string {
  return bytes.toString('latin1');
}

/** Bytes back from {@link bytesAsText}. */
export function textAsBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
