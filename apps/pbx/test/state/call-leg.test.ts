import {
  DEFAULT_NO_ANSWER_MS,
  isLive,
  nextLeg,
  startLeg,
  type LegEffect,
  type LegEvent,
  type LegState,
} from '../../src/state/call-leg';
import { Harness } from './helpers';

const T0 = 1_000;
const NOW = 5_000;
const trying: LegState = { kind: 'trying', since: T0 };
const ringing: LegState = { kind: 'ringing', early: false, since: T0, ringingSince: 2_000 };
const early: LegState = { kind: 'ringing', early: true, since: T0, ringingSince: 2_000 };
const answered: LegState = { kind: 'answered', since: T0, answeredAt: 3_000 };
const released: LegState = { kind: 'ended', cause: 'released', status: 487, endedAt: 3_000 };
const timedOut: LegState = { kind: 'ended', cause: 'no-answer', status: 480, endedAt: 3_000 };
const rejected: LegState = { kind: 'ended', cause: 'busy', status: 486, endedAt: 3_000 };
const hungUp: LegState = { kind: 'ended', cause: 'remote-bye', endedAt: 3_000 };

const CANCEL_TIMER: LegEffect = { type: 'cancelTimer', timer: 'noAnswer' };

describe('startLeg', () => {
  it('starts trying with the no-answer timer', () => {
    expect(startLeg(T0, { noAnswerMs: 15_000 })).toEqual([
      trying,
      [{ type: 'startTimer', timer: 'noAnswer', ms: 15_000 }],
    ]);
  });
  it('starts trying without a timer when none is wanted', () => {
    expect(startLeg(T0, { noAnswerMs: null })).toEqual([trying, []]);
  });
  it('defaults the no-answer time to 15 s', () => {
    expect(DEFAULT_NO_ANSWER_MS).toBe(15_000);
  });
});

