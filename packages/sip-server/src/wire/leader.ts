/** Leaders of control messages (drachtio-wire-protocol.md §1.3, Appendix A). */
import { randomUUID } from 'node:crypto';

export const CRLF = '\r\n';

export interface ParsedPayload {
  tokens: string[];
  /** The SIP part after the leader's CR LF, or '' when there is none. */
  sip: string;
}

export function splitPayload(payload: string): ParsedPayload {
  const cr = payload.indexOf('\r');
  if (cr === -1) return { tokens: payload.split('|'), sip: '' };
  return { tokens: payload.slice(0, cr).split('|'), sip: payload.slice(cr + 2) };
}

/** UTC time of day with microseconds, `HH:MM:SS.uuuuuu`. */
export function stackTime(date = new Date()): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const micros = date.getUTCMilliseconds() * 1000 + Math.floor((performance.now() % 1) * 1000);
  return `${p2(date.getUTCHours())}:${p2(date.getUTCMinutes())}:${p2(date.getUTCSeconds())}.${String(micros).padStart(6, '0')}`;
}

export function newMsgId(): string {
  return randomUUID();
}

/** Tokens may not contain `|`, CR or LF; anything odd is replaced rather than breaking framing. */
export function safeToken(s: string): string {
  return s.replace(/[|\r\n]/g, ' ');
}
