import { classify, defaultCodes, type Classification, type ClassifyPlan } from '@pbx/dialplan';

const stations = new Set(['201', '202', '205', '220', '301', '20']);
const groups = new Set(['500', '501']);

function plan(overrides: Partial<ClassifyPlan> = {}): ClassifyPlan {
  return {
    codes: defaultCodes(),
    isStation: (n) => stations.has(n),
    isGroup: (n) => groups.has(n),
    trunkPrefix: '9',
    ...overrides,
  };
}

describe('classify with the default plan', () => {
  const cases: Array<[string, Classification]> = [
    ['201', { kind: 'station', number: '201' }],
    ['20', { kind: 'station', number: '20' }],
    ['500', { kind: 'group', number: '500' }],
    ['600', { kind: 'feature', feature: 'forward.clear', code: '600' }],
    ['601205', { kind: 'feature', feature: 'forward.all', code: '601', arg: '205' }],
    ['602205', { kind: 'feature', feature: 'forward.busy', code: '602', arg: '205' }],
    ['603205', { kind: 'feature', feature: 'forward.noAnswer', code: '603', arg: '205' }],
    ['604205', { kind: 'feature', feature: 'forward.busyNoAnswer', code: '604', arg: '205' }],
    // A forward to an outside number: trunk access code + number, kept whole as the target.
    [
      '60190398722900',
      { kind: 'feature', feature: 'forward.all', code: '601', arg: '90398722900' },
    ],
    ['6039012', { kind: 'feature', feature: 'forward.noAnswer', code: '603', arg: '9012' }],
    ['401', { kind: 'feature', feature: 'dnd', code: '40', arg: '1' }],
    ['400', { kind: 'feature', feature: 'dnd', code: '40', arg: '0' }],
    ['46', { kind: 'feature', feature: 'conference', code: '46' }],
    ['800', { kind: 'feature', feature: 'conference.room', code: '80', arg: '0' }],
    ['809', { kind: 'feature', feature: 'conference.room', code: '80', arg: '9' }],
    ['11220', { kind: 'feature', feature: 'park', code: '11', arg: '220' }],
    ['12220', { kind: 'feature', feature: 'parkRetrieve', code: '12', arg: '220' }],
    ['13202', { kind: 'feature', feature: 'pickup.directed', code: '13', arg: '202' }],
    ['142', { kind: 'feature', feature: 'pickup.group', code: '14', arg: '2' }],
    ['1412', { kind: 'feature', feature: 'pickup.group', code: '14', arg: '12' }],
    ['90123456789', { kind: 'trunk', digits: '0123456789' }],
    ['9', { kind: 'unknown' }],
    ['777', { kind: 'unknown' }],
    ['2015', { kind: 'unknown' }],
    ['', { kind: 'unknown' }],
    ['+4930123', { kind: 'unknown' }],
    ['alice', { kind: 'unknown' }],
    ['20 1', { kind: 'unknown' }],
  ];

  it.each(cases)('%s', (digits, expected) => {
    expect(classify(digits, plan())).toEqual(expected);
  });
});

describe('classify feature errors', () => {
  const cases: Array<[string, string, string, string | undefined]> = [
    // digits, feature, reason, arg
    ['40', 'dnd', 'missing-argument', undefined],
    ['402', 'dnd', 'bad-argument', '2'],
    ['4011', 'dnd', 'bad-argument', '11'],
    ['601', 'forward.all', 'missing-argument', undefined],
    ['601777', 'forward.all', 'unknown-station', '777'],
    // The trunk access code alone is no outside number.
    ['6019', 'forward.all', 'unknown-station', '9'],
    ['604', 'forward.busyNoAnswer', 'missing-argument', undefined],
    ['6001', 'forward.clear', 'unexpected-argument', '1'],
    ['461', 'conference', 'unexpected-argument', '1'],
    ['11', 'park', 'missing-argument', undefined],
    ['11777', 'park', 'unknown-station', '777'],
    ['12', 'parkRetrieve', 'missing-argument', undefined],
    ['13', 'pickup.directed', 'missing-argument', undefined],
    ['14', 'pickup.group', 'missing-argument', undefined],
    ['141234', 'pickup.group', 'bad-argument', '1234'],
    ['14*', 'pickup.group', 'bad-argument', '*'],
  ];

  it.each(cases)('%s → %s %s', (digits, feature, reason, arg) => {
    const c = classify(digits, plan());
    expect(c).toMatchObject({ kind: 'featureError', feature, reason });
    if (c.kind !== 'featureError') throw new Error('unreachable');
    expect(c.arg).toBe(arg);
    expect(c.detail).toContain(c.code);
  });

  it('checks the pickup group when the plan knows the groups', () => {
    const p = plan({ isPickupGroup: (n) => n === '1' || n === '2' });
    expect(classify('142', p)).toMatchObject({
      kind: 'feature',
      feature: 'pickup.group',
      arg: '2',
    });
    expect(classify('143', p)).toMatchObject({
      kind: 'featureError',
      reason: 'unknown-pickup-group',
      arg: '3',
    });
  });
});

