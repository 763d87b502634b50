/**
 * Parses the SIP part of a client `sip` command. Unlike network input it is a template: Via,
 * Route, Record-Route, RSeq and Content-Length belong to the server and are dropped, header names
 * are canonicalised, and a line that is not a header is skipped (wire spec §4.2).
 */
import type { SipHeader } from '../message/types';
import { canonicalHeaderName, ownString } from '../message';

export type ClientMessage =
  | { kind: 'request'; method: string; uri: string; headers: SipHeader[]; body: Buffer }
  | { kind: 'response'; status: number; reason: string; headers: SipHeader[]; body: Buffer };

/** Shared by messages without a body: a zero-length Buffer holds nothing to change. */
const EMPTY_BODY = Buffer.alloc(0);

const SERVER_OWNED = new Set(['via', 'route', 'record-route', 'rseq', 'content-length']);
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/** Raw header name as the app wrote it → the name to send, or null when it is skipped. */
const nameCache = new Map<string, string | null>();
const NAME_CACHE_LIMIT = 1024;

/**
 * The header name to send for an app's raw name, or null for a name that is not a token or a
 * header the server owns. Apps use a handful of names, so the answer is cached.
 */
function clientHeaderName(rawName: string): string | null {
  const hit = nameCache.get(rawName);
  if (hit !== undefined) return hit;
  let name: string | null = null;
  if (TOKEN.test(rawName) && !SERVER_OWNED.has(canonicalHeaderName(rawName).toLowerCase())) {
    // `X-` names keep the app's spelling; everything else gets its canonical form.
    name = /^x-/i.test(rawName) ? rawName : canonicalHeaderName(rawName.replace(/_/g, '-'));
  }
  if (nameCache.size >= NAME_CACHE_LIMIT) nameCache.clear();
  // An own copy as the key: a slice would keep the whole command's text while cached.
  nameCache.set(ownString(rawName), name);
  return name;
}

export function parseClientMessage(text: string): ClientMessage | { error: string } {
  const sep = text.indexOf('\r\n\r\n');
  const head = sep === -1 ? text : text.slice(0, sep);
  const bodyText = sep === -1 ? '' : text.slice(sep + 4);
  const lines = head.split('\r\n');
  const start = lines.shift() ?? '';
  const headers: SipHeader[] = [];
  for (const line of lines) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = clientHeaderName(line.slice(0, colon).trim());
    if (name === null) continue;
    const value = line.slice(colon + 1).trim();
    if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) continue;
    headers.push({ name, value });
  }
  const body = bodyText === '' ? EMPTY_BODY : Buffer.from(bodyText, 'utf8');
  const resp = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/i.exec(start);
  if (resp)
    return { kind: 'response', status: Number(resp[1]), reason: resp[2] ?? '', headers, body };
  const req = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0\s*$/i.exec(start);
  if (!req) return { error: `invalid request-uri: ${start.slice(0, 80)}` };
  return { kind: 'request', method: req[1]!.toUpperCase(), uri: req[2]!, headers, body };
}

export function findHeader(headers: SipHeader[], name: string): SipHeader | undefined {
  const n = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === n);
}

/**
 * Removes every `name` header (any letter case) and returns the last value given. For the
 * single-valued headers the server builds a request around (From, To, Call-ID, CSeq,
 * Max-Forwards, Contact): drachtio-srf's digest client re-sends the app's headers with its own
 * `call-id` added beside an app's `Call-ID`, and the request must still carry one.
 */
export function takeHeader(headers: SipHeader[], name: string): string | undefined {
  const n = name.toLowerCase();
  let value: string | undefined;
  for (let i = headers.length - 1; i >= 0; i--) {
    if (headers[i]!.name.toLowerCase() !== n) continue;
    value ??= headers[i]!.value;
    headers.splice(i, 1);
  }
  return value;
}
