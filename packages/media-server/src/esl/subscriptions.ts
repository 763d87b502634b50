/**
 * Per-connection event subscriptions and filters as a pure reducer (spec §4.5): `event` tokens
 * accumulate; after `CUSTOM` every further token is a subclass; `filter` is OR over headers.
 */
import type { EslEvent } from './event';
import { eventHeader } from './event';

export type EventFormat = 'plain' | 'json' | 'xml';

export interface Subscriptions {
  format: EventFormat;
  all: boolean;
  names: ReadonlySet<string>;
  subclasses: ReadonlySet<string>;
  filters: ReadonlyArray<readonly [string, string]>;
}

export const noSubscriptions: Subscriptions = {
  format: 'plain',
  all: false,
  names: new Set(),
  subclasses: new Set(),
  filters: [],
};

/** Event names we can fire; the `SWITCH_EVENT_` prefix is accepted too. */
const KNOWN = new Set([
  'CUSTOM',
  'CHANNEL_CREATE',
  'CHANNEL_DESTROY',
  'CHANNEL_STATE',
  'CHANNEL_CALLSTATE',
  'CHANNEL_ANSWER',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_OUTGOING',
  'CHANNEL_PARK',
  'CHANNEL_UNPARK',
  'CHANNEL_DATA',
  'API',
  'BACKGROUND_JOB',
  'DTMF',
  'DETECTED_TONE',
  'PLAYBACK_START',
  'PLAYBACK_STOP',
  'RECORD_START',
  'RECORD_STOP',
  'HEARTBEAT',
  'RE_SCHEDULE',
  'SHUTDOWN',
  'STARTUP',
  'CHANNEL_HOLD',
  'CHANNEL_UNHOLD',
  'MEDIA_BUG_START',
  'MEDIA_BUG_STOP',
  'ALL',
]);

export type SubscribeResult =
  { ok: true; state: Subscriptions } | { ok: false; state: Subscriptions };

/** Applies `event <format> <tokens…>`. `ok` is false when no keyword was valid (-ERR). */
export function subscribe(s: Subscriptions, tokens: string[]): SubscribeResult {
  const [first, ...rest] = tokens;
  const format: EventFormat =
    first === 'json' || first === 'xml' || first === 'plain' ? first : s.format;
  const words = first === 'json' || first === 'xml' || first === 'plain' ? rest : tokens;
  const names = new Set(s.names);
  const subclasses = new Set(s.subclasses);
  let all = s.all;
  let custom = false;
  let any = false;
  for (const raw of words) {
    if (custom) {
      subclasses.add(raw);
      any = true;
      continue;
    }
    const name = raw.toUpperCase().replace(/^SWITCH_EVENT_/, '');
    if (!KNOWN.has(name)) continue;
    any = true;
    if (name === 'ALL') all = true;
    else if (name === 'CUSTOM') {
      custom = true;
      names.add(name);
    } else names.add(name);
  }
  const state = { ...s, format, all, names, subclasses };
  return { ok: any, state };
}

/** Applies `filter <header> <value>`, or `filter delete <header> [<value>]`, `filter delete all`. */
export function applyFilter(
  s: Subscriptions,
  args: string[],
): { state: Subscriptions; reply: string } {
  if (args[0] === 'delete') {
    const [, header, value] = args;
    if (header === undefined) return { state: s, reply: '-ERR invalid syntax' };
    if (header === 'all') return { state: { ...s, filters: [] }, reply: '+OK filter deleted.' };
    const filters = s.filters.filter(
      ([h, v]) =>
        !(h.toLowerCase() === header.toLowerCase() && (value === undefined || v === value)),
    );
    return { state: { ...s, filters }, reply: `+OK filter deleted. [${header}]=[${value ?? ''}]` };
  }
  const [header, ...valueParts] = args;
  const value = valueParts.join(' ');
  if (header === undefined || valueParts.length === 0)
    return { state: s, reply: '-ERR invalid syntax' };
  return {
    state: { ...s, filters: [...s.filters, [header, value]] },
    reply: `+OK filter added. [${header}]=[${value}]`,
  };
}

/** Does this connection want the event? */
export function wants(s: Subscriptions, event: EslEvent): boolean {
  const subscribed =
    s.all ||
    (event.name === 'CUSTOM'
      ? s.names.has('CUSTOM') && event.subclass !== undefined && s.subclasses.has(event.subclass)
      : s.names.has(event.name));
  if (!subscribed) return false;
  if (s.filters.length === 0) return true;
  return s.filters.some(([h, v]) => {
    const actual = eventHeader(event, h);
    if (actual === undefined) return false;
    if (v.length > 2 && v.startsWith('/') && v.endsWith('/')) {
      try {
        return new RegExp(v.slice(1, -1)).test(actual);
      } catch {
        return false;
      }
    }
    return actual.toLowerCase() === v.toLowerCase();
  });
}
