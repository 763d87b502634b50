import {
  escapeUri,
  HEADER_CHARS,
  HOST_CHARS,
  PARAM_CHARS,
  PASSWORD_CHARS,
  unescapeUri,
  USER_CHARS,
} from './grammar';
import { emptyMap, emptyParams } from './params';
import type { Params, SipUri } from './types';

/** Characters never allowed unescaped anywhere in a URI as we accept it. */
function isBadUriChar(c: number): boolean {
  return c <= 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x7f;
}

function hasBadChar(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (isBadUriChar(s.charCodeAt(i))) return true;
  return false;
}

/**
 * Parses a `sip:`, `sips:` or `tel:` URI (RFC 3261 §19.1.1, RFC 3966).
 *
 * - The scheme is lower-cased. User and password are stored with `%XX` escapes resolved
 *   (`sip:%75ser@h` has user `user`); so are parameter names/values and header names/values.
 * - `host` is a host name, IPv4 address or IPv6 address without its brackets.
 * - Parameter names are lower-cased; a parameter without value maps to `null`.
 * - A `tel:` URI keeps its number in `user` and has an empty `host`.
 *
 * Returns undefined when the text is not such a URI.
 */
export function parseUri(input: string): SipUri | undefined {
  const last = input.length - 1;
  const padded = last >= 0 && (input.charCodeAt(0) <= 0x20 || input.charCodeAt(last) <= 0x20);
  const s = padded ? input.trim() : input;
  const colon = s.indexOf(':');
  if (colon < 3 || colon > 4) return undefined;
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, s, colon + 1);
  if (scheme === 'tel') return parseTelUri(s, colon + 1);
  return undefined;
}

function parseSipUri(scheme: 'sip' | 'sips', s: string, start: number): SipUri | undefined {
  const n = s.length;
  let i = start;
  let user: string | undefined;
  let password: string | undefined;
  // The first '@' ends the userinfo: neither parameters nor headers may hold a raw '@'.
  const at = s.indexOf('@', start);
  if (at >= 0) {
    if (at === start || hasBadChar(s, start, at)) return undefined;
    const pc = s.indexOf(':', start);
    if (pc >= 0 && pc < at) {
      if (pc === start) return undefined;
      user = unescapeUri(s.slice(start, pc));
      password = unescapeUri(s.slice(pc + 1, at));
    } else {
      user = unescapeUri(s.slice(start, at));
    }
    i = at + 1;
  }

  const h = readHost(s, i, n);
  if (!h) return undefined;
  const host = h.host;
  i = h.next;

  let port: number | undefined;
  if (s.charCodeAt(i) === 0x3a) {
    const p = readPort(s, i + 1, n);
    if (!p) return undefined;
    port = p.port;
    i = p.next;
  }

  const uri: SipUri = { scheme, host, params: emptyParams(), headers: emptyHeaders() };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return parseTail(s, i, uri) ? uri : undefined;
}

function parseTelUri(s: string, start: number): SipUri | undefined {
  let end = s.indexOf(';', start);
  if (end < 0) end = s.length;
  if (end === start || hasBadChar(s, start, end)) return undefined;
  const number = unescapeUri(s.slice(start, end));
  if (/[@?,]/.test(number)) return undefined;
  const params = emptyParams();
  const uri: SipUri = { scheme: 'tel', user: number, host: '', params, headers: emptyHeaders() };
  return parseTail(s, end, uri) && Object.keys(uri.headers).length === 0 ? uri : undefined;
}

/** Parses `*(";" uri-param) ["?" headers]` from `i` to the end of `s` into `uri`. */
function parseTail(s: string, i: number, uri: SipUri): boolean {
  const n = s.length;
  if (i < n && hasBadChar(s, i, n)) return false;
  while (i < n && s.charCodeAt(i) === 0x3b) {
    let end = i + 1;
    while (end < n) {
      const c = s.charCodeAt(end);
      if (c === 0x3b || c === 0x3f) break;
      end++;
    }
    if (!addParam(uri.params, s.slice(i + 1, end))) return false;
    i = end;
  }
  if (i < n && s.charCodeAt(i) === 0x3f) {
    for (const part of s.slice(i + 1).split('&')) {
      const eq = part.indexOf('=');
      if (eq <= 0) return false;
      uri.headers[unescapeUri(part.slice(0, eq))] = unescapeUri(part.slice(eq + 1));
    }
    return true;
  }
  return i === n;
}

function addParam(params: Params, raw: string): boolean {
  const eq = raw.indexOf('=');
  const name = unescapeUri(eq < 0 ? raw : raw.slice(0, eq)).toLowerCase();
  if (name.length === 0) return false;
  let value: string | null = null;
  if (eq >= 0) {
    if (eq === raw.length - 1) return false;
    value = unescapeUri(raw.slice(eq + 1));
  }
  if (!(name in params)) params[name] = value;
  return true;
}

function emptyHeaders(): Record<string, string> {
  return emptyMap<string>();
}

/** Loose IPv6 check: hex digits, colons, dots (embedded IPv4), at least one colon. */
/** host (RFC 3261 §25.1: hostname, IPv4 or `[IPv6]`) from `i`; `host` comes without brackets. */
export function readHost(
  s: string,
  i: number,
  end: number,
): { host: string; next: number } | undefined {
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    if (close < 0 || close >= end) return undefined;
    const host = s.slice(i + 1, close);
    return isIpv6(host) ? { host, next: close + 1 } : undefined;
  }
  const start = i;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c >= 128 || HOST_CHARS[c] !== 1) break;
    i++;
  }
  return i === start ? undefined : { host: s.slice(start, i), next: i };
}

/** port: 1 to 5 digits, at most 65535. */
export function readPort(
  s: string,
  i: number,
  end: number,
): { port: number; next: number } | undefined {
  const start = i;
  let port = 0;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    port = port * 10 + (c - 0x30);
    i++;
  }
  if (i === start || i - start > 5 || port > 65535) return undefined;
  return { port, next: i };
}

export function isIpv6(h: string): boolean {
  if (h.length < 2 || h.indexOf(':') < 0) return false;
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    const hex = (c >= 0x30 && c <= 0x3a) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
    if (!hex && c !== 0x2e) return false;
  }
  return true;
}

/** Host as written in a URI or Via: IPv6 addresses get their brackets back. */
export function formatHost(host: string): string {
  return host.indexOf(':') >= 0 && host.charCodeAt(0) !== 0x5b ? `[${host}]` : host;
}

/** Writes a URI back as text, escaping what needs escaping and re-bracketing IPv6 hosts. */
export function formatUri(u: SipUri): string {
  let out = `${u.scheme}:`;
  if (u.scheme === 'tel') {
    out += escapeUri(u.user ?? '', USER_CHARS);
  } else {
    if (u.user !== undefined && u.user.length > 0) {
      out += escapeUri(u.user, USER_CHARS);
      if (u.password !== undefined) out += `:${escapeUri(u.password, PASSWORD_CHARS)}`;
      out += '@';
    }
    out += formatHost(u.host);
    if (u.port !== undefined) out += `:${u.port}`;
  }
  for (const k in u.params) {
    const v = u.params[k];
    out += `;${escapeUri(k, PARAM_CHARS)}`;
    if (v !== null && v !== undefined) out += `=${escapeUri(v, PARAM_CHARS)}`;
  }
  let sep = '?';
  for (const k in u.headers) {
    out += `${sep}${escapeUri(k, HEADER_CHARS)}=${escapeUri(u.headers[k] ?? '', HEADER_CHARS)}`;
    sep = '&';
  }
  return out;
}
