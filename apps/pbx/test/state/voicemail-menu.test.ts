import {
  MAX_PIN_ATTEMPTS,
  inMenuOrder,
  newMenu,
  nextMenu,
  type MenuEffect,
  type MenuEvent,
  type MenuMessage,
  type MenuState,
} from '../../src/state/voicemail-menu';

const M1: MenuMessage = { id: 1, heard: true, callerTel: '203', receivedAt: 1_000 };
const M2: MenuMessage = { id: 2, heard: false, callerTel: '201', receivedAt: 3_000 };
const M3: MenuMessage = { id: 3, heard: false, callerTel: '202', receivedAt: 2_000 };

/** Runs events in order; returns the last state and every effect. */
function run(events: MenuEvent[], from: MenuState = newMenu()): [MenuState, MenuEffect[]] {
  let s = from;
  const all: MenuEffect[] = [];
  for (const e of events) {
    const [next, effects] = nextMenu(s, e);
    s = next;
    all.push(...effects);
  }
  return [s, all];
}

const digits = (ds: string): MenuEvent[] => [...ds].map((digit) => ({ type: 'digit', digit }));
const start: MenuEvent = { type: 'start', messages: [M1, M2, M3] };
/** Logged in: PIN keyed and accepted. */
const loggedIn = (): MenuState =>
  run([start, ...digits('1234#'), { type: 'pinResult', ok: true }])[0];

