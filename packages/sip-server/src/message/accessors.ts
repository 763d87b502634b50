import { parseCSeq } from './cseq';
import { splitHeaderValues } from './grammar';
import { getHeader } from './headers';
import { parseAnyNameAddr } from './name-addr';
import type { CSeq, Params, SipMessage, Via } from './types';
import { unquote } from './grammar';
import { parseVia } from './via';

/**
 * Typed readers for the hot headers. Each parses on demand; nothing is cached on the message.
 * The same request's To, From and Via are read several times while it is handled (transaction
 * key, checks, response, record), so each reader remembers its last input string and result:
 * a repeat costs a string comparison instead of a parse. Results are shared, so callers must not
 * change them (none does: they copy, e.g. received.ts).
 */

export function callId(msg: SipMessage): string | undefined {
  return getHeader(msg, 'Call-ID');
}

export function cseq(msg: SipMessage): CSeq | undefined {
  const v = getHeader(msg, 'CSeq');
  return v === undefined ? undefined : parseCSeq(v);
}

/** One remembered input and its tag (From and To each have one, as they alternate). */
interface TagMemo {
  input: string | undefined;
  tag: string | undefined;
}
const fromMemo: TagMemo = { input: undefined, tag: undefined };
const toMemo: TagMemo = { input: undefined, tag: undefined };

function tagOf(value: string | undefined, memo: TagMemo): string | undefined {
  if (value === undefined) return undefined;
  if (value === memo.input) return memo.tag;
  memo.tag = parseTag(value);
  memo.input = value;
  return memo.tag;
}

function parseTag(value: string): string | undefined {
  // Any URI scheme: a From of `<mailto:...>;tag=x` still has a tag (RFC 4475 §3.3.4).
  const params = parseAnyNameAddr(value)?.params;
  return params === undefined ? undefined : tagIn(params);
}

function tagIn(params: Params): string | undefined {
  const tag = params['tag'];
  return tag === null || tag === undefined ? undefined : unquote(tag);
}

/**
 * Tells {@link fromTag} and {@link toTag} the parameters of From and To values just parsed (the
 * parser's check reads both): the next read of the same values is not a parse.
 */
export function rememberFromTo(
  from: string,
  fromParams: Params,
  to: string,
  toParams: Params,
): void {
  fromMemo.input = from;
  fromMemo.tag = tagIn(fromParams);
  toMemo.input = to;
  toMemo.tag = tagIn(toParams);
}

export function fromTag(msg: SipMessage): string | undefined {
  return tagOf(getHeader(msg, 'From'), fromMemo);
}

export function toTag(msg: SipMessage): string | undefined {
  return tagOf(getHeader(msg, 'To'), toMemo);
}

/** The last Via header value read and its first element parsed (see the note at the top). */
let lastViaInput: string | undefined;
let lastVia: Via | undefined;

/** The first element of the first Via header. */
export function topVia(msg: SipMessage): Via | undefined {
  const v = getHeader(msg, 'Via');
  return v === undefined ? undefined : topViaOf(v);
}

/**
 * The first element of a Via header value, parsed; remembered like {@link topVia} (the parser's
 * check, the received/rport stamp and the transaction key read the same value in turn).
 */
export function topViaOf(value: string): Via | undefined {
  if (value === lastViaInput) return lastVia;
  const first = splitHeaderValues(value)[0];
  lastVia = first === undefined ? undefined : parseVia(first);
  lastViaInput = value;
  return lastVia;
}

/**
 * Tells the readers that `value`'s first element parses to `via`, for a value just built from
 * `via` (formatVia then re-parsed gives the same fields): the next read of it is not a parse.
 */
export function rememberTopVia(value: string, via: Via): void {
  lastViaInput = value;
  lastVia = via;
}

/** The top Via's branch parameter. */
export function branch(msg: SipMessage): string | undefined {
  const b = topVia(msg)?.params['branch'];
  return b === null ? undefined : b;
}

/** The request method, or for a response the method in its CSeq. */
export function methodOf(msg: SipMessage): string | undefined {
  return msg.kind === 'request' ? msg.method : cseq(msg)?.method;
}
