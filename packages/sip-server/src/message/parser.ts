import { rememberFromTo, topViaOf } from './accessors';
import { parseCSeq } from './cseq';
import { ownString } from './retained';
import { findHeaderEnd, skipLineBreaks } from './framing';
import { isToken, splitHeaderValues, trimLws } from './grammar';
import { canonicalHeaderName } from './header-names';
import { parseAnyNameAddr } from './name-addr';
import type { ParseResult, SipHeader, SipMessage, SipParseErrorInfo, SipRequest } from './types';
import { parseUri } from './uri';
import { parseVia } from './via';

export interface ParseOptions {
  /** Larger messages are refused with status 413. Default 65535. */
  maxBytes?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 65535;

type StartLine =
  | { kind: 'request'; method: string; uri: string; badVersion: boolean }
  | { kind: 'response'; status: number; reason: string }
  | { kind: 'error'; reason: string; status: 400 | 505 };

const VERSION_RE = /^SIP\/([0-9]+)\.([0-9]+)$/i;

function checkVersion(v: string): 'ok' | 'other' | 'bad' {
  if (v === 'SIP/2.0') return 'ok';
  const m = VERSION_RE.exec(v);
  if (m === null) return 'bad';
  return Number(m[1]) === 2 && Number(m[2]) === 0 ? 'ok' : 'other';
}

function parseStartLine(line: string): StartLine {
  if (line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/') return parseStatusLine(line);
  let method: string;
  let uri: string;
  let version: string;
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 > 0 && sp2 > sp1 + 1 && sp2 < line.length - 1 && line.indexOf(' ', sp2 + 1) < 0) {
    method = line.slice(0, sp1);
    uri = line.slice(sp1 + 1, sp2);
    version = line.slice(sp2 + 1);
  } else {
    // RFC 4475 §3.1.2.9/§3.1.2.10: extra SP between or after the elements may be ignored.
    const parts = line.split(' ').filter((p) => p.length > 0);
    if (parts.length !== 3) return { kind: 'error', reason: 'Bad Request Line', status: 400 };
    [method, uri, version] = parts as [string, string, string];
  }
  if (!isToken(method)) return { kind: 'error', reason: 'Bad Request Line', status: 400 };
  const v = checkVersion(version);
  if (v === 'bad') return { kind: 'error', reason: 'Bad Request Line', status: 400 };
  return { kind: 'request', method, uri, badVersion: v === 'other' };
}

function parseStatusLine(line: string): StartLine {
  const sp = line.indexOf(' ');
  if (sp < 0) return { kind: 'error', reason: 'Bad Status Line', status: 400 };
  const v = checkVersion(line.slice(0, sp));
  if (v === 'bad') return { kind: 'error', reason: 'Bad Status Line', status: 400 };
  if (v === 'other') return { kind: 'error', reason: 'Version Not Supported', status: 505 };
  const code = line.slice(sp + 1, sp + 4);
  const after = line.charCodeAt(sp + 4);
  if (!/^[1-6][0-9][0-9]$/.test(code) || !(Number.isNaN(after) || after === 0x20)) {
    return { kind: 'error', reason: 'Bad Status Line', status: 400 };
  }
  return { kind: 'response', status: Number(code), reason: trimLws(line.slice(sp + 5)) };
}

/** Raw header name → canonical name, for names already checked to be tokens. */
const nameCache = new Map<string, string>();

function headerName(raw: string): string | undefined {
  const hit = nameCache.get(raw);
  if (hit !== undefined) return hit;
  const trimmed = raw.trimEnd();
  if (!isToken(trimmed)) return undefined;
  const name = canonicalHeaderName(trimmed);
  if (nameCache.size >= 4096) nameCache.clear();
  nameCache.set(raw, name);
  return name;
}

/**
 * The last raw name seen per (length, first character) and its canonical form. Messages repeat
 * the same dozen names in the same spelling, so most lines are recognised by comparing the text
 * in place, without cutting the name out and hashing it.
 */
const recentNames = new Map<number, { raw: string; name: string }>();

/** {@link headerName} of `head[pos, colon)`. */
function headerAt(head: string, pos: number, colon: number): string | undefined {
  const len = colon - pos;
  const slot = len * 256 + (head.charCodeAt(pos) & 0xff);
  const recent = recentNames.get(slot);
  if (recent !== undefined && head.startsWith(recent.raw, pos)) return recent.name;
  const raw = head.slice(pos, colon);
  const name = headerName(raw);
  if (name !== undefined) {
    if (recentNames.size >= 4096) recentNames.clear();
    // An own copy: a slice would keep this message's whole header text alive.
    recentNames.set(slot, { raw: ownString(raw), name });
  }
  return name;
}

/** Shared body of messages without one: a zero-length Buffer holds nothing to change. */
const EMPTY_BODY = Buffer.alloc(0);

/** Request-URI check (RFC 3261 §19.1.1 Table 1: no headers in a Request-URI). */
function isValidRequestUri(uri: string): boolean {
  const colon = uri.indexOf(':');
  if (colon <= 0 || colon === uri.length - 1) return false;
  const scheme = uri.slice(0, colon).toLowerCase();
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) return false;
  for (let i = colon + 1; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c <= 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x7f) return false;
  }
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return true;
  const u = parseUri(uri);
  if (u === undefined) return false;
  for (const _ in u.headers) return false;
  return true;
}

