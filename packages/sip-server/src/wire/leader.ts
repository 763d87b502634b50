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
let lastMs = -1;
let lastTime = '';

/**
 * UTC time of day with microseconds, `HH:MM:SS.uuuuuu` (the `HH:MM:SS.` part built once a second;
 * messages stamped within the same millisecond share one string, as under load most are).
 */
export function stackTime(date?: Date): string {
  const ms = date ? date.getTime() : Date.now();
  if (!date && ms === lastMs) return lastTime;
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond || date) {
    const d = date ?? new Date(ms);
    const p2 = (n: number): string => String(n).padStart(2, '0');
    cachedPrefix = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.`;
    cachedSecond = date ? -1 : second;
  }
  const micros = (ms - second * 1000) * 1000 + Math.floor((performance.now() % 1) * 1000);
  const text = `${cachedPrefix}${String(micros).padStart(6, '0')}`;
  if (!date) {
    lastMs = ms;
    lastTime = text;
  } else lastMs = -1;
  return text;
}

/** Random part of the ids made by {@link uniqueId}, drawn at start and after 2^48 ids. */
let idPrefix = '';
let idCounter = 0;
const ID_COUNTER_LIMIT = 2 ** 48;

/**
 * A fresh id in UUID v4 text form, as drachtio uses for msgIds and txnIds (wire spec §1.3): a
 * random 80-bit prefix drawn once, then a 48-bit counter as the last group. Unique within the
 * process and, by the prefix, across restarts; it costs a counter and a hex format rather than a
 * crypto UUID per message. These ids name messages on the local control link only, so they need
 * to be unique, not unpredictable.
 */
export function uniqueId(): string {
  if (idPrefix === '' || idCounter >= ID_COUNTER_LIMIT) {
    idPrefix = randomUUID().slice(0, 24);
    idCounter = 0;
  }
  const n = idCounter++;
  return idPrefix + n.toString(16).padStart(12, '0');
}

export function newMsgId(): string {
  return uniqueId();
}

/** Tokens may not contain `|`, CR or LF; anything odd is replaced rather than breaking framing. */
export function safeToken(s: string): string {
  // Tokens are almost always clean: a scan without allocation, the replace only when needed.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x7c || c === 0x0d || c === 0x0a) return s.replace(/[|\r\n]/g, ' ');
  }
  return s;
}
