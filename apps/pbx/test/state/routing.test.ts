import { formatDiversion, routeCall, routeNoAnswer, type Route } from '../../src/state/routing';
import type { ForwardSetting, RoutingView } from '../../src/state/station-state';

type Spec = Partial<Omit<RoutingView, 'number'>>;

function office(specs: Record<string, Spec>) {
  const views = new Map<string, RoutingView>();
  for (const [number, spec] of Object.entries(specs)) {
    views.set(number, {
      number,
      registered: true,
      dnd: false,
      busy: false,
      forward: null,
      unreachableTarget: null,
      noAnswerMs: 15_000,
      ...spec,
    });
  }
  return (n: string) => views.get(n);
}

const fwd = (type: ForwardSetting['type'], target: string): ForwardSetting => ({ type, target });

describe('routeCall', () => {
  const cases: Array<[string, Record<string, Spec>, string, Partial<Route>]> = [
    [
      'free station rings',
      { '201': {} },
      '201',
      { kind: 'ring', station: '201', diversions: [], noAnswer: null },
    ],
    ['unknown number', {}, '299', { kind: 'reject', status: 404, cause: 'not-found' }],
    [
      'DND gives 486',
      { '201': { dnd: true } },
      '201',
      { kind: 'reject', status: 486, cause: 'dnd', station: '201' },
    ],
    [
      'busy gives 486',
      { '201': { busy: true } },
      '201',
      { kind: 'reject', status: 486, cause: 'busy' },
    ],
    [
      'not registered gives 480',
      { '201': { registered: false } },
      '201',
      { kind: 'reject', status: 480, cause: 'unregistered' },
    ],
    [
      'DND beats busy forward',
      { '201': { dnd: true, busy: true, forward: fwd('busy', '202') }, '202': {} },
      '201',
      { kind: 'reject', status: 486, cause: 'dnd' },
    ],
    [
      'forward all diverts unconditionally',
      { '201': { forward: fwd('all', '202') }, '202': {} },
      '201',
      {
        kind: 'ring',
        station: '202',
        diversions: [{ from: '201', reason: 'unconditional', counter: 1 }],
        visited: ['201', '202'],
      },
    ],
    [
      'forward all applies even with DND',
      { '201': { dnd: true, forward: fwd('all', '202') }, '202': {} },
      '201',
      { kind: 'ring', station: '202' },
    ],
    [
      'forward all applies even when not registered',
      { '201': { registered: false, forward: fwd('all', '202') }, '202': {} },
      '201',
      { kind: 'ring', station: '202' },
    ],
    [
      'busy forward',
      { '201': { busy: true, forward: fwd('busy', '202') }, '202': {} },
      '201',
      {
        kind: 'ring',
        station: '202',
        diversions: [{ from: '201', reason: 'user-busy', counter: 1 }],
      },
    ],
    [
      'busy/no-answer forward when busy',
      { '201': { busy: true, forward: fwd('busyNoAnswer', '202') }, '202': {} },
      '201',
      {
        kind: 'ring',
        station: '202',
        diversions: [{ from: '201', reason: 'user-busy', counter: 1 }],
      },
    ],
    [
      'busy forward not used when free',
      { '201': { forward: fwd('busy', '202') }, '202': {} },
      '201',
      { kind: 'ring', station: '201', noAnswer: null },
    ],
    [
      'no-answer forward rings first, with its timer',
      { '201': { forward: fwd('noAnswer', '202'), noAnswerMs: 20_000 }, '202': {} },
      '201',
      {
        kind: 'ring',
        station: '201',
        diversions: [],
        noAnswer: { afterMs: 20_000, forwardTo: '202' },
      },
    ],
    [
      'busy/no-answer forward rings first when free',
      { '201': { forward: fwd('busyNoAnswer', '202') }, '202': {} },
      '201',
      { kind: 'ring', station: '201', noAnswer: { afterMs: 15_000, forwardTo: '202' } },
    ],
    [
      'no-answer forward not used when busy',
      { '201': { busy: true, forward: fwd('noAnswer', '202') }, '202': {} },
      '201',
      { kind: 'reject', status: 486, cause: 'busy' },
    ],
    [
      'unreachable forward',
      { '201': { registered: false, unreachableTarget: '202' }, '202': {} },
      '201',
      {
        kind: 'ring',
        station: '202',
        diversions: [{ from: '201', reason: 'unavailable', counter: 1 }],
      },
    ],
    [
      'chain: all → busy → ring, newest diversion first',
      {
        '201': { forward: fwd('all', '202') },
        '202': { busy: true, forward: fwd('busy', '203') },
        '203': {},
      },
      '201',
      {
        kind: 'ring',
        station: '203',
        diversions: [
          { from: '202', reason: 'user-busy', counter: 1 },
          { from: '201', reason: 'unconditional', counter: 1 },
        ],
        visited: ['201', '202', '203'],
      },
    ],
    [
      'chain ending at a busy station',
      { '201': { forward: fwd('all', '202') }, '202': { busy: true } },
      '201',
      {
        kind: 'reject',
        status: 486,
        cause: 'busy',
        station: '202',
        diversions: [{ from: '201', reason: 'unconditional', counter: 1 }],
      },
    ],
    [
      'loop 201 ↔ 202 rings 202, the last station before the loop',
      { '201': { forward: fwd('all', '202') }, '202': { forward: fwd('all', '201') } },
      '201',
      {
        kind: 'ring',
        station: '202',
        diversions: [{ from: '201', reason: 'unconditional', counter: 1 }],
      },
    ],
    [
      'loop whose last station is busy gives 486',
      { '201': { forward: fwd('all', '202') }, '202': { busy: true, forward: fwd('all', '201') } },
      '201',
      { kind: 'reject', status: 486, cause: 'busy', station: '202' },
    ],
    [
      'forward to itself means its own mailbox (not a loop)',
      { '201': { forward: fwd('all', '201') } },
      '201',
      { kind: 'voicemail', station: '201', diversions: [] },
    ],
    [
      'forward to a removed station is ignored',
      { '201': { forward: fwd('all', '299') } },
      '201',
      { kind: 'ring', station: '201', diversions: [] },
    ],
    [
      'no-answer loop back is dropped at route time',
      { '201': { forward: fwd('all', '202') }, '202': { forward: fwd('noAnswer', '201') } },
      '201',
      { kind: 'ring', station: '202', noAnswer: null },
    ],
  ];

  it.each(cases)('%s', (_name, specs, target, expected) => {
    expect(routeCall({ target, lookup: office(specs) })).toMatchObject(expected);
  });

  it('ignores a forward back to the caller', () => {
    const lookup = office({ '203': { busy: true }, '202': { forward: fwd('all', '203') } });
    expect(routeCall({ target: '202', lookup, caller: '203' })).toMatchObject({
      kind: 'ring',
      station: '202',
      diversions: [],
      visited: ['203', '202'],
    });
  });

  it('follows at most maxForwards forwards, then rings where it stands', () => {
    const specs: Record<string, Spec> = {};
    for (let i = 1; i <= 9; i++) specs[`20${i}`] = { forward: fwd('all', `20${i + 1}`) };
    const lookup = office(specs);
    expect(routeCall({ target: '201', lookup })).toMatchObject({ kind: 'ring', station: '206' });
    const r = routeCall({ target: '201', lookup, maxForwards: 2 });
    expect(r).toMatchObject({ kind: 'ring', station: '203', visited: ['201', '202', '203'] });
    expect(r.diversions.map((d) => d.from)).toEqual(['202', '201']);
  });
});

