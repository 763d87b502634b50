import {
  nextRingGroup,
  ringableMembers,
  ringSchedule,
  startRingGroup,
  type RingGroupEffect,
  type RingGroupEvent,
  type RingGroupState,
} from '../../src/state/ring-group';
import type { RoutingView } from '../../src/state/station-state';
import { Harness } from './helpers';

const members = (n: number, from = 201) => Array.from({ length: n }, (_, i) => String(from + i));

describe('ringSchedule', () => {
  const cases: Array<[number, Array<[number, string[]]>, string[]]> = [
    [0, [], []],
    [1, [[0, ['201']]], []],
    [4, [[0, members(4)]], []],
    [
      5,
      [
        [0, members(4)],
        [50, ['205']],
      ],
      [],
    ],
    [
      9,
      [
        [0, members(4)],
        [50, members(4, 205)],
        [100, ['209']],
      ],
      [],
    ],
    [
      10,
      [
        [0, members(4)],
        [50, members(4, 205)],
        [100, ['209', '210']],
      ],
      [],
    ],
    [
      12,
      [
        [0, members(4)],
        [50, members(4, 205)],
        [100, ['209', '210']],
      ],
      ['211', '212'],
    ],
  ];
  it.each(cases)('%i members', (n, batches, dropped) => {
    expect(ringSchedule(members(n))).toEqual({
      batches: batches.map(([atMs, m]) => ({ atMs, members: m })),
      dropped,
    });
  });

  it('rings a duplicate member once', () => {
    expect(ringSchedule(['201', '202', '201']).batches).toEqual([
      { atMs: 0, members: ['201', '202'] },
    ]);
  });

  it('takes other limits', () => {
    expect(
      ringSchedule(members(5), { batchSize: 2, gapMs: 10, maxMembers: 8 }).batches.map(
        (b) => b.atMs,
      ),
    ).toEqual([0, 10, 20]);
  });
});

describe('ringableMembers', () => {
  const view = (number: string, spec: Partial<RoutingView>): RoutingView => ({
    number,
    registered: true,
    dnd: false,
    busy: false,
    forward: null,
    unreachableTarget: null,
    noAnswerMs: 15_000,
    ...spec,
  });
  it('skips unregistered, DND, busy and unknown members, keeping order', () => {
    const views = new Map([
      ['201', view('201', {})],
      ['202', view('202', { registered: false })],
      ['203', view('203', { dnd: true })],
      ['204', view('204', { busy: true })],
      ['205', view('205', { forward: { type: 'all', target: '201' } })],
    ]);
    expect(
      ringableMembers(['205', '201', '202', '203', '204', '299'], (n) => views.get(n)),
    ).toEqual(['205', '201']);
  });
});

