import {
  checkCodeChange,
  checkNewNumber,
  checkPlanCodeChange,
  defaultCodes,
  defaultNumberPlan,
  validatePlan,
  type FeatureId,
  type NumberPlan,
} from '@pbx/dialplan';

const stations = ['201', '202', '203', '301'];
const groups = ['500'];

describe('validatePlan', () => {
  it('accepts the default plan with 2xx/3xx stations, a 5xx group and trunk access code 9', () => {
    expect(validatePlan(defaultNumberPlan('9'), stations, groups)).toEqual([]);
  });

  const cases: Array<[string, NumberPlan, string[], string[], string[]]> = [
    // name, plan, stations, groups, expected messages
    [
      'station behind DND code',
      defaultNumberPlan(),
      ['401'],
      [],
      ['code 40 (dnd) is a prefix of station 401'],
    ],
    [
      'station equal to conference code',
      defaultNumberPlan(),
      ['46'],
      [],
      ['code 46 (conference) is the same number as station 46'],
    ],
    [
      'station prefix of forward code',
      defaultNumberPlan(),
      ['60'],
      [],
      [
        'station 60 is a prefix of code 600 (forward.clear)',
        'station 60 is a prefix of code 601 (forward.all)',
        'station 60 is a prefix of code 602 (forward.busy)',
        'station 60 is a prefix of code 603 (forward.noAnswer)',
        'station 60 is a prefix of code 604 (forward.busyNoAnswer)',
      ],
    ],
    [
      'group behind park code',
      defaultNumberPlan(),
      [],
      ['115'],
      ['code 11 (park) is a prefix of ring group 115'],
    ],
    [
      'code prefix of code',
      { codes: { ...defaultCodes(), 'pickup.myGroup': '1' } },
      [],
      [],
      [
        'code 1 (pickup.myGroup) is a prefix of code 11 (park)',
        'code 1 (pickup.myGroup) is a prefix of code 12 (parkRetrieve)',
        'code 1 (pickup.myGroup) is a prefix of code 13 (pickup.directed)',
        'code 1 (pickup.myGroup) is a prefix of code 14 (pickup.group)',
      ],
    ],
    [
      'trunk prefix behind station',
      defaultNumberPlan('2'),
      ['201'],
      [],
      ['trunk access code 2 is a prefix of station 201'],
    ],
    [
      'trunk prefix clashes with codes',
      defaultNumberPlan('60'),
      [],
      [],
      [
        'trunk access code 60 is a prefix of code 600 (forward.clear)',
        'trunk access code 60 is a prefix of code 601 (forward.all)',
        'trunk access code 60 is a prefix of code 602 (forward.busy)',
        'trunk access code 60 is a prefix of code 603 (forward.noAnswer)',
        'trunk access code 60 is a prefix of code 604 (forward.busyNoAnswer)',
      ],
    ],
    [
      'station equal to group',
      defaultNumberPlan(),
      ['500'],
      ['500'],
      ['station 500 is the same number as ring group 500'],
    ],
    [
      'bad code syntax',
      { codes: { ...defaultCodes(), dnd: '4a' } },
      [],
      [],
      ['code 4a (dnd) is not dialable: use 1 to 8 of the characters 0-9 * #'],
    ],
    [
      'bad station syntax',
      defaultNumberPlan(),
      ['2*1'],
      [],
      ['station 2*1 is not dialable: use 1 to 8 digits'],
    ],
  ];

  it.each(cases)('%s', (_name, plan, st, gr, expected) => {
    expect(validatePlan(plan, st, gr).map((p) => p.message)).toEqual(expected);
  });

  it('allows stations that are prefixes of each other (en-bloc dialling)', () => {
    expect(validatePlan(defaultNumberPlan(), ['20', '201'], [])).toEqual([]);
  });
});