describe('nextLeg transitions', () => {
  const cases: Array<[string, LegState, LegEvent, LegState, LegEffect[]]> = [
    [
      '180 rings',
      trying,
      { type: 'provisional', status: 180 },
      { kind: 'ringing', early: false, since: T0, ringingSince: NOW },
      [],
    ],
    [
      '183 is early media',
      trying,
      { type: 'provisional', status: 183 },
      { kind: 'ringing', early: true, since: T0, ringingSince: NOW },
      [],
    ],
    [
      '180 with SDP is early media',
      trying,
      { type: 'provisional', status: 180, sdp: true },
      { kind: 'ringing', early: true, since: T0, ringingSince: NOW },
      [],
    ],
    [
      '183 after 180 turns early',
      ringing,
      { type: 'provisional', status: 183 },
      { ...ringing, early: true },
      [],
    ],
    ['180 after 183 stays early', early, { type: 'provisional', status: 180 }, early, []],
    ['repeated 180 ignored', ringing, { type: 'provisional', status: 180 }, ringing, []],
    [
      '2xx from trying',
      trying,
      { type: 'answered' },
      { kind: 'answered', since: T0, answeredAt: NOW },
      [CANCEL_TIMER],
    ],
    [
      '2xx from ringing',
      ringing,
      { type: 'answered' },
      { kind: 'answered', since: T0, answeredAt: NOW },
      [CANCEL_TIMER],
    ],
    [
      '486 is busy',
      ringing,
      { type: 'rejected', status: 486 },
      { kind: 'ended', cause: 'busy', status: 486, endedAt: NOW },
      [CANCEL_TIMER],
    ],
    [
      '600 is busy',
      trying,
      { type: 'rejected', status: 600 },
      { kind: 'ended', cause: 'busy', status: 600, endedAt: NOW },
      [CANCEL_TIMER],
    ],
    [
      '603 is rejected',
      ringing,
      { type: 'rejected', status: 603 },
      { kind: 'ended', cause: 'rejected', status: 603, endedAt: NOW },
      [CANCEL_TIMER],
    ],
    [
      '404 is rejected',
      trying,
      { type: 'rejected', status: 404 },
      { kind: 'ended', cause: 'rejected', status: 404, endedAt: NOW },
      [CANCEL_TIMER],
    ],
    [
      'caller CANCEL',
      ringing,
      { type: 'cancelled' },
      { kind: 'ended', cause: 'cancelled', endedAt: NOW },
      [CANCEL_TIMER],
    ],
    [
      'BYE on early dialog',
      early,
      { type: 'bye' },
      { kind: 'ended', cause: 'remote-bye', endedAt: NOW },
      [CANCEL_TIMER, { type: 'terminate', status: 487 }],
    ],
    [
      'no-answer timer',
      ringing,
      { type: 'timer.noAnswer' },
      { kind: 'ended', cause: 'no-answer', status: 480, endedAt: NOW },
      [{ type: 'terminate', status: 480 }],
    ],
    [
      'no-answer timer before any 1xx',
      trying,
      { type: 'timer.noAnswer' },
      { kind: 'ended', cause: 'no-answer', status: 480, endedAt: NOW },
      [{ type: 'terminate', status: 480 }],
    ],
    [
      'release unanswered',
      ringing,
      { type: 'release' },
      { kind: 'ended', cause: 'released', status: 487, endedAt: NOW },
      [CANCEL_TIMER, { type: 'terminate', status: 487 }],
    ],
    [
      'release with a status (a-leg reject)',
      trying,
      { type: 'release', status: 486 },
      { kind: 'ended', cause: 'released', status: 486, endedAt: NOW },
      [CANCEL_TIMER, { type: 'terminate', status: 486 }],
    ],
    [
      'remote BYE',
      answered,
      { type: 'bye' },
      { kind: 'ended', cause: 'remote-bye', endedAt: NOW },
      [],
    ],
    [
      'release answered hangs up',
      answered,
      { type: 'release' },
      { kind: 'ended', cause: 'local-bye', endedAt: NOW },
      [{ type: 'hangup' }],
    ],
    // Late input after answer.
    ['180 after 200', answered, { type: 'provisional', status: 180 }, answered, []],
    ['2xx retransmission', answered, { type: 'answered' }, answered, []],
    ['CANCEL after 200', answered, { type: 'cancelled' }, answered, []],
    ['stale timer', answered, { type: 'timer.noAnswer' }, answered, []],
    ['stray final after 200', answered, { type: 'rejected', status: 486 }, answered, []],
    // Ended.
    ['2xx crossing our CANCEL', released, { type: 'answered' }, released, [{ type: 'hangup' }]],
    [
      '2xx after the no-answer timer',
      timedOut,
      { type: 'answered' },
      timedOut,
      [{ type: 'hangup' }],
    ],
    ['2xx after a rejection ignored', rejected, { type: 'answered' }, rejected, []],
    ['release after end ignored', hungUp, { type: 'release' }, hungUp, []],
    ['BYE after end ignored', hungUp, { type: 'bye' }, hungUp, []],
  ];

  it.each(cases)('%s', (_name, from, event, to, effects) => {
    expect(nextLeg(from, event, NOW)).toEqual([to, effects]);
  });

  it('is live until ended', () => {
    expect([trying, ringing, answered, released].map(isLive)).toEqual([true, true, true, false]);
  });
});

describe('a leg under a runner with fake timers', () => {
  beforeEach(() => jest.useFakeTimers({ now: T0 }));
  afterEach(() => jest.useRealTimers());

  function leg(noAnswerMs: number | null) {
    const [s, effects] = startLeg(Date.now(), { noAnswerMs });
    return new Harness<LegState, LegEvent, LegEffect>(
      s,
      nextLeg,
      (f) =>
        f.type === 'startTimer'
          ? { key: f.timer, ms: f.ms, fire: { type: 'timer.noAnswer' } }
          : f.type === 'cancelTimer'
            ? { key: f.timer, cancel: true }
            : undefined,
      effects,
    );
  }

  it('gives up after 15 s of ringing and terminates with 480', () => {
    const h = leg(15_000);
    h.send({ type: 'provisional', status: 180 });
    jest.advanceTimersByTime(14_999);
    expect(h.state.kind).toBe('ringing');
    jest.advanceTimersByTime(1);
    expect(h.state).toEqual({
      kind: 'ended',
      cause: 'no-answer',
      status: 480,
      endedAt: T0 + 15_000,
    });
    expect(h.log.at(-1)).toEqual({ type: 'terminate', status: 480 });
  });

  it('keeps ringing when answered in time', () => {
    const h = leg(15_000);
    jest.advanceTimersByTime(10_000);
    h.send({ type: 'answered' });
    jest.advanceTimersByTime(60_000);
    expect(h.state).toEqual({ kind: 'answered', since: T0, answeredAt: T0 + 10_000 });
    expect(h.pendingTimers).toEqual([]);
  });

  it('rings forever without a timer', () => {
    const h = leg(null);
    jest.advanceTimersByTime(3_600_000);
    expect(h.state.kind).toBe('trying');
  });
});
