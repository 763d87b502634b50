import { quote, skipQuoted, trimLws, unquote } from './grammar';
import { emptyParams, formatParams, parseParamList, skipWs } from './params';
import type { NameAddr, Params } from './types';
import { formatUri, parseUri } from './uri';

/**
 * Parses a From/To/Contact/Route style value (RFC 3261 §20.10, §25.1 name-addr / addr-spec).
 *
 * - `"Display \"Name\"" <sip:u@h;uri-param>;tag=x`: the quoted display name is unescaped.
 * - `Display Name <sip:u@h>`: an unquoted display name is taken as written (trimmed). Non-token
 *   characters are tolerated there (RFC 4475 §3.1.2.15 allows a liberal reading).
 * - `sip:u@h;tag=x`: without angle brackets the parameters after the URI belong to the header,
 *   and a URI holding `?` or `,` is rejected (it would have to be enclosed in `<>`).
 * - Whitespace just inside the brackets is ignored (RFC 4475 §3.1.2.14 liberal reading).
 */
export function parseNameAddr(input: string): NameAddr | undefined {
  return parseWith(input, parseUri);
}

/** A From/To value whose URI may have any scheme: the URI is kept as text. */
export interface AnyNameAddr {
  displayName?: string;
  uri: string;
  params: Params;
}

/**
 * Like {@link parseNameAddr}, but accepts any absolute URI (RFC 3261 §25.1 allows `mailto:`,
 * `http:`, `isbn:` and the like in From, To and Contact; RFC 4475 §3.3.4). The URI is checked only
 * for its `scheme:` shape and characters, and returned as written.
 */
export function parseAnyNameAddr(input: string): AnyNameAddr | undefined {
  return parseWith(input, absoluteUri);
}

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

function absoluteUri(input: string): string | undefined {
  const s = input.trim();
  const m = SCHEME_RE.exec(s);
  if (m === null || m[0].length === s.length) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x7f) return undefined;
  }
  return s;
}

function parseWith<U>(
  input: string,
  parseU: (text: string) => U | undefined,
): { displayName?: string; uri: U; params: Params } | undefined {
  const s = trimLws(input);
  if (s.length === 0) return undefined;
  let displayName: string | undefined;
  let lt: number;
  if (s.charCodeAt(0) === 0x22) {
    const end = skipQuoted(s, 0);
    if (end < 0) return undefined;
    displayName = unquote(s.slice(0, end));
    lt = skipWs(s, end);
    if (s.charCodeAt(lt) !== 0x3c) return undefined;
  } else {
    lt = s.indexOf('<');
    if (lt < 0 || (s.indexOf(';') >= 0 && s.indexOf(';') < lt)) return parseAddrSpec(s, parseU);
    const dn = trimLws(s.slice(0, lt));
    if (dn.indexOf('"') >= 0) return undefined;
    if (dn.length > 0) displayName = dn;
  }
  const gt = s.indexOf('>', lt + 1);
  if (gt < 0) return undefined;
  const uri = parseU(s.slice(lt + 1, gt));
  if (uri === undefined) return undefined;
  const params = parseHeaderParams(s, gt + 1);
  if (params === undefined) return undefined;
  const out: { displayName?: string; uri: U; params: Params } = { uri, params };
  if (displayName !== undefined) out.displayName = displayName;
  return out;
}

function parseAddrSpec<U>(
  s: string,
  parseU: (text: string) => U | undefined,
): { uri: U; params: Params } | undefined {
  const semi = s.indexOf(';');
  const uriText = semi < 0 ? s : s.slice(0, semi).trimEnd();
  if (uriText.indexOf('?') >= 0 || uriText.indexOf(',') >= 0) return undefined;
  const uri = parseU(uriText);
  if (uri === undefined) return undefined;
  const params = semi < 0 ? emptyParams() : parseHeaderParams(s, semi);
  return params === undefined ? undefined : { uri, params };
}

/** Parameters after a URI: nothing, or `;` params up to the end. */
function parseHeaderParams(s: string, from: number): Params | undefined {
  const i = skipWs(s, from);
  const params = emptyParams();
  if (i >= s.length) return params;
  if (s.charCodeAt(i) !== 0x3b) return undefined;
  return parseParamList(s, i + 1, params) ? params : undefined;
}

/** Writes a name-addr, always with angle brackets; a display name is always quoted. */
export function formatNameAddr(n: NameAddr): string {
  const dn =
    n.displayName !== undefined && n.displayName.length > 0 ? `${quote(n.displayName)} ` : '';
  return `${dn}<${formatUri(n.uri)}>${formatParams(n.params)}`;
}
