/**
 * The voice-mail retrieval menu: a station dialled the access code. A pure reducer
 * `nextMenu(state, event) → [state, effects]`; the runner (voicemail/retrieval.ts) plays what the
 * effects say, checks the PIN, writes the store and feeds digits (RFC 4733 or SIP INFO alike),
 * the end of a playback and the inactivity timer back in as events.
 *
 * Flow: PIN + `#` (three wrong PINs hang up) → the counts → each message, new ones first then
 * old, oldest first: its header (new/old, the caller's number, the date and time) and the
 * message, then the message menu: `1` replay, `2` save (heard) and next, `3` delete and next,
 * `4` skip (stays as it is) and next, `9` record the greeting. A message played to its end counts
 * as heard. After the last: `1` from the start, `9` record the greeting, `#` goodbye.
 */

/** A message as the menu sees it. */
export interface MenuMessage {
  readonly id: number;
  readonly heard: boolean;
  readonly callerTel: string;
  readonly receivedAt: number;
}

/** One thing to say; the runner maps each to prompt files. */
export type Say =
  | { readonly prompt: PromptName }
  /** Digits one by one (the caller's number). */
  | { readonly digits: string }
  /** A date and time (epoch ms), as month, day, hour, minute. */
  | { readonly time: number }
  /** A count (0-99). */
  | { readonly count: number }
  /** A stored message's audio. */
  | { readonly message: number };

export const PROMPT_NAMES = [
  'greeting',
  'beep',
  'enter-pin',
  'bad-pin',
  'goodbye',
  'new-messages',
  'old-messages',
  'no-messages',
  'message-new',
  'message-old',
  'from',
  'received',
  'message-menu',
  'end-menu',
  'saved',
  'deleted',
  'record-greeting',
  'greeting-saved',
  'mailbox-full',
  'no-pin',
] as const;
export type PromptName = (typeof PROMPT_NAMES)[number];

export type MenuPhase =
  | { readonly kind: 'pin'; readonly attempts: number; readonly digits: string }
  | { readonly kind: 'message'; readonly index: number }
  | { readonly kind: 'end' }
  | { readonly kind: 'greeting' }
  | { readonly kind: 'checking'; readonly attempts: number }
  | { readonly kind: 'done' };

export interface MenuState {
  readonly phase: MenuPhase;
  readonly messages: readonly MenuMessage[];
}

export type MenuEvent =
  | { readonly type: 'start'; readonly messages: readonly MenuMessage[] }
  | { readonly type: 'digit'; readonly digit: string }
  | { readonly type: 'pinResult'; readonly ok: boolean }
  /** The message's audio was played to its end (not cut by a digit). */
  | { readonly type: 'messagePlayed'; readonly id: number }
  | { readonly type: 'greetingRecorded'; readonly ok: boolean }
  | { readonly type: 'timeout' };

export type MenuEffect =
  | { readonly type: 'play'; readonly items: readonly Say[] }
  | { readonly type: 'checkPin'; readonly pin: string }
  | { readonly type: 'markHeard'; readonly id: number }
  | { readonly type: 'delete'; readonly id: number }
  | { readonly type: 'recordGreeting' }
  | { readonly type: 'hangup'; readonly reason: string };

/** Wrong PINs before the call is ended. */
export const MAX_PIN_ATTEMPTS = 3;
/** Longest PIN (digits beyond it submit it, as `#` does). */
export const MAX_PIN_DIGITS = 10;

type Result = [MenuState, MenuEffect[]];

export function newMenu(): MenuState {
  return { phase: { kind: 'pin', attempts: 0, digits: '' }, messages: [] };
}

/** New messages first, then old, each oldest first. */
export function inMenuOrder(messages: readonly MenuMessage[]): MenuMessage[] {
  return [...messages].sort(
    (a, b) => Number(a.heard) - Number(b.heard) || a.receivedAt - b.receivedAt || a.id - b.id,
  );
}

function header(m: MenuMessage): Say[] {
  return [
    { prompt: m.heard ? 'message-old' : 'message-new' },
    { prompt: 'from' },
    { digits: m.callerTel.replace(/[^0-9]/g, '') },
    { prompt: 'received' },
    { time: m.receivedAt },
    { message: m.id },
    { prompt: 'message-menu' },
  ];
}

/** Says message `index` of `s`, or the end menu when there is none. */
function at(s: MenuState, index: number, before: Say[] = []): Result {
  const m = s.messages[index];
  if (!m) return [{ ...s, phase: { kind: 'end' } }, [play([...before, { prompt: 'end-menu' }])]];
  return [{ ...s, phase: { kind: 'message', index } }, [play([...before, ...header(m)])]];
}

function play(items: Say[]): MenuEffect {
  return { type: 'play', items };
}