describe('nextRingGroup', () => {
  it('answers 480 at once with no member', () => {
    expect(startRingGroup('500', [])).toEqual([
      { kind: 'failed', group: '500', pending: [], members: {}, failures: [] },
      [{ type: 'reject', status: 480 }],
    ]);
  });

  it('first answer wins; ringing members are released and later batches never start', () => {
    const [s0, fx0] = startRingGroup('500', members(6));
    expect(fx0).toEqual([
      ...members(4).map((member) => ({ type: 'ring', member })),
      { type: 'startTimer', timer: 'batch', ms: 50 },
    ]);
    const [s1, fx1] = nextRingGroup(s0, { type: 'memberAnswered', member: '203' });
    expect(fx1).toEqual([
      { type: 'connect', member: '203' },
      { type: 'release', member: '201' },
      { type: 'release', member: '202' },
      { type: 'release', member: '204' },
      { type: 'cancelTimer', timer: 'batch' },
    ]);
    expect(s1).toMatchObject({ kind: 'answered', winner: '203', pending: [] });
    expect(s1.members).toEqual({
      '201': 'released',
      '202': 'released',
      '203': 'answered',
      '204': 'released',
      '205': 'waiting',
      '206': 'waiting',
    });
    // A 2xx from 201 that crossed our CANCEL is hung up; the winner's retransmission is not.
    expect(nextRingGroup(s1, { type: 'memberAnswered', member: '201' })).toEqual([
      s1,
      [{ type: 'release', member: '201' }],
    ]);
    expect(nextRingGroup(s1, { type: 'memberAnswered', member: '203' })).toEqual([s1, []]);
    expect(nextRingGroup(s1, { type: 'timer.batch' })).toEqual([s1, []]);
  });

  it('gives 486 when every member is busy, 480 when any failed otherwise', () => {
    let [s] = startRingGroup('500', ['201', '202']);
    [s] = nextRingGroup(s, { type: 'memberFailed', member: '201', status: 486 });
    expect(nextRingGroup(s, { type: 'memberFailed', member: '202', status: 486 })[1]).toEqual([
      { type: 'reject', status: 486 },
    ]);
    expect(nextRingGroup(s, { type: 'memberFailed', member: '202', status: 408 })[1]).toEqual([
      { type: 'reject', status: 480 },
    ]);
  });

  it('brings the next batch forward when the whole ringing batch failed', () => {
    let [s] = startRingGroup('500', members(5));
    for (const m of members(3))
      [s] = nextRingGroup(s, { type: 'memberFailed', member: m, status: 486 });
    const [s1, fx] = nextRingGroup(s, { type: 'memberFailed', member: '204', status: 480 });
    expect(fx).toEqual([
      { type: 'cancelTimer', timer: 'batch' },
      { type: 'ring', member: '205' },
    ]);
    expect(s1.members['205']).toBe('ringing');
    expect(s1.pending).toEqual([]);
  });

  it('releases everyone when the caller hangs up', () => {
    const [s0] = startRingGroup('500', members(5));
    const [s1, fx] = nextRingGroup(s0, { type: 'callerCancelled' });
    expect(fx).toEqual([
      ...members(4).map((member) => ({ type: 'release', member })),
      { type: 'cancelTimer', timer: 'batch' },
    ]);
    expect(s1.kind).toBe('cancelled');
    expect(nextRingGroup(s1, { type: 'memberAnswered', member: '202' })[1]).toEqual([
      { type: 'release', member: '202' },
    ]);
  });

  it('ignores a failure of a member that is not ringing', () => {
    const [s0] = startRingGroup('500', members(5));
    expect(nextRingGroup(s0, { type: 'memberFailed', member: '205', status: 486 })).toEqual([
      s0,
      [],
    ]);
  });
});

describe('a ring group call under fake timers', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  function groupCall(list: string[]) {
    const [s, fx] = startRingGroup('500', list);
    const rings: Array<[number, string]> = [];
    const h = new Harness<RingGroupState, RingGroupEvent, RingGroupEffect>(
      s,
      (state, e) => nextRingGroup(state, e),
      (f) => {
        if (f.type === 'ring') rings.push([Date.now(), f.member]);
        if (f.type === 'startTimer')
          return { key: f.timer, ms: f.ms, fire: { type: 'timer.batch' } };
        if (f.type === 'cancelTimer') return { key: f.timer, cancel: true };
        return undefined;
      },
      fx,
    );
    return { h, rings };
  }

  it('rings ten members 4 at a time, 50 ms apart', () => {
    const { rings } = groupCall(members(10));
    jest.advanceTimersByTime(1_000);
    expect(rings).toEqual([
      ...members(4).map((m) => [0, m]),
      ...members(4, 205).map((m) => [50, m]),
      [100, '209'],
      [100, '210'],
    ]);
  });

  it('stops starting batches once a member answers', () => {
    const { h, rings } = groupCall(members(10));
    jest.advanceTimersByTime(60);
    h.send({ type: 'memberAnswered', member: '206' });
    jest.advanceTimersByTime(1_000);
    expect(rings.map(([, m]) => m)).toEqual(members(8));
    expect(h.pendingTimers).toEqual([]);
    expect(
      h.log.filter((f) => f.type === 'release').map((f) => (f as { member: string }).member),
    ).toEqual(['201', '202', '203', '204', '205', '207', '208']);
  });
});