const DIGITS_RE = /^[0-9]{1,10}$/;

function fail(reason: string, status: 400 | 413 | 505 = 400, answerable?: SipRequest): ParseResult {
  const error: SipParseErrorInfo = { reason, status };
  if (answerable !== undefined) error.answerable = answerable;
  return { ok: false, error };
}

/** What the header walk remembers about the headers the sanity check needs. */
interface Seen {
  via?: string;
  from?: string;
  to?: string;
  callId?: string;
  cseq?: string;
  contentLength?: string;
  maxForwards?: string;
  /** First soft problem found (the message can still be answered). */
  problem?: string;
}

type SingleKey = 'from' | 'to' | 'callId' | 'cseq' | 'maxForwards';

function noteSingle(seen: Seen, key: SingleKey, name: string, value: string): void {
  if (seen[key] === undefined) seen[key] = value;
  else seen.problem ??= `Multiple ${name} Headers`;
}

function parse(data: Buffer, maxBytes: number): ParseResult {
  if (data.length > maxBytes) return oversize(data);
  const start = skipLineBreaks(data, 0);
  if (start >= data.length) return fail('Empty Message');
  const end = findHeaderEnd(data, start);
  // A datagram without the empty line: take everything as headers (lenient).
  const headerEnd = end === undefined ? data.length : end.headerEnd;
  const bodyStart = end === undefined ? data.length : end.bodyStart;
  const head = data.toString('utf8', start, headerEnd);

  let nl = head.indexOf('\n');
  let lineEnd = nl < 0 ? head.length : nl;
  const firstLine = head.slice(0, head.charCodeAt(lineEnd - 1) === 0x0d ? lineEnd - 1 : lineEnd);
  const startLine = parseStartLine(firstLine);

  const headers: SipHeader[] = [];
  const seen: Seen = {};
  let last: SipHeader | undefined;
  let pos = nl < 0 ? head.length : nl + 1;
  while (pos < head.length) {
    nl = head.indexOf('\n', pos);
    lineEnd = nl < 0 ? head.length : nl;
    const e = lineEnd > pos && head.charCodeAt(lineEnd - 1) === 0x0d ? lineEnd - 1 : lineEnd;
    const c0 = head.charCodeAt(pos);
    if (c0 === 0x20 || c0 === 0x09) {
      // RFC 3261 §7.3.1: a folded line continues the previous value; the fold becomes one SP.
      const more = trimLws(head.slice(pos, e));
      if (last === undefined) seen.problem ??= 'Bad Header Line';
      else if (more.length > 0) last.value = last.value.length > 0 ? `${last.value} ${more}` : more;
    } else if (e > pos) {
      const colon = head.indexOf(':', pos);
      const name = colon < 0 || colon >= e ? undefined : headerAt(head, pos, colon);
      if (name === undefined) {
        seen.problem ??= 'Bad Header Line';
        last = undefined;
      } else {
        last = { name, value: trimLws(head.slice(colon + 1, e)) };
        headers.push(last);
      }
    }
    pos = lineEnd + 1;
  }
  for (const h of headers) noteHeader(seen, h);

  if (startLine.kind === 'error') return fail(startLine.reason, startLine.status);
  const isRequest = startLine.kind === 'request';
  const fatal = checkMandatory(seen, isRequest ? startLine.method : undefined);
  if (fatal !== undefined) {
    if (isRequest && startLine.badVersion) {
      // RFC 4475 §3.1.2.16: the Via carries the same unknown version; the request is still
      // answered 505 (over UDP the answer goes to the packet's source, not the Via).
      const answerable =
        fatal === 'Bad Via Header' && seen.via !== undefined && viaOkApartFromVersion(seen)
          ? {
              kind: 'request' as const,
              method: startLine.method,
              uri: startLine.uri,
              headers,
              body: Buffer.alloc(0),
            }
          : undefined;
      return fail('Version Not Supported', 505, answerable);
    }
    return fail(fatal);
  }

  let problem = seen.problem;
  let body: Buffer;
  if (seen.contentLength === undefined) {
    // No Content-Length: the body is the rest of the datagram (RFC 3261 §18.3).
    body = Buffer.from(data.subarray(bodyStart));
  } else if (!DIGITS_RE.test(seen.contentLength)) {
    problem ??= 'Bad Content-Length Header';
    body = Buffer.alloc(0);
  } else {
    const len = Number(seen.contentLength);
    if (bodyStart + len > data.length) {
      problem ??= 'Content-Length Larger Than Message';
      body = Buffer.alloc(0);
    } else {
      // Extra bytes after the body are ignored (RFC 4475 §3.1.1.8).
      body = len === 0 ? EMPTY_BODY : Buffer.from(data.subarray(bodyStart, bodyStart + len));
    }
  }

  if (startLine.kind === 'response') {
    if (problem !== undefined) return fail(problem);
    const { status, reason } = startLine;
    const response: SipMessage = { kind: 'response', status, reason, headers, body };
    return { ok: true, message: response };
  }
  const { method, uri } = startLine;
  const request: SipRequest = { kind: 'request', method, uri, headers, body };
  // RFC 3261 §8.2.2: a version we do not speak is answered 505 whatever else is wrong.
  if (startLine.badVersion) return fail('Version Not Supported', 505, request);
  if (problem === undefined && !isValidRequestUri(startLine.uri)) problem = 'Bad Request-URI';
  if (problem !== undefined) return fail(problem, 400, request);
  return { ok: true, message: request };
}

