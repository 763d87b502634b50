/**
 * Message changes of a forwarding proxy (RFC 3261 §16.4, §16.6, §16.7): our Route taken off,
 * Max-Forwards, Request-URI, Record-Route (REGISTER: Path, RFC 3327), our Via on requests and off
 * responses, and the CANCEL for a branch. Pure: every function returns a new message.
 */
import type { SipHeader, SipMessage, SipRequest, SipResponse, SipUri } from '../message/types';
import {
  canonicalHeaderName,
  cseq,
  formatUri,
  getHeader,
  getHeaders,
  parseNameAddr,
  parseUri,
  setHeader,
  splitHeaderValues,
} from '../message';
import type { ListenAddress, TransportProtocol } from '../transport/types';
import { hostPortText, isSelf } from '../core/addressing';

export function cloneMessage<T extends SipMessage>(m: T): T {
  return { ...m, headers: m.headers.map((h) => ({ ...h })) };
}

function isNamed(h: SipHeader, canonical: string): boolean {
  return canonicalHeaderName(h.name) === canonical;
}

/** Takes the first element off a list header (`Via`, `Route`), dropping the line when it empties. */
export function shiftHeaderValue(msg: SipMessage, name: string): string | undefined {
  const canonical = canonicalHeaderName(name);
  const i = msg.headers.findIndex((h) => isNamed(h, canonical));
  const line = msg.headers[i];
  if (line === undefined) return undefined;
  const [first, ...rest] = splitHeaderValues(line.value);
  if (rest.length === 0) msg.headers.splice(i, 1);
  else msg.headers[i] = { name: line.name, value: rest.join(', ') };
  return first;
}

/** The URI of the topmost Route, if it parses. */
export function topRouteUri(msg: SipMessage): SipUri | undefined {
  const first = getHeaders(msg, 'Route')[0];
  return first === undefined ? undefined : parseNameAddr(first)?.uri;
}

/** Whether a SIP URI names one of our listening addresses (never a `tel:` URI). */
export function isOurUri(uri: SipUri, listen: ListenAddress[]): boolean {
  if (uri.scheme === 'tel' || uri.host === '') return false;
  const tls = uri.scheme === 'sips' || uri.params['transport']?.toLowerCase() === 'tls';
  const port = uri.port ?? (tls ? 5061 : 5060);
  return isSelf({ protocol: tls ? 'tls' : 'udp', address: uri.host, port }, listen);
}

/** Whether the top Route names us: a record-routed dialog, or a route preloaded by a phone. */
export function topRouteIsOurs(msg: SipMessage, listen: ListenAddress[]): boolean {
  const uri = topRouteUri(msg);
  return uri !== undefined && isOurUri(uri, listen);
}

/** RFC 3261 §16.4: removes the topmost Route entries that name us; returns how many. */
export function removeOurRoutes(msg: SipMessage, listen: ListenAddress[]): number {
  let n = 0;
  while (n < 8 && topRouteIsOurs(msg, listen)) {
    shiftHeaderValue(msg, 'Route');
    n++;
  }
  return n;
}

/** Max-Forwards as a number; undefined when absent or unreadable. */
export function maxForwardsOf(req: SipRequest): number | undefined {
  const v = getHeader(req, 'Max-Forwards');
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
  return Number(v);
}

/**
 * The request as every branch starts from it (RFC 3261 §16.6 steps 1, 3, 4 apart from the
 * target): a copy without our Route entries and with Max-Forwards decremented (70 when absent).
 * The caller answers 483 first when Max-Forwards is 0.
 */
export function prepareForward(req: SipRequest, listen: ListenAddress[]): SipRequest {
  const out = cloneMessage(req);
  removeOurRoutes(out, listen);
  const mf = maxForwardsOf(out);
  setHeader(out, 'Max-Forwards', String(mf === undefined ? 70 : Math.max(0, mf - 1)));
  return out;
}

/** Where a branch goes first: the top Route when there is one (loose routing), else the target. */
export function nextHopUri(prepared: SipRequest, target: SipUri): SipUri {
  return topRouteUri(prepared) ?? target;
}

/** `<sip:ip:port;transport=x;lr>`: what we put in Record-Route or Path. */
export function ourRouteValue(address: string, port: number, protocol: TransportProtocol): string {
  return `<sip:${hostPortText(address, port)};transport=${protocol};lr>`;
}

