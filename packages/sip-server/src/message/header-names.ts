/**
 * Header names: compact forms (RFC 3261 §7.3.3 and the IANA SIP header registry), canonical
 * spelling, and which headers carry comma-separated lists.
 */

/** Compact form → full name. */
const COMPACT: Record<string, string> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

/** Names whose canonical spelling is not simply "capital after each dash", or very common. */
const WELL_KNOWN = [
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Call-Info',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-ID',
  'Content-Language',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Diversion',
  'Error-Info',
  'Event',
  'Expires',
  'From',
  'History-Info',
  'Identity',
  'Identity-Info',
  'In-Reply-To',
  'Max-Forwards',
  'MIME-Version',
  'Min-Expires',
  'Min-SE',
  'Organization',
  'P-Asserted-Identity',
  'P-Associated-URI',
  'P-Called-Party-ID',
  'P-Preferred-Identity',
  'P-Visited-Network-ID',
  'Path',
  'Priority',
  'Privacy',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'RAck',
  'Reason',
  'Record-Route',
  'Refer-Sub',
  'Refer-To',
  'Referred-By',
  'Reject-Contact',
  'Replaces',
  'Reply-To',
  'Request-Disposition',
  'Require',
  'Retry-After',
  'Route',
  'RSeq',
  'Security-Client',
  'Security-Server',
  'Security-Verify',
  'Server',
  'Service-Route',
  'Session-Expires',
  'SIP-ETag',
  'SIP-If-Match',
  'Subject',
  'Subscription-State',
  'Supported',
  'Target-Dialog',
  'Timestamp',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
];

const BY_LOWER = new Map<string, string>();
for (const name of WELL_KNOWN) BY_LOWER.set(name.toLowerCase(), name);
for (const [short, full] of Object.entries(COMPACT)) BY_LOWER.set(short, full);

/** Exact spelling seen → canonical; bounded so hostile peers cannot grow it without limit. */
const cache = new Map<string, string>();
const CACHE_LIMIT = 4096;

function computeCanonical(name: string): string {
  const lower = name.toLowerCase();
  const known = BY_LOWER.get(lower);
  if (known !== undefined) return known;
  // Extension headers starting with X- keep the spelling they were given.
  if (lower.startsWith('x-')) return name;
  let out = '';
  let upper = true;
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i] as string;
    out += upper ? ch.toUpperCase() : ch;
    upper = ch === '-';
  }
  return out;
}

/**
 * Canonical spelling of a header name: compact forms expanded (`i` → `Call-ID`), well-known names
 * spelled as in their RFCs (`CSeq`, `WWW-Authenticate`), other names capitalised after each dash
 * (`p-charging-vector` → `P-Charging-Vector`); names starting with `X-`/`x-` are kept as given.
 * Surrounding whitespace is removed.
 */
export function canonicalHeaderName(name: string): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const trimmed = name.trim();
  const canonical = computeCanonical(trimmed);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(name, canonical);
  return canonical;
}

/**
 * Whether a stored header name matches a canonical name. Stored names are normally canonical
 * already; the fallbacks cover `X-` names and hand-built messages (other case, compact form).
 */
export function sameHeaderName(stored: string, canonical: string): boolean {
  if (stored === canonical) return true;
  if (stored.length === canonical.length) return equalsIgnoreAsciiCase(stored, canonical);
  return stored.length === 1 && COMPACT[stored.toLowerCase()] === canonical;
}

/** Header names are tokens (ASCII): compares without allocating lower-cased copies. */
function equalsIgnoreAsciiCase(a: string, b: string): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x | 0x20) !== (y | 0x20) || (x | 0x20) < 0x61 || (x | 0x20) > 0x7a) return false;
  }
  return true;
}

/** Headers whose values are comma-separated lists (RFC 3261 §7.3.1) and may be split. */
const LIST_HEADERS = new Set([
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Call-Info',
  'Contact',
  'Content-Encoding',
  'Content-Language',
  'Diversion',
  'Error-Info',
  'History-Info',
  'In-Reply-To',
  'P-Asserted-Identity',
  'P-Associated-URI',
  'P-Preferred-Identity',
  'Path',
  'Proxy-Require',
  'Reason',
  'Record-Route',
  'Reject-Contact',
  'Request-Disposition',
  'Require',
  'Route',
  'Security-Client',
  'Security-Server',
  'Security-Verify',
  'Service-Route',
  'Supported',
  'Unsupported',
  'Via',
  'Warning',
]);

/** True when `canonical` names a comma-separated list header (see `getHeaders`). */
export function isListHeader(canonical: string): boolean {
  return LIST_HEADERS.has(canonical);
}
