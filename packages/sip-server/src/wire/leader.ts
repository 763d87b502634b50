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

let cachedSecond = -1;
let cachedPrefix = '';

/** UTC time of day with microseconds, `HH:MM:SS.uuuuuu` (the `HH:MM:SS.` part built once a second). */
export function stackTime(date?: Date): string {
  const ms = date ? date.getTime() : Date.now();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond || date) {
    const d = date ?? new Date(ms);
    const p2 = (n: number): string => String(n).padStart(2, '0');
    cachedPrefix = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.`;
    cachedSecond = date ? -1 : second;
  }
  const micros = (ms - second * 1000) * 1000 + Math.floor((performance.now() % 1) * 1000);
  return `${cachedPrefix}${String(micros).padStart(6, '0')}`;
}

export function newMsgId(): string {
  return randomUUID();
}

/** Tokens may not contain `|`, CR or LF; anything odd is replaced rather than breaking framing. */
export function safeToken(s: string): string {
  return s.replace(/[|\r\n]/g, ' ');
}