export interface BranchRequestOptions {
  /** The branch target. */
  target: SipUri;
  /** The Request-URI named us: it becomes the target (RFC 3261 §16.5). */
  replaceUri: boolean;
  /** Our Via, with a fresh branch. */
  via: string;
  /** Our address for Record-Route (Path for REGISTER), when the dialog must come through us. */
  recordRoute?: string;
  /** Headers the client asked to add; each replaces any header of the same name. */
  headers: readonly SipHeader[];
}

/** RFC 3261 §16.6: the request for one branch. */
export function buildBranchRequest(prepared: SipRequest, o: BranchRequestOptions): SipRequest {
  const out = cloneMessage(prepared);
  if (o.replaceUri) out.uri = formatUri(o.target);
  for (const h of o.headers) setHeader(out, h.name, h.value);
  if (o.recordRoute !== undefined) {
    if (out.method === 'REGISTER') {
      // RFC 3327 §5.1: a proxy on the path of registrations adds Path and requires it.
      out.headers.splice(firstIndex(out, 'Path'), 0, { name: 'Path', value: o.recordRoute });
      const require = getHeaders(out, 'Require').map((v) => v.toLowerCase());
      if (!require.includes('path')) out.headers.push({ name: 'Require', value: 'path' });
    } else {
      out.headers.splice(firstIndex(out, 'Record-Route'), 0, {
        name: 'Record-Route',
        value: o.recordRoute,
      });
    }
  }
  out.headers.unshift({ name: 'Via', value: o.via });
  return out;
}

/** Index of the first header called `name`; past the Vias when there is none. */
function firstIndex(msg: SipMessage, name: string): number {
  const canonical = canonicalHeaderName(name);
  const i = msg.headers.findIndex((h) => isNamed(h, canonical));
  if (i >= 0) return i;
  let at = 0;
  while (at < msg.headers.length && isNamed(msg.headers[at]!, 'Via')) at++;
  return at;
}

/** RFC 3261 §16.7 step 3: a response as it goes upstream, without our Via. */
export function withoutTopVia(res: SipResponse): SipResponse {
  const out = cloneMessage(res);
  shiftHeaderValue(out, 'Via');
  return out;
}

/** RFC 3261 §9.1: CANCEL for a branch: same Request-URI, top Via, Route, From, To, Call-ID. */
export function buildCancel(branchReq: SipRequest): SipRequest {
  const pick = (name: string): SipHeader[] =>
    branchReq.headers.filter((h) => isNamed(h, name)).map((h) => ({ ...h }));
  const via = getHeaders(branchReq, 'Via')[0] ?? '';
  return {
    kind: 'request',
    method: 'CANCEL',
    uri: branchReq.uri,
    headers: [
      { name: 'Via', value: via },
      { name: 'Max-Forwards', value: '70' },
      ...pick('Route'),
      ...pick('From'),
      ...pick('To'),
      ...pick('Call-ID'),
      { name: 'CSeq', value: `${cseq(branchReq)?.seq ?? 1} CANCEL` },
    ],
    body: Buffer.alloc(0),
  };
}

/** The Contacts of a 3xx as target URIs, highest q first (RFC 3261 §16.7 step 5, §20.10). */
export function redirectTargets(res: SipResponse): string[] {
  const found: Array<{ uri: string; q: number; i: number }> = [];
  getHeaders(res, 'Contact').forEach((value, i) => {
    const na = parseNameAddr(value);
    if (!na || na.uri.scheme === 'tel') return;
    const q = Number(na.params['q'] ?? '1');
    found.push({ uri: formatUri(na.uri), q: Number.isFinite(q) ? q : 1, i });
  });
  return found.sort((a, b) => b.q - a.q || a.i - b.i).map((f) => f.uri);
}

/** A 401/407 that carries its challenge (RFC 3261 §16.7 step 5 lets it end the search). */
export function isChallenge(res: SipResponse): boolean {
  if (res.status === 401) return getHeader(res, 'WWW-Authenticate') !== undefined;
  if (res.status === 407) return getHeader(res, 'Proxy-Authenticate') !== undefined;
  return false;
}

/** Parses a target the client named (`sip:`, `sips:` or `tel:`). */
export function parseTarget(target: string): SipUri | undefined {
  return parseUri(target);
}