describe('checkCodeChange', () => {
  const base = defaultNumberPlan('9');

  const refused: Array<[FeatureId, string, string]> = [
    ['pickup.myGroup', '201', 'code 201 (pickup.myGroup) is the same number as station 201'],
    ['pickup.myGroup', '20', 'code 20 (pickup.myGroup) is a prefix of station 201'],
    ['pickup.myGroup', '2011', 'station 201 is a prefix of code 2011 (pickup.myGroup)'],
    ['pickup.myGroup', '5', 'code 5 (pickup.myGroup) is a prefix of ring group 500'],
    ['pickup.myGroup', '46', 'code 46 (pickup.myGroup) is the same number as code 46 (conference)'],
    ['pickup.myGroup', '4', 'code 4 (pickup.myGroup) is a prefix of code 40 (dnd)'],
    ['dnd', '90', 'trunk access code 9 is a prefix of code 90 (dnd)'],
    ['dnd', '4 0', 'code 4 0 (dnd) is not dialable: use 1 to 8 of the characters 0-9 * #'],
  ];
  it.each(refused)('refuses %s = %s', (feature, code, message) => {
    const result = checkCodeChange(base, feature, code, stations, groups);
    expect(result.ok).toBe(false);
    if (result.ok) throw new Error('unreachable');
    expect(result.message).toContain(message);
  });

  it('lists every clash in the message', () => {
    const result = checkCodeChange(base, 'pickup.myGroup', '1', stations, groups);
    if (result.ok) throw new Error('expected a refusal');
    expect(result.problems).toHaveLength(4);
    expect(result.message.split('; ')).toHaveLength(4);
  });

  it('accepts a free code and returns the new plan without changing the old one', () => {
    const result = checkCodeChange(base, 'pickup.myGroup', '15', stations, groups);
    expect(result).toEqual({
      ok: true,
      plan: { codes: { ...defaultCodes(), 'pickup.myGroup': '15' }, trunkPrefix: '9' },
    });
    expect(base.codes['pickup.myGroup']).toBeNull();
  });

  it('accepts moving a code onto a longer code of its own (46 → 461)', () => {
    const result = checkCodeChange(base, 'conference', '461', stations, groups);
    expect(result.ok).toBe(true);
  });

  it('accepts setting a feature to its current code', () => {
    expect(checkCodeChange(base, 'dnd', '40', stations, groups).ok).toBe(true);
  });

  it('accepts a code freed by another change', () => {
    const cleared = checkCodeChange(base, 'conference', null, stations, groups);
    if (!cleared.ok) throw new Error('clear refused');
    expect(cleared.plan.codes.conference).toBeNull();
    expect(checkCodeChange(cleared.plan, 'pickup.myGroup', '46', stations, groups).ok).toBe(true);
    expect(checkCodeChange(base, 'pickup.myGroup', '46', stations, groups).ok).toBe(false);
  });

  it('always accepts clearing', () => {
    expect(checkCodeChange(base, 'dnd', null, ['40'], []).ok).toBe(true);
  });

  it('judges only the new code, not older problems in the plan', () => {
    // Station 401 already clashes with DND 40; setting my-group pickup to 15 is still fine.
    expect(checkCodeChange(base, 'pickup.myGroup', '15', ['401'], []).ok).toBe(true);
  });
});

describe('checkNewNumber', () => {
  const base = defaultNumberPlan('9');
  const cases: Array<[string, 'station' | 'group', string[]]> = [
    ['210', 'station', []],
    ['550', 'group', []],
    ['401', 'station', ['code 40 (dnd) is a prefix of station 401']],
    [
      '1',
      'station',
      [
        'station 1 is a prefix of code 11 (park)',
        'station 1 is a prefix of code 12 (parkRetrieve)',
        'station 1 is a prefix of code 13 (pickup.directed)',
        'station 1 is a prefix of code 14 (pickup.group)',
      ],
    ],
    ['912', 'group', ['trunk access code 9 is a prefix of ring group 912']],
    ['20a', 'station', ['station 20a is not dialable: use 1 to 8 digits']],
  ];
  it.each(cases)('%s as %s', (number, kind, expected) => {
    expect(checkNewNumber(base, number, kind).map((p) => p.message)).toEqual(expected);
  });
});

describe('checkPlanCodeChange (trunk access and auth codes)', () => {
  const plan = { codes: defaultCodes(), trunkPrefix: '9', authCode: '16' };

  it('refuses a trunk access code that clashes with a code or station', () => {
    const r = checkPlanCodeChange(plan, 'trunk', '60', ['201'], []);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain('trunk access code 60 is a prefix of code 600');
    const s = checkPlanCodeChange(plan, 'trunk', '2', ['201'], []);
    expect(!s.ok && s.message).toBe('trunk access code 2 is a prefix of station 201');
    const a = checkPlanCodeChange(plan, 'authCode', '9', ['201'], []);
    expect(!a.ok && a.message).toBe('auth code 9 is the same number as trunk access code 9');
  });

  it('accepts a free code, refuses bad syntax, and clears', () => {
    const r = checkPlanCodeChange(plan, 'trunk', '0', ['201'], []);
    expect(r).toMatchObject({ ok: true, plan: { trunkPrefix: '0', authCode: '16' } });
    const bad = checkPlanCodeChange(plan, 'trunk', '9a', [], []);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems[0]?.kind).toBe('syntax');
    const cleared = checkPlanCodeChange(plan, 'authCode', null, [], []);
    expect(cleared.ok && cleared.plan.authCode).toBeUndefined();
  });
});

describe('conference rooms in the plan', () => {
  it('refuses station 801 while rooms are 800-809, and accepts it once the rooms move', () => {
    const plan = defaultNumberPlan();
    expect(checkNewNumber(plan, '801', 'station').map((p) => p.message)).toEqual([
      'code 80 (conference.room) is a prefix of station 801',
    ]);
    const moved = checkCodeChange(plan, 'conference.room', '47', ['201'], []);
    expect(moved.ok).toBe(true);
    if (moved.ok) expect(checkNewNumber(moved.plan, '801', 'station')).toEqual([]);
    expect(checkCodeChange(plan, 'conference.room', '20', ['201'], []).ok).toBe(false);
  });
});
