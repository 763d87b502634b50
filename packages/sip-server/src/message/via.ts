import { TOKEN_CHARS } from './grammar';
import { emptyParams, formatParams, parseParamList, skipWs } from './params';
import type { Via } from './types';
import { formatHost, readHost, readPort } from './uri';

function readToken(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) break;
    i++;
  }
  return i;
}

/**
 * Parses one Via value (RFC 3261 §20.42): `SIP/2.0/UDP host[:port];params`, whitespace allowed
 * around `/`, `:` and `;`. The transport is upper-cased; IPv6 hosts lose their brackets; parameter
 * names are lower-cased (`rport` without value maps to `null`). Only SIP/2.0 is accepted.
 * Pass one element of the list (see `getHeaders`), not a comma-separated line.
 */
export function parseVia(s: string): Via | undefined {
  let i = skipWs(s, 0);
  let end = readToken(s, i);
  if (s.slice(i, end).toUpperCase() !== 'SIP') return undefined;
  i = skipWs(s, end);
  if (s.charCodeAt(i) !== 0x2f) return undefined;
  i = skipWs(s, i + 1);
  end = readToken(s, i);
  if (s.slice(i, end) !== '2.0') return undefined;
  i = skipWs(s, end);
  if (s.charCodeAt(i) !== 0x2f) return undefined;
  i = skipWs(s, i + 1);
  end = readToken(s, i);
  if (end === i) return undefined;
  const transport = s.slice(i, end).toUpperCase();
  i = skipWs(s, end);
  if (i === end) return undefined; // LWS is required before sent-by.

  const h = readHost(s, i, s.length);
  if (!h) return undefined;
  i = skipWs(s, h.next);

  const via: Via = { transport, host: h.host, params: emptyParams() };
  if (s.charCodeAt(i) === 0x3a) {
    const p = readPort(s, skipWs(s, i + 1), s.length);
    if (!p) return undefined;
    via.port = p.port;
    i = skipWs(s, p.next);
  }
  if (i >= s.length) return via;
  if (s.charCodeAt(i) !== 0x3b) return undefined;
  return parseParamList(s, i + 1, via.params) ? via : undefined;
}

/** `SIP/2.0/UDP host:port;params` (IPv6 hosts bracketed). */
export function formatVia(v: Via): string {
  const port = v.port !== undefined ? `:${v.port}` : '';
  return `SIP/2.0/${v.transport} ${formatHost(v.host)}${port}${formatParams(v.params)}`;
}
