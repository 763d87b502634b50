/**
 * The few header grammars the PBX reads itself (RFC 3261 §20.10 Contact, §20.42 Via, §19.1 SIP
 * URI), parsed from the header text drachtio-srf hands over. Repeated headers arrive joined by
 * commas, so lists are split outside quotes and angle brackets. URIs, Via and lists go through
 * the SIP server's parser; Contact values are sliced as written so bindings keep the phone's text.
 */
import { parseUri, parseVia, splitHeaderValues } from '@pbx/sip-server';

/** One Contact value: `*`, or an address with its header parameters. */
export type ContactValue =
  | { kind: 'star' }
  | {
      kind: 'address';
      /** The URI without angle brackets (URI parameters kept). */
      uri: string;
      displayName: string;
      /** Header parameters after the address, lower-case names, values unquoted. */
      params: Map<string, string | null>;
      /** The header parameters as written, without `expires` (leading `;`, or empty). */
      otherParams: string;
    };

/** The parts of a SIP URI the registrar needs. */
export interface SipUriParts {
  scheme: 'sip' | 'sips';
  user: string;
  host: string;
  port: number | undefined;
  /** URI parameters, lower-case names. */
  params: Map<string, string | null>;
  /** URI headers (`?name=value`), values unescaped. */
  headers: Readonly<Record<string, string>>;
}

/** The sent-by of a Via header value. */
export interface ViaParts {
  /** UDP, TCP, TLS, WS, WSS (upper case). */
  transport: string;
  host: string;
  port: number | undefined;
  params: Map<string, string | null>;
}

/** Splits a header value at commas that are outside quotes and `<...>`. */
export function splitList(value: string): string[] {
  return splitHeaderValues(value)
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/** Parses `;name=value;flag` (leading `;` optional); quoted values are unquoted. */
export function parseParams(text: string): Map<string, string | null> {
  const params = new Map<string, string | null>();
  for (const part of splitParams(text)) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!name) continue;
    let value: string | null = eq < 0 ? null : part.slice(eq + 1).trim();
    if (value !== null && value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    params.set(name, value);
  }
  return params;
}

function splitParams(text: string): string[] {
  const out: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '\\') i++;
      else if (c === '"') inQuotes = false;
    } else if (c === '"') inQuotes = true;
    else if (c === ';') {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Header parameters of a contact as written, minus `expires`. */
function paramsWithoutExpires(text: string): string {
  return splitParams(text)
    .filter((p) => p.split('=')[0]!.trim().toLowerCase() !== 'expires')
    .map((p) => `;${p}`)
    .join('');
}

/** Parses one Contact value (`*`, `"name" <uri>;params`, `<uri>;params` or `uri;params`). */
export function parseContact(value: string): ContactValue | undefined {
  const v = value.trim();
  if (v === '*') return { kind: 'star' };
  let displayName = '';
  let uri: string;
  let rest: string;
  const lt = findUnquoted(v, '<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) return undefined;
    displayName = v
      .slice(0, lt)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    uri = v.slice(lt + 1, gt).trim();
    rest = v.slice(gt + 1);
  } else {
    // Without brackets, every ;parameter belongs to the header (RFC 3261 §20.10).
    const semi = v.indexOf(';');
    uri = semi < 0 ? v : v.slice(0, semi);
    rest = semi < 0 ? '' : v.slice(semi);
  }
  // Only whether it parses: the parts are not needed here (a REGISTER's every Contact).
  if (!usableSipUri(uri)) return undefined;
  return {
    kind: 'address',
    uri,
    displayName,
    params: parseParams(rest),
    otherParams: paramsWithoutExpires(rest),
  };
}

function findUnquoted(s: string, ch: string): number {
  let inQuotes = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inQuotes) {
      if (c === '\\') i++;
      else if (c === '"') inQuotes = false;
    } else if (c === '"') inQuotes = true;
    else if (c === ch) return i;
  }
  return -1;
}

/** Parses every value of a (possibly comma-joined) Contact header; undefined if any is bad. */
export function parseContacts(header: string | undefined): ContactValue[] | undefined {
  if (header === undefined || header.trim() === '') return [];
  const out: ContactValue[] = [];
  for (const part of splitList(header)) {
    const c = parseContact(part);
    if (!c) return undefined;
    out.push(c);
  }
  return out;
}

/** The SIP server's parse of `uri` when it is a usable `sip:`/`sips:` URI, else undefined. */
function usableSipUri(uri: string): ReturnType<typeof parseUri> {
  const u = parseUri(uri.trim());
  if (!u || (u.scheme !== 'sip' && u.scheme !== 'sips')) return undefined;
  if (u.port !== undefined && u.port < 1) return undefined;
  return u;
}

/**
 * A parsed SIP URI whose parameter map is built on first read: most callers want the user or
 * host of every INVITE's URIs and never look at the parameters.
 */
class ParsedSipUri implements SipUriParts {
  private paramMap: Map<string, string | null> | undefined;
  constructor(
    readonly scheme: 'sip' | 'sips',
    readonly user: string,
    readonly host: string,
    readonly port: number | undefined,
    private readonly rawParams: Readonly<Record<string, string | null>>,
    readonly headers: Readonly<Record<string, string>>,
  ) {}

  get params(): Map<string, string | null> {
    this.paramMap ??= new Map(
      Object.entries(this.rawParams).map(([k, v]) => [
        k.toLowerCase(),
        v === null ? null : unquoteParam(v),
      ]),
    );
    return this.paramMap;
  }
}

/** Parses a `sip:` or `sips:` URI far enough to know user, host, port and parameters. */
export function parseSipUri(uri: string): SipUriParts | undefined {
  const u = usableSipUri(uri);
  if (!u) return undefined;
  return new ParsedSipUri(
    u.scheme as 'sip' | 'sips',
    u.user ?? '',
    u.host.toLowerCase(),
    u.port,
    u.params,
    u.headers,
  );
}

function unquoteParam(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"')
    ? v.slice(1, -1).replace(/\\(.)/g, '$1')
    : v;
}

/** The URI inside a To/From value (`"n" <uri>;tag=x`, `<uri>` or `uri;tag=x`). */
export function uriOfNameAddr(value: string): string | undefined {
  const lt = findUnquoted(value, '<');
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    return gt < 0 ? undefined : value.slice(lt + 1, gt).trim();
  }
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim();
}

/** The user part of the URI in a To/From value, or undefined. */
export function userOfNameAddr(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const uri = uriOfNameAddr(value);
  // The user only: no parameter map built (read for every REGISTER and INVITE).
  return uri === undefined ? undefined : usableSipUri(uri)?.user || undefined;
}

/** Parses the first value of a Via header (`SIP/2.0/UDP host:port;params`). */
export function parseTopVia(header: string | undefined): ViaParts | undefined {
  if (header === undefined) return undefined;
  const first = splitList(header)[0];
  const via = first === undefined ? undefined : parseVia(first);
  if (!via) return undefined;
  return {
    transport: via.transport.toUpperCase(),
    host: via.host.toLowerCase(),
    port: via.port,
    params: new Map(
      Object.entries(via.params).map(([k, v]) => [
        k.toLowerCase(),
        v === null ? null : unquoteParam(v),
      ]),
    ),
  };
}

/** Default port of a URI scheme / transport when none is written. */
export function defaultPort(scheme: 'sip' | 'sips', protocol?: string): number {
  return scheme === 'sips' || protocol === 'tls' || protocol === 'wss' ? 5061 : 5060;
}