describe('classify with changed codes', () => {
  it('uses an assigned my-group pickup code', () => {
    const codes = { ...defaultCodes(), 'pickup.myGroup': '15' };
    expect(classify('15', plan({ codes }))).toEqual({
      kind: 'feature',
      feature: 'pickup.myGroup',
      code: '15',
    });
  });

  it('leaves an unassigned code unknown', () => {
    expect(classify('15', plan())).toEqual({ kind: 'unknown' });
  });

  it('takes the longest matching code', () => {
    // Not a valid plan (4 is a prefix of 40), but classify must still be deterministic.
    const codes = { ...defaultCodes(), conference: '4' };
    expect(classify('401', plan({ codes }))).toEqual({
      kind: 'feature',
      feature: 'dnd',
      code: '40',
      arg: '1',
    });
    expect(classify('4', plan({ codes }))).toEqual({
      kind: 'feature',
      feature: 'conference',
      code: '4',
    });
  });

  it('accepts star codes', () => {
    const codes = { ...defaultCodes(), dnd: '*78' };
    expect(classify('*781', plan({ codes }))).toEqual({
      kind: 'feature',
      feature: 'dnd',
      code: '*78',
      arg: '1',
    });
    expect(classify('401', plan({ codes }))).toEqual({ kind: 'unknown' });
  });

  it('prefers an exact station over a code in an invalid plan', () => {
    const p = plan({ isStation: (n) => n === '401' });
    expect(classify('401', p)).toEqual({ kind: 'station', number: '401' });
  });

  it('takes the voice-mail code as a forward destination (the own mailbox), as it is now', () => {
    expect(classify('60388', plan({}))).toEqual({
      kind: 'feature',
      feature: 'forward.noAnswer',
      code: '603',
      arg: '88',
    });
    expect(
      classify('60177', plan({ codes: { ...defaultCodes(), voicemail: '77' } })),
    ).toMatchObject({
      kind: 'feature',
      arg: '77',
    });
    expect(
      classify('60188', plan({ codes: { ...defaultCodes(), voicemail: '77' } })),
    ).toMatchObject({
      kind: 'featureError',
      reason: 'unknown-station',
    });
  });

  it('has no forwards to outside numbers without a trunk prefix', () => {
    expect(classify('60190123', plan({ trunkPrefix: undefined }))).toMatchObject({
      kind: 'featureError',
      reason: 'unknown-station',
      detail: '90123 after forward.all code 601 is not a station',
    });
  });

  it('has no trunk calls without a trunk prefix', () => {
    expect(classify('90123', plan({ trunkPrefix: undefined }))).toEqual({ kind: 'unknown' });
  });

  it('strips a longer trunk prefix', () => {
    expect(classify('7001234', plan({ trunkPrefix: '700' }))).toEqual({
      kind: 'trunk',
      digits: '1234',
    });
  });

  it('takes exactly one room digit after the conference room code', () => {
    expect(classify('80', plan())).toMatchObject({
      kind: 'featureError',
      feature: 'conference.room',
      reason: 'missing-argument',
    });
    expect(classify('8012', plan())).toMatchObject({
      kind: 'featureError',
      feature: 'conference.room',
      reason: 'bad-argument',
      arg: '12',
    });
  });
});

describe('classify: trunk access and auth code dialling', () => {
  const plan = {
    codes: defaultCodes(),
    isStation: (n: string) => n === '201',
    isGroup: () => false,
    trunkPrefix: '9',
    authCode: '16',
    isAuthCode: (c: string) => c === '4321' || c === '77',
  };

  it('strips the trunk access code', () => {
    expect(classify('90398722900', plan)).toEqual({ kind: 'trunk', digits: '0398722900' });
    expect(classify('9', plan)).toEqual({ kind: 'unknown' });
  });

  it('splits auth feature code + auth code + trunk access code + number', () => {
    expect(classify('16432190398722900', plan)).toEqual({
      kind: 'trunk',
      digits: '0398722900',
      authCode: '4321',
    });
    expect(classify('1677901234', plan)).toEqual({
      kind: 'trunk',
      digits: '01234',
      authCode: '77',
    });
  });

  it('refuses an unknown auth code or a missing trunk code', () => {
    expect(classify('16999990398', plan)).toMatchObject({ kind: 'authError' });
    expect(classify('164321', plan)).toMatchObject({ kind: 'authError' });
    expect(classify('16', plan)).toMatchObject({ kind: 'authError' });
  });
});