describe('voice-mail menu reducer', () => {
  test('orders new messages first, then old, each oldest first', () => {
    expect(inMenuOrder([M1, M2, M3]).map((m) => m.id)).toEqual([3, 2, 1]);
  });

  test('asks for the PIN, collects digits until #, and asks for a check (the PIN is not kept)', () => {
    const [s, effects] = run([start, ...digits('12*98#')]);
    expect(effects).toEqual([
      { type: 'play', items: [{ prompt: 'enter-pin' }] },
      { type: 'checkPin', pin: '98' },
    ]);
    expect(s.phase).toEqual({ kind: 'checking', attempts: 0 });
  });

  test('a PIN of ten digits is submitted without #', () => {
    const [, effects] = run([start, ...digits('0123456789')]);
    expect(effects.at(-1)).toEqual({ type: 'checkPin', pin: '0123456789' });
  });

  test('the right PIN: counts, then the first new message with its header and the menu', () => {
    const [s, effects] = run([start, ...digits('1#'), { type: 'pinResult', ok: true }]);
    expect(s.phase).toEqual({ kind: 'message', index: 0 });
    expect(effects.at(-1)).toEqual({
      type: 'play',
      items: [
        { count: 2 },
        { prompt: 'new-messages' },
        { count: 1 },
        { prompt: 'old-messages' },
        { prompt: 'message-new' },
        { prompt: 'from' },
        { digits: '202' },
        { prompt: 'received' },
        { time: 2_000 },
        { message: 3 },
        { prompt: 'message-menu' },
      ],
    });
  });

  test(`a wrong PIN asks again; the ${MAX_PIN_ATTEMPTS}rd wrong one says goodbye and hangs up`, () => {
    const wrong = [...digits('9#'), { type: 'pinResult', ok: false } as const];
    const [s1, e1] = run([start, ...wrong]);
    expect(s1.phase).toEqual({ kind: 'pin', attempts: 1, digits: '' });
    expect(e1.at(-1)).toEqual({
      type: 'play',
      items: [{ prompt: 'bad-pin' }, { prompt: 'enter-pin' }],
    });
    const [s3, e3] = run([...wrong, ...wrong], s1);
    expect(s3.phase).toEqual({ kind: 'done' });
    expect(e3.at(-1)).toEqual({ type: 'hangup', reason: 'wrong PIN' });
    // Nothing happens after the end.
    expect(nextMenu(s3, { type: 'digit', digit: '1' })).toEqual([s3, []]);
  });

  test('digits while the PIN is checked are ignored; a stale pinResult is ignored', () => {
    const [checking] = run([start, ...digits('1#')]);
    expect(nextMenu(checking, { type: 'digit', digit: '5' })).toEqual([checking, []]);
    const s = loggedIn();
    expect(nextMenu(s, { type: 'pinResult', ok: false })).toEqual([s, []]);
  });

  test('a message played to its end is marked heard once', () => {
    const s = loggedIn();
    const [s1, e1] = nextMenu(s, { type: 'messagePlayed', id: 3 });
    expect(e1).toEqual([{ type: 'markHeard', id: 3 }]);
    expect(s1.messages[0]).toMatchObject({ id: 3, heard: true });
    expect(nextMenu(s1, { type: 'messagePlayed', id: 3 })[1]).toEqual([]);
    // Another message's end (late) changes nothing.
    expect(nextMenu(s, { type: 'messagePlayed', id: 2 })[1]).toEqual([]);
  });

  test('1 replays, 2 saves and goes on, 3 deletes and goes on, 4 skips', () => {
    const s = loggedIn();
    expect(nextMenu(s, { type: 'digit', digit: '1' })[1]).toEqual([
      { type: 'play', items: [{ message: 3 }, { prompt: 'message-menu' }] },
    ]);
    const [saved, e2] = nextMenu(s, { type: 'digit', digit: '2' });
    expect(e2[0]).toEqual({ type: 'markHeard', id: 3 });
    expect(saved.phase).toEqual({ kind: 'message', index: 1 });
    const [deleted, e3] = nextMenu(s, { type: 'digit', digit: '3' });
    expect(e3[0]).toEqual({ type: 'delete', id: 3 });
    expect(deleted.messages.map((m) => m.id)).toEqual([2, 1]);
    expect(deleted.phase).toEqual({ kind: 'message', index: 0 });
    const [skipped, e4] = nextMenu(s, { type: 'digit', digit: '4' });
    expect(e4.some((e) => e.type === 'markHeard' || e.type === 'delete')).toBe(false);
    expect(skipped.messages[0]).toMatchObject({ id: 3, heard: false });
    expect(skipped.phase).toEqual({ kind: 'message', index: 1 });
  });

  test('after the last message: the end menu; 1 starts again, # says goodbye', () => {
    const [end, effects] = run(digits('444'), loggedIn());
    expect(end.phase).toEqual({ kind: 'end' });
    expect(effects.at(-1)).toEqual({ type: 'play', items: [{ prompt: 'end-menu' }] });
    expect(nextMenu(end, { type: 'digit', digit: '1' })[0].phase).toEqual({
      kind: 'message',
      index: 0,
    });
    const [bye, e] = nextMenu(end, { type: 'digit', digit: '#' });
    expect(bye.phase).toEqual({ kind: 'done' });
    expect(e).toEqual([
      { type: 'play', items: [{ prompt: 'goodbye' }] },
      { type: 'hangup', reason: 'caller finished' },
    ]);
  });

  test('an empty mailbox says so and offers the end menu', () => {
    const [s, effects] = run([
      { type: 'start', messages: [] },
      ...digits('1#'),
      { type: 'pinResult', ok: true },
    ]);
    expect(s.phase).toEqual({ kind: 'end' });
    expect(effects.at(-1)).toEqual({
      type: 'play',
      items: [{ prompt: 'no-messages' }, { prompt: 'end-menu' }],
    });
  });

  test('9 records the greeting; digits meanwhile are the recording’s; then the end menu', () => {
    const [g, e] = nextMenu(loggedIn(), { type: 'digit', digit: '9' });
    expect(g.phase).toEqual({ kind: 'greeting' });
    expect(e).toEqual([{ type: 'recordGreeting' }]);
    expect(nextMenu(g, { type: 'digit', digit: '#' })).toEqual([g, []]);
    const [after, e2] = nextMenu(g, { type: 'greetingRecorded', ok: true });
    expect(after.phase).toEqual({ kind: 'end' });
    expect(e2).toEqual([
      { type: 'play', items: [{ prompt: 'greeting-saved' }, { prompt: 'end-menu' }] },
    ]);
  });

  test('bad input: unknown keys repeat the menu, junk digits are ignored, silence ends the call', () => {
    const s = loggedIn();
    expect(nextMenu(s, { type: 'digit', digit: '7' })[1]).toEqual([
      { type: 'play', items: [{ prompt: 'message-menu' }] },
    ]);
    expect(nextMenu(s, { type: 'digit', digit: 'A' })).toEqual([s, []]);
    expect(nextMenu(s, { type: 'digit', digit: '12' })).toEqual([s, []]);
    const [t, e] = nextMenu(s, { type: 'timeout' });
    expect(t.phase).toEqual({ kind: 'done' });
    expect(e.at(-1)).toEqual({ type: 'hangup', reason: 'no input' });
  });
});