function counts(messages: readonly MenuMessage[]): Say[] {
  const fresh = messages.filter((m) => !m.heard).length;
  const old = messages.length - fresh;
  if (messages.length === 0) return [{ prompt: 'no-messages' }];
  return [{ count: fresh }, { prompt: 'new-messages' }, { count: old }, { prompt: 'old-messages' }];
}

function goodbye(s: MenuState, reason: string): Result {
  return [
    { ...s, phase: { kind: 'done' } },
    [play([{ prompt: 'goodbye' }]), { type: 'hangup', reason }],
  ];
}

export function nextMenu(s: MenuState, e: MenuEvent): Result {
  const p = s.phase;
  if (p.kind === 'done') return [s, []];
  if (e.type === 'timeout') return goodbye(s, 'no input');
  switch (e.type) {
    case 'start':
      return [
        { phase: { kind: 'pin', attempts: 0, digits: '' }, messages: inMenuOrder(e.messages) },
        [play([{ prompt: 'enter-pin' }])],
      ];
    case 'pinResult': {
      if (p.kind !== 'checking') return [s, []];
      if (e.ok) return at(s, 0, counts(s.messages));
      const attempts = p.attempts + 1;
      if (attempts >= MAX_PIN_ATTEMPTS)
        return [
          { ...s, phase: { kind: 'done' } },
          [
            play([{ prompt: 'bad-pin' }, { prompt: 'goodbye' }]),
            { type: 'hangup', reason: 'wrong PIN' },
          ],
        ];
      return [
        { ...s, phase: { kind: 'pin', attempts, digits: '' } },
        [play([{ prompt: 'bad-pin' }, { prompt: 'enter-pin' }])],
      ];
    }
    case 'messagePlayed': {
      if (p.kind !== 'message') return [s, []];
      const m = s.messages[p.index];
      if (!m || m.id !== e.id || m.heard) return [s, []];
      return [withMessage(s, p.index, { ...m, heard: true }), [{ type: 'markHeard', id: m.id }]];
    }
    case 'greetingRecorded':
      if (p.kind !== 'greeting') return [s, []];
      return [
        { ...s, phase: { kind: 'end' } },
        [play([{ prompt: e.ok ? 'greeting-saved' : 'no-messages' }, { prompt: 'end-menu' }])],
      ];
    case 'digit':
      return onDigit(s, e.digit);
  }
}

function withMessage(s: MenuState, index: number, m: MenuMessage): MenuState {
  const messages = [...s.messages];
  messages[index] = m;
  return { ...s, messages };
}

function onDigit(s: MenuState, digit: string): Result {
  const p = s.phase;
  if (!/^[0-9*#]$/.test(digit)) return [s, []];
  switch (p.kind) {
    case 'pin': {
      if (digit === '*') return [{ ...s, phase: { ...p, digits: '' } }, []];
      const digits = digit === '#' ? p.digits : p.digits + digit;
      if (digit !== '#' && digits.length < MAX_PIN_DIGITS)
        return [{ ...s, phase: { ...p, digits } }, []];
      return [
        { ...s, phase: { kind: 'checking', attempts: p.attempts } },
        [{ type: 'checkPin', pin: digits }],
      ];
    }
    case 'message': {
      const m = s.messages[p.index];
      if (!m) return at(s, p.index);
      switch (digit) {
        case '1':
          return [s, [play([{ message: m.id }, { prompt: 'message-menu' }])]];
        case '2': {
          const effects: MenuEffect[] = m.heard ? [] : [{ type: 'markHeard', id: m.id }];
          const next = withMessage(s, p.index, { ...m, heard: true });
          const [after, more] = at(next, p.index + 1, [{ prompt: 'saved' }]);
          return [after, [...effects, ...more]];
        }
        case '3': {
          const messages = s.messages.filter((x) => x.id !== m.id);
          const [after, more] = at({ ...s, messages }, p.index, [{ prompt: 'deleted' }]);
          return [after, [{ type: 'delete', id: m.id }, ...more]];
        }
        case '4':
        case '#':
          return at(s, p.index + 1);
        case '9':
          return [{ ...s, phase: { kind: 'greeting' } }, [{ type: 'recordGreeting' }]];
        default:
          return [s, [play([{ prompt: 'message-menu' }])]];
      }
    }
    case 'end':
      switch (digit) {
        case '1':
          return at({ ...s, messages: inMenuOrder(s.messages) }, 0, counts(s.messages));
        case '9':
          return [{ ...s, phase: { kind: 'greeting' } }, [{ type: 'recordGreeting' }]];
        case '#':
          return goodbye(s, 'caller finished');
        default:
          return [s, [play([{ prompt: 'end-menu' }])]];
      }
    case 'greeting':
    case 'checking':
    case 'done':
      // Digits while the PIN is checked or the greeting records belong to those steps.
      return [s, []];
  }
}
