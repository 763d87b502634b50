import { InvalidStateError } from '../../src/state/errors';
import { callRef, legId } from '../../src/state/ids';
import {
  DEFAULT_PARK_RECALL_MS,
  emptySlots,
  nextParkSlots,
  type ParkedCall,
  type ParkEffect,
  type ParkEvent,
  type ParkSlots,
} from '../../src/state/park-slots';
import { Harness } from './helpers';

const parked = (slot: string, leg = 'L1'): ParkedCall => ({
  slot,
  callRef: callRef(`C-${leg}`),
  legId: legId(leg),
  party: '0301234',
  parkedBy: '201',
  parkedAt: 0,
});

describe('nextParkSlots', () => {
  const one = new Map([['220', parked('220')]]) as ParkSlots;

  const cases: Array<[string, ParkSlots, ParkEvent, string[], ParkEffect[]]> = [
    [
      'park in an empty slot',
      emptySlots(),
      { type: 'park', call: parked('220'), recallMs: 60_000 },
      ['220'],
      [{ type: 'startTimer', timer: 'recall', slot: '220', ms: 60_000 }],
    ],
    [
      'park in another slot',
      one,
      { type: 'park', call: parked('221', 'L2'), recallMs: 1_000 },
      ['220', '221'],
      [{ type: 'startTimer', timer: 'recall', slot: '221', ms: 1_000 }],
    ],
    [
      'retrieve',
      one,
      { type: 'retrieve', slot: '220' },
      [],
      [{ type: 'cancelTimer', timer: 'recall', slot: '220' }],
    ],
    ['retrieve an empty slot', one, { type: 'retrieve', slot: '221' }, ['220'], []],
    [
      'recall',
      one,
      { type: 'timer.recall', slot: '220' },
      [],
      [{ type: 'recall', call: parked('220') }],
    ],
    ['recall after retrieve', emptySlots(), { type: 'timer.recall', slot: '220' }, [], []],
    [
      'parked party hangs up',
      one,
      { type: 'parkedHungUp', legId: legId('L1') },
      [],
      [{ type: 'cancelTimer', timer: 'recall', slot: '220' }],
    ],
    ['someone else hangs up', one, { type: 'parkedHungUp', legId: legId('L9') }, ['220'], []],
  ];

  it.each(cases)('%s', (_name, s, e, slots, effects) => {
    const [next, fx] = nextParkSlots(s, e);
    expect([...next.keys()]).toEqual(slots);
    expect(fx).toEqual(effects);
  });

  it('does not change the slots it was given', () => {
    nextParkSlots(one, { type: 'retrieve', slot: '220' });
    expect(one.has('220')).toBe(true);
  });

  it('throws when parking in an occupied slot', () => {
    expect(() =>
      nextParkSlots(one, { type: 'park', call: parked('220', 'L2'), recallMs: 1 }),
    ).toThrow(InvalidStateError);
  });

  it('defaults the recall time to 60 s', () => {
    expect(DEFAULT_PARK_RECALL_MS).toBe(60_000);
  });
});

describe('park recall under fake timers', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  const harness = () =>
    new Harness<ParkSlots, ParkEvent, ParkEffect>(
      emptySlots(),
      (s, e) => nextParkSlots(s, e),
      (f) =>
        f.type === 'startTimer'
          ? { key: f.slot, ms: f.ms, fire: { type: 'timer.recall', slot: f.slot } }
          : f.type === 'cancelTimer'
            ? { key: f.slot, cancel: true }
            : undefined,
    );

  it('recalls to the parking station after the recall time', () => {
    const h = harness();
    h.send({ type: 'park', call: parked('220'), recallMs: 30_000 });
    jest.advanceTimersByTime(29_999);
    expect(h.state.has('220')).toBe(true);
    jest.advanceTimersByTime(1);
    expect(h.state.has('220')).toBe(false);
    expect(h.log.at(-1)).toEqual({ type: 'recall', call: parked('220') });
  });

  it('does not recall a retrieved call', () => {
    const h = harness();
    h.send({ type: 'park', call: parked('220'), recallMs: 30_000 });
    jest.advanceTimersByTime(10_000);
    h.send({ type: 'retrieve', slot: '220' });
    jest.advanceTimersByTime(60_000);
    expect(h.log.some((f) => f.type === 'recall')).toBe(false);
    expect(h.pendingTimers).toEqual([]);
  });
});
