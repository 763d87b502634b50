/**
 * HTTP digest authentication for SIP (RFC 2617 as used by RFC 3261 §22, MD5 with qop=auth):
 * parsing the Authorization header, computing the expected response from the stored HA1, and
 * building the WWW-Authenticate challenge. Pure functions.
 */
import { hash, timingSafeEqual } from 'node:crypto';

/** The parameters of an `Authorization: Digest ...` header. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  cnonce?: string;
  opaque?: string;
  qop?: string;
  /** Nonce count as sent (8 hex digits). */
  nc?: string;
}

/** What a challenge says. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string;
  /** The previous nonce was good but too old: the phone may answer without asking its user. */
  stale?: boolean;
}

const REQUIRED = ['username', 'realm', 'nonce', 'uri', 'response'] as const;

/**
 * Parses the value of an Authorization header. Returns undefined when it is not a Digest header,
 * is malformed, or misses a required parameter.
 */
export function parseDigestCredentials(header: string): DigestCredentials | undefined {
  const m = /^\s*Digest\s+/i.exec(header);
  if (!m) return undefined;
  const params = new Map<string, string>();
  let i = m[0].length;
  const s = header;
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
    if (i >= s.length) break;
    const eq = s.indexOf('=', i);
    if (eq < 0) return undefined;
    const name = s.slice(i, eq).trim().toLowerCase();
    if (!/^[a-z0-9_-]+$/.test(name)) return undefined;
    i = eq + 1;
    while (s[i] === ' ' || s[i] === '\t') i++;
    let value = '';
    if (s[i] === '"') {
      // One slice per value (most have no escapes), not a string grown a character at a time.
      const start = ++i;
      let escaped = false;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) {
          escaped = true;
          i += 2;
        } else i++;
      }
      if (i >= s.length) return undefined;
      value = s.slice(start, i);
      if (escaped) value = value.replace(/\\([\s\S])/g, '$1');
      i++;
    } else {
      const end = s.indexOf(',', i);
      value = s.slice(i, end < 0 ? s.length : end).trim();
      i = end < 0 ? s.length : end;
    }
    if (params.has(name)) return undefined;
    params.set(name, value);
  }
  // An empty username is well-formed (and matches no station); the others must have a value.
  for (const key of REQUIRED)
    if (key === 'username' ? !params.has(key) : !params.get(key)) return undefined;
  const opt = (k: string): string | undefined => params.get(k);
  return {
    username: params.get('username')!,
    realm: params.get('realm')!,
    nonce: params.get('nonce')!,
    uri: params.get('uri')!,
    response: params.get('response')!,
    algorithm: opt('algorithm'),
    cnonce: opt('cnonce'),
    opaque: opt('opaque'),
    qop: opt('qop'),
    nc: opt('nc'),
  };
}

/** One-shot hash: a third of the cost of a Hash object per call (two per digest check). */
const md5 = (s: string): string => hash('md5', s, 'hex');

/**
 * The response a client knowing the password would send: MD5(HA1:nonce[:nc:cnonce:qop]:HA2) with
 * HA2 = MD5(method:uri).
 */
export function expectedResponse(ha1: string, method: string, c: DigestCredentials): string {
  const ha2 = md5(`${method}:${c.uri}`);
  return c.qop === undefined
    ? md5(`${ha1}:${c.nonce}:${ha2}`)
    : md5(`${ha1}:${c.nonce}:${c.nc ?? ''}:${c.cnonce ?? ''}:${c.qop}:${ha2}`);
}

/** Problems with the form of credentials, before any password is looked at. */
export type DigestFormIssue = 'algorithm' | 'qop' | 'nonce-count';

/**
 * Checks that the credentials use what we offered: MD5 (or no algorithm), and qop `auth` with a
 * cnonce and an 8-hex-digit nonce count, or no qop at all (RFC 2069 clients).
 */
export function checkDigestForm(c: DigestCredentials): DigestFormIssue | undefined {
  if (c.algorithm !== undefined && c.algorithm.toUpperCase() !== 'MD5') return 'algorithm';
  if (c.qop === undefined) return undefined;
  if (c.qop.toLowerCase() !== 'auth' || !c.cnonce) return 'qop';
  if (c.nc === undefined || !/^[0-9a-fA-F]{8}$/.test(c.nc)) return 'nonce-count';
  return undefined;
}

/** The nonce count as a number, undefined without qop. */
export function nonceCount(c: DigestCredentials): number | undefined {
  return c.qop === undefined || c.nc === undefined ? undefined : parseInt(c.nc, 16);
}

/** Whether the response matches the stored HA1 (constant-time comparison). */
export function verifyDigest(ha1: string, method: string, c: DigestCredentials): boolean {
  const want = Buffer.from(expectedResponse(ha1, method, c), 'latin1');
  const got = Buffer.from(c.response.toLowerCase(), 'latin1');
  return want.length === got.length && timingSafeEqual(want, got);
}

const quoted = (s: string): string => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** The value of a WWW-Authenticate header offering MD5 with qop=auth. */
export function formatChallenge(c: DigestChallenge): string {
  const parts = [
    `realm=${quoted(c.realm)}`,
    `nonce=${quoted(c.nonce)}`,
    `opaque=${quoted(c.opaque)}`,
    'algorithm=MD5',
    'qop="auth"',
  ];
  if (c.stale) parts.push('stale=true');
  return `Digest ${parts.join(', ')}`;
}

/**
 * Whether the `uri` of digest credentials names the request's Request-URI (RFC 2617 §3.2.2.5,
 * RFC 7616 §3.4.6): credentials computed for another URI are a replay or a forgery. The comparison
 * ignores case (scheme and host are case-insensitive; phones copy the Request-URI verbatim) and
 * surrounding angle brackets or spaces.
 */
export function sameDigestUri(digestUri: string, requestUri: string): boolean {
  const norm = (u: string): string =>
    u
      .trim()
      .replace(/^<(.*)>$/, '$1')
      .toLowerCase();
  return norm(digestUri) === norm(requestUri);
}