function noteHeader(seen: Seen, h: SipHeader): void {
  switch (h.name) {
    case 'Via':
      seen.via ??= h.value;
      break;
    case 'From':
      noteSingle(seen, 'from', h.name, h.value);
      break;
    case 'To':
      noteSingle(seen, 'to', h.name, h.value);
      break;
    case 'Call-ID':
      noteSingle(seen, 'callId', h.name, h.value);
      break;
    case 'CSeq':
      noteSingle(seen, 'cseq', h.name, h.value);
      break;
    case 'Max-Forwards':
      noteSingle(seen, 'maxForwards', h.name, h.value);
      if (!DIGITS_RE.test(h.value)) seen.problem ??= 'Bad Max-Forwards Header';
      break;
    case 'Content-Length':
      if (seen.contentLength === undefined) seen.contentLength = h.value;
      else if (seen.contentLength !== h.value) seen.problem ??= 'Multiple Content-Length Headers';
      break;
    default:
  }
}

/**
 * The checks without which no response can be built: returns the reason, or undefined when
 * Via, From, To, Call-ID and CSeq are present and parse. For requests, a CSeq method different
 * from the request method is a soft problem (the request can still be answered).
 */
function checkMandatory(seen: Seen, method: string | undefined): string | undefined {
  if (seen.via === undefined) return 'Missing Via Header';
  // Remembered for the readers that come next (received/rport stamp, transaction key).
  if (topViaOf(seen.via) === undefined) return 'Bad Via Header';
  if (seen.from === undefined) return 'Missing From Header';
  const from = parseAnyNameAddr(seen.from);
  if (from === undefined) return 'Bad From Header';
  if (seen.to === undefined) return 'Missing To Header';
  const to = parseAnyNameAddr(seen.to);
  if (to === undefined) return 'Bad To Header';
  // The tags are read next (dialog match, transaction records): no second parse for them.
  rememberFromTo(seen.from, from.params, seen.to, to.params);
  if (seen.callId === undefined || seen.callId.length === 0) return 'Missing Call-ID Header';
  if (seen.cseq === undefined) return 'Missing CSeq Header';
  const cseq = parseCSeq(seen.cseq);
  if (cseq === undefined) return 'Bad CSeq Header';
  if (method !== undefined && cseq.method !== method) seen.problem ??= 'CSeq Method Mismatch';
  return undefined;
}

/** True when the top Via parses once its protocol version is read as 2.0, and the rest is fine. */
function viaOkApartFromVersion(seen: Seen): boolean {
  const top = splitHeaderValues(seen.via ?? '')[0];
  if (top === undefined) return false;
  const fixed = top.replace(/^\s*SIP\s*\/\s*[0-9]+\.[0-9]+\s*\//i, 'SIP/2.0/');
  if (fixed === top || parseVia(fixed) === undefined) return false;
  return checkMandatory({ ...seen, via: fixed }, undefined) === undefined;
}

/** Too large: refuse with 413, but say whom to answer when the request itself is readable. */
function oversize(data: Buffer): ParseResult {
  const inner = parse(data, Infinity);
  let answerable: SipRequest | undefined;
  if (inner.ok) answerable = inner.message.kind === 'request' ? inner.message : undefined;
  else answerable = inner.error.answerable;
  return fail('Message Too Large', 413, answerable);
}

/**
 * Parses one complete SIP message (a UDP datagram, or one message cut out by `StreamFramer`).
 * Never throws: malformed input gives `{ ok: false, error }`, with `error.answerable` set when
 * the request is understood well enough to send `error.status` back.
 */
export function parseMessage(data: Buffer, opts?: ParseOptions): ParseResult {
  try {
    return parse(data, opts?.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  } catch {
    // @NOTE defensive: the parser is written not to throw; this keeps that promise regardless.
    return fail('Malformed Message');
  }
}
