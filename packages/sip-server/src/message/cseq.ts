import { isToken } from './grammar';
import type { CSeq } from './types';

const CSEQ_RE = /^[ \t]*([0-9]+)[ \t]+([^ \t]+)[ \t]*$/;

/** RFC 3261 §8.1.1.5: the sequence number must be less than 2**31. */
export const MAX_CSEQ = 0x7fffffff;

/** Parses `CSeq: <number> <method>`; undefined when malformed or the number is 2**31 or more. */
export function parseCSeq(s: string): CSeq | undefined {
  const m = CSEQ_RE.exec(s);
  if (m === null) return undefined;
  const digits = m[1] as string;
  const method = m[2] as string;
  const seq = digits.length > 12 ? Infinity : Number(digits);
  if (seq > MAX_CSEQ || !isToken(method)) return undefined;
  return { seq, method };
}

/** `<seq> <method>`. */
export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}
