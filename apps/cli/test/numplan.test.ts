import { defaultNumberPlan, describePlan } from '@pbx/dialplan';
import { CliFixture, expectFailure } from './helpers';

interface Row {
  feature: string;
  code: string | null;
  defaultCode: string | null;
  argument: string;
  dial: string;
  description: string;
  changed: boolean;
}

describe('pbx numplan', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  const codeOf = async (feature: string): Promise<string | null | undefined> =>
    (await f.json<Row[]>('numplan', 'list')).find((r) => r.feature === feature)?.code;

  it('lists the manual defaults with description and argument (JSON is describePlan plus changed)', async () => {
    const rows = await f.json<Row[]>('numplan', 'list');
    const features = describePlan(defaultNumberPlan());
    expect(rows.slice(0, features.length)).toEqual(features.map((r) => ({ ...r, changed: false })));
    expect(rows.slice(features.length)).toMatchObject([
      { feature: 'trunk', code: '9', dial: '9 + number', changed: false },
      { feature: 'authCode', code: '16', dial: '16 + auth code + 9 + number', changed: false },
    ]);
    expect(rows.find((r) => r.feature === 'dnd')).toMatchObject({ code: '40', argument: 'onOff' });
    expect(rows.find((r) => r.feature === 'pickup.myGroup')).toMatchObject({
      code: null,
      dial: '(unassigned)',
    });
    const table = await f.ok('numplan', 'list');
    expect(table).toMatch(
      /│ 601\s+│ forward\.all\s+│ forward\s+│ 601\s+│ Call forward all: every call goes/,
    );
    expect(table).toMatch(
      /│ \(unassigned\)\s+│ pickup\.myGroup \(MYGPICK\)\s+│ none\s+│ \(unassigned\)\s+│ My-group pickup/,
    );
    expect(table).toMatch(/│ 11\s+│ park \(HOLD\)/);
  });

  it('sets, clears and resets codes; the change shows in list and in the database', async () => {
    expect(await f.ok('numplan', 'set', 'pickup.myGroup', '15')).toBe(
      'pickup.myGroup: code 15 (default: unassigned)\n',
    );
    expect(await f.ok('numplan', 'set', 'dnd', '*48')).toBe('dnd: code *48 (default: 40)\n');
    expect(await f.ok('numplan', 'clear', 'conference')).toBe('conference: unassigned\n');
    const rows = await f.json<Row[]>('numplan', 'list');
    expect(rows.filter((r) => r.changed).map((r) => [r.feature, r.code])).toEqual([
      ['dnd', '*48'],
      ['conference', null],
      ['pickup.myGroup', '15'],
    ]);
    const store = await f.store();
    try {
      expect(await store.numberPlan.overrides()).toEqual({
        dnd: '*48',
        conference: null,
        'pickup.myGroup': '15',
      });
    } finally {
      await store.close();
    }
    expect(await f.ok('numplan', 'reset', 'dnd')).toBe('dnd: code 40 (the default)\n');
    expect(await f.ok('numplan', 'set', 'conference', '46')).toBe(
      'conference: code 46 (the default)\n',
    );
    expect(await f.ok('numplan', 'reset', 'pickup.myGroup')).toBe(
      'pickup.myGroup: unassigned (the default)\n',
    );
    expect((await f.json<Row[]>('numplan', 'list')).filter((r) => r.changed)).toEqual([]);
    const again = await f.store();
    try {
      // Back at the defaults, nothing is stored.
      expect(await again.numberPlan.list()).toEqual([]);
    } finally {
      await again.close();
    }
  });

  it('shows and moves the conference rooms (80 + room digit); station 801 waits until they move', async () => {
    expect(
      (await f.json<Row[]>('numplan', 'list')).find((r) => r.feature === 'conference.room'),
    ).toMatchObject({ code: '80', argument: 'room', dial: '800-809 (room)' });
    expectFailure(
      await f.pbx('ext', 'add', '801', '--password', 'secret801'),
      1,
      'code 80 (conference.room) is a prefix of station 801',
    );
    expect(await f.ok('numplan', 'set', 'conference.room', '47')).toContain(
      'conference.room: code 47 (default: 80)',
    );
    expect(
      (await f.json<Row[]>('numplan', 'list')).find((r) => r.feature === 'conference.room'),
    ).toMatchObject({ code: '47', dial: '470-479 (room)', changed: true });
    await f.ok('ext', 'add', '801', '--password', 'secret801');
  });

  it('bumps the numplan change counter so the running PBX reloads', async () => {
    await f.ok('numplan', 'list');
    const s1 = await f.store();
    const before = (await s1.changes.counters()).numplan ?? 0;
    await s1.close();
    await f.ok('numplan', 'set', 'dnd', '48');
    const s2 = await f.store();
    try {
      expect((await s2.changes.counters()).numplan).toBeGreaterThan(before);
    } finally {
      await s2.close();
    }
  });

  it('refuses a code that clashes with a station, a ring group or another code (exit 1)', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    await f.ok('ext', 'add', '202', '--password', 'secret2');
    await f.ok('group', 'add', '500');
    expectFailure(
      await f.pbx('numplan', 'set', 'pickup.myGroup', '20'),
      1,
      'code 20 (pickup.myGroup) is a prefix of station 201; code 20 (pickup.myGroup) is a prefix of station 202',
    );
    expectFailure(
      await f.pbx('numplan', 'set', 'dnd', '2011'),
      1,
      'station 201 is a prefix of code 2011 (dnd)',
    );
    expectFailure(
      await f.pbx('numplan', 'set', 'dnd', '500'),
      1,
      'code 500 (dnd) is the same number as ring group 500',
    );
    expectFailure(
      await f.pbx('numplan', 'set', 'dnd', '5'),
      1,
      'code 5 (dnd) is a prefix of ring group 500',
    );
    expectFailure(
      await f.pbx('numplan', 'set', 'dnd', '601'),
      1,
      'code 601 (dnd) is the same number as code 601 (forward.all)',
    );
    expectFailure(
      await f.pbx('numplan', 'set', 'dnd', '6'),
      1,
      /^error: code 6 \(dnd\) is a prefix of code 600 \(forward\.clear\); /,
    );
    expectFailure(
      await f.pbx('numplan', 'set', 'park', '1'),
      1,
      /code 1 \(park\) is a prefix of code 12 \(parkRetrieve\)/,
    );
    expect(await codeOf('dnd')).toBe('40');
    // A code freed by `clear` can be taken by another feature.
    await f.ok('numplan', 'clear', 'forward.all');
    expect(await f.ok('numplan', 'set', 'dnd', '601')).toBe('dnd: code 601 (default: 40)\n');
    // The default of a feature can clash too, so reset is checked like set.
    expectFailure(
      await f.pbx('numplan', 'reset', 'forward.all'),
      1,
      'code 601 (forward.all) is the same number as code 601 (dnd)',
    );
  });

  it('refuses unknown features and undialable codes (exit 2)', async () => {
    expectFailure(
      await f.pbx('numplan', 'set', 'paging', '17'),
      2,
      /^error: paging: unknown feature; one of forward\.clear, /,
    );
    expectFailure(await f.pbx('numplan', 'clear', 'DND'), 2, /DND: unknown feature/);
    expectFailure(
      await f.pbx('numplan', 'set', 'dnd', '4a'),
      2,
      'code 4a (dnd) is not dialable: use 1 to 8 of the characters 0-9 * #',
    );
    expectFailure(await f.pbx('numplan', 'set', 'dnd', '123456789'), 2, /is not dialable/);
    expectFailure(await f.pbx('numplan', 'set', 'dnd'), 2, "missing required argument 'code'");
    expect(await codeOf('dnd')).toBe('40');
  });

  it('makes ext add refuse station numbers that clash with codes and groups', async () => {
    expectFailure(
      await f.pbx('ext', 'add', '401', '--password', 'secret1'),
      1,
      'code 40 (dnd) is a prefix of station 401',
    );
    expectFailure(
      await f.pbx('ext', 'add', '46', '--password', 'secret1'),
      1,
      'station 46 is the same number as code 46 (conference)',
    );
    expectFailure(
      await f.pbx('ext', 'add', '6000', '--password', 'secret1'),
      1,
      'code 600 (forward.clear) is a prefix of station 6000',
    );
    await f.ok('group', 'add', '500');
    expectFailure(
      await f.pbx('ext', 'add', '500', '--password', 'secret1'),
      1,
      'station 500 is the same number as ring group 500',
    );
    expect(await f.ok('ext', 'list')).toBe('no stations\n');
    // Move the code, and the number is free.
    await f.ok('numplan', 'set', 'dnd', '48');
    expect(await f.ok('ext', 'add', '401', '--password', 'secret1')).toBe(
      'station 401 added (user ID 401)\n',
    );
  });

  it('sets the trunk access and auth codes, refusing clashes like any code', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret12');
    expectFailure(
      await f.pbx('numplan', 'set', 'trunk', '2'),
      1,
      /trunk access code 2 is a prefix of station 201/,
    );
    expectFailure(
      await f.pbx('numplan', 'set', 'trunk', '60'),
      1,
      /trunk access code 60 is a prefix of code 600/,
    );
    expectFailure(
      await f.pbx('numplan', 'set', 'authCode', '9'),
      1,
      /auth code 9 is the same number as trunk access code 9/,
    );
    expectFailure(await f.pbx('numplan', 'set', 'trunk', 'x1'), 2, /not dialable/);
    expect(await f.ok('numplan', 'set', 'trunk', '0')).toContain('trunk: code 0 (default: 9)');
    expect(await codeOf('trunk')).toBe('0');
    expectFailure(
      await f.pbx('ext', 'add', '0123', '--password', 'secret12'),
      1,
      /trunk access code 0/,
    );
    await f.ok('numplan', 'clear', 'authCode');
    expect(await codeOf('authCode')).toBeNull();
    await f.ok('numplan', 'reset', 'trunk');
    expect(await codeOf('trunk')).toBe('9');
  });
});