describe('routeNoAnswer', () => {
  function ringing(specs: Record<string, Spec>, target = '201') {
    const lookup = office(specs);
    const r = routeCall({ target, lookup, caller: '209' });
    if (r.kind !== 'ring') throw new Error('expected ring');
    return { r, lookup };
  }

  it('forwards to the no-answer target with reason no-answer', () => {
    const { r, lookup } = ringing({ '201': { forward: fwd('noAnswer', '202') }, '202': {} });
    expect(routeNoAnswer(r, lookup)).toMatchObject({
      kind: 'ring',
      station: '202',
      diversions: [{ from: '201', reason: 'no-answer', counter: 1 }],
      visited: ['209', '201', '202'],
    });
  });

  it('continues a chain: the next station may itself forward on no answer', () => {
    const { r, lookup } = ringing({
      '201': { forward: fwd('noAnswer', '202') },
      '202': { forward: fwd('busyNoAnswer', '203') },
      '203': {},
    });
    const second = routeNoAnswer(r, lookup);
    expect(second).toMatchObject({ kind: 'ring', station: '202', noAnswer: { forwardTo: '203' } });
    if (second.kind !== 'ring') throw new Error('expected ring');
    expect(routeNoAnswer(second, lookup)).toMatchObject({
      kind: 'ring',
      station: '203',
      diversions: [
        { from: '202', reason: 'no-answer', counter: 1 },
        { from: '201', reason: 'no-answer', counter: 1 },
      ],
    });
  });

  it('gives 480 when the forward was cleared while ringing', () => {
    const specs: Record<string, Spec> = { '201': { forward: fwd('noAnswer', '202') }, '202': {} };
    const { r } = ringing(specs);
    const cleared = office({ ...specs, '201': {} });
    expect(routeNoAnswer(r, cleared)).toMatchObject({
      kind: 'reject',
      status: 480,
      cause: 'no-answer',
      station: '201',
    });
  });

  it('the no-answer target may be busy and forward on', () => {
    const { r, lookup } = ringing({
      '201': { forward: fwd('noAnswer', '202') },
      '202': { busy: true, forward: fwd('busy', '203') },
      '203': {},
    });
    expect(routeNoAnswer(r, lookup)).toMatchObject({ kind: 'ring', station: '203' });
  });

  it('does not forward back to the caller', () => {
    const { r, lookup } = ringing({ '201': { forward: fwd('noAnswer', '209') }, '209': {} });
    expect(r.noAnswer).toBeNull();
    expect(routeNoAnswer(r, lookup)).toMatchObject({
      kind: 'reject',
      status: 480,
      cause: 'no-answer',
    });
  });
});

