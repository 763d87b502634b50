import { parseCSeq } from './cseq';
import { splitHeaderValues } from './grammar';
import { getHeader } from './headers';
import { parseAnyNameAddr } from './name-addr';
import type { CSeq, SipMessage, Via } from './types';
import { unquote } from './grammar';
import { parseVia } from './via';

/** Typed readers for the hot headers. Each parses on demand; nothing is cached on the message. */

export function callId(msg: SipMessage): string | undefined {
  return getHeader(msg, 'Call-ID');
}

export function cseq(msg: SipMessage): CSeq | undefined {
  const v = getHeader(msg, 'CSeq');
  return v === undefined ? undefined : parseCSeq(v);
}

function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // Any URI scheme: a From of `<mailto:...>;tag=x` still has a tag (RFC 4475 §3.3.4).
  const tag = parseAnyNameAddr(value)?.params['tag'];
  return tag === null || tag === undefined ? undefined : unquote(tag);
}

export function fromTag(msg: SipMessage): string | undefined {
  return tagOf(getHeader(msg, 'From'));
}

export function toTag(msg: SipMessage): string | undefined {
  return tagOf(getHeader(msg, 'To'));
}

/** The first element of the first Via header. */
export function topVia(msg: SipMessage): Via | undefined {
  const v = getHeader(msg, 'Via');
  if (v === undefined) return undefined;
  const first = splitHeaderValues(v)[0];
  return first === undefined ? undefined : parseVia(first);
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