describe('formatDiversion (RFC 5806)', () => {
  it.each([
    ['unconditional', '<sip:201@127.0.0.1>;reason=unconditional;counter=1'],
    ['user-busy', '<sip:201@127.0.0.1>;reason=user-busy;counter=1'],
    ['no-answer', '<sip:201@127.0.0.1>;reason=no-answer;counter=1'],
    ['unavailable', '<sip:201@127.0.0.1>;reason=unavailable;counter=1'],
  ] as const)('%s', (reason, header) => {
    expect(formatDiversion({ from: '201', reason, counter: 1 }, '127.0.0.1')).toBe(header);
  });
});

describe('forward to voice mail (a forward to the station itself)', () => {
  it('forward all goes straight to the mailbox, DND or not', () => {
    const lookup = office({ '201': { forward: fwd('all', '201'), dnd: true } });
    expect(routeCall({ target: '201', lookup, caller: '209' })).toEqual({
      kind: 'voicemail',
      station: '201',
      reason: 'unconditional',
      diversions: [],
      visited: ['209', '201'],
    });
  });

  it('forward busy goes to the mailbox only while busy', () => {
    const busy = office({ '201': { forward: fwd('busy', '201'), busy: true } });
    expect(routeCall({ target: '201', lookup: busy })).toMatchObject({
      kind: 'voicemail',
      station: '201',
      reason: 'user-busy',
    });
    const free = office({ '201': { forward: fwd('busy', '201') } });
    expect(routeCall({ target: '201', lookup: free })).toMatchObject({
      kind: 'ring',
      noAnswer: null,
    });
  });

  it.each(['noAnswer', 'busyNoAnswer'] as const)(
    'forward %s rings, then the mailbox after the no-answer time',
    (type) => {
      const lookup = office({ '201': { forward: fwd(type, '201'), noAnswerMs: 7000 } });
      const r = routeCall({ target: '201', lookup, caller: '209' });
      expect(r).toMatchObject({ kind: 'ring', noAnswer: { afterMs: 7000, forwardTo: '201' } });
      if (r.kind !== 'ring') throw new Error('expected ring');
      expect(routeNoAnswer(r, lookup)).toMatchObject({
        kind: 'voicemail',
        station: '201',
        reason: 'no-answer',
      });
    },
  );

  it("a chain ends in the mailbox of the station that forwards to voice mail (A → B → B's mailbox)", () => {
    const lookup = office({
      '201': { forward: fwd('all', '202') },
      '202': { forward: fwd('all', '202') },
    });
    expect(routeCall({ target: '201', lookup, caller: '209' })).toMatchObject({
      kind: 'voicemail',
      station: '202',
      diversions: [{ from: '201', reason: 'unconditional', counter: 1 }],
      visited: ['209', '201', '202'],
    });
  });

  it('a no-answer forward to a station that forwards to voice mail ends in that mailbox', () => {
    const lookup = office({
      '201': { forward: fwd('noAnswer', '202') },
      '202': { forward: fwd('all', '202') },
    });
    const r = routeCall({ target: '201', lookup, caller: '209' });
    if (r.kind !== 'ring') throw new Error('expected ring');
    expect(routeNoAnswer(r, lookup)).toMatchObject({ kind: 'voicemail', station: '202' });
  });
});
