import { computeHa1 } from '@pbx/store';
import { CliFixture, expectFailure } from './helpers';

describe('pbx ext', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('adds a station with defaults; the user ID defaults to the tel number', async () => {
    expect(await f.ok('ext', 'add', '201', '--password', 'secret1', '--name', 'Front desk')).toBe(
      'station 201 added (user ID 201)\n',
    );
    const s = await f.json<Record<string, unknown>>('ext', 'show', '201');
    expect(s).toMatchObject({
      tel: '201',
      userId: '201',
      password: 'set',
      name: 'Front desk',
      toneSource: 'system',
      callWaiting: false,
      forwardUnreachable: null,
      dtmfType: 'rfc2833',
      insertTrunkPort: '',
      insertTrunkType: 'none',
      natCheck: 'ip',
      useWhitelist: true,
      pickupGroup: 1,
      dnd: false,
    });
    expect(Object.keys(s)).not.toContain('ha1');
  });

  it('accepts every station setting as an option', async () => {
    await f.ok('ext', 'add', '202', '--password', 'secret2');
    await f.ok(
      'ext',
      'add',
      '201',
      '--password',
      'Pa55!@#$',
      '--user',
      'alice',
      '--name',
      'Alice',
      '--tone-source',
      'phone',
      '--call-waiting',
      'on',
      '--forward-unreachable',
      '202',
      '--dtmf-type',
      'info',
      '--insert-trunk-port',
      '802',
      '--insert-trunk-type',
      'incoming',
      '--nat-check',
      'ip-port',
      '--use-whitelist',
      'off',
      '--pickup-group',
      '4',
      '--forward-busy-no-answer',
      '205',
      '--forward-no-answer-timer',
      '20',
      '--dnd',
      'on',
    );
    expect(await f.json('ext', 'show', '201')).toMatchObject({
      userId: 'alice',
      name: 'Alice',
      toneSource: 'phone',
      callWaiting: true,
      forwardUnreachable: '202',
      dtmfType: 'info',
      insertTrunkPort: '802',
      insertTrunkType: 'incoming',
      natCheck: 'ip-port',
      useWhitelist: false,
      pickupGroup: 4,
      forwardAll: null,
      forwardBusy: null,
      forwardNoAnswer: null,
      forwardBusyNoAnswer: '205',
      forwardNoAnswerTimer: 20,
      dnd: true,
    });
    const store = await f.store();
    try {
      expect((await store.stations.getCredentials('201', 'pbx.local'))?.ha1).toBe(
        computeHa1('alice', 'pbx.local', 'Pa55!@#$'),
      );
    } finally {
      await store.close();
    }
  });

  it.each([
    [['--password', 'abc12'], '--password: must be at least 6 characters'],
    [['--password', 'pass word'], '--password: may contain only letters, digits and !@#$%^&*'],
    [['--password', 'secret-1'], '--password: may contain only letters, digits and !@#$%^&*'],
    [['--password', 'Alice1', '--user', 'alice1'], '--password: must differ from the user ID'],
    [
      ['--password', 'secret1', '--user', ''],
      '--user: must be 1 to 32 letters, digits, ".", "_" or "-"',
    ],
    [['--password', 'secret1', '--tone-source', 'radio'], '--tone-source: must be system or phone'],
    [['--password', 'secret1', '--dtmf-type', 'sip'], '--dtmf-type: must be rfc2833 or info'],
    [['--password', 'secret1', '--nat-check', 'port'], '--nat-check: must be ip or ip-port'],
    [
      ['--password', 'secret1', '--insert-trunk-type', 'both'],
      '--insert-trunk-type: must be incoming or outgoing or none',
    ],
    [['--password', 'secret1', '--use-whitelist', 'maybe'], '--use-whitelist: must be on or off'],
    [
      ['--password', 'secret1', '--pickup-group', '100'],
      '--pickup-group: must be an integer between 0 and 99 (0 for none)',
    ],
    [
      ['--password', 'secret1', '--forward-unreachable', '201'],
      '--forward-unreachable: must be another station',
    ],
  ])('refuses %p with exit 2', async (args, message) => {
    expectFailure(await f.pbx('ext', 'add', '201', ...args), 2, message);
    expect(await f.ok('ext', 'list')).toBe('no stations\n');
  });

  it('refuses bad tel numbers and a missing password (no default password)', async () => {
    expectFailure(
      await f.pbx('ext', 'add', '2', '--password', 'secret1'),
      2,
      'tel: must be 2 to 8 digits',
    );
    expectFailure(
      await f.pbx('ext', 'add', '201x', '--password', 'secret1'),
      2,
      'tel: must be 2 to 8 digits',
    );
    expectFailure(
      await f.pbx('ext', 'add', '201'),
      2,
      'a password is required: give --password <pw> or --password-stdin, or run in a terminal to be asked',
    );
  });

  it('refuses duplicates and unknown destinations with exit 1', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    expectFailure(
      await f.pbx('ext', 'add', '201', '--password', 'secret2'),
      1,
      'station 201 already exists',
    );
    expectFailure(
      await f.pbx('ext', 'add', '202', '--user', '201', '--password', 'secret2'),
      1,
      'user ID 201 is already used by station 201',
    );
    expectFailure(
      await f.pbx('ext', 'add', '203', '--password', 'secret3', '--forward-unreachable', '299'),
      1,
      '--forward-unreachable: station 299 does not exist (the destination must be a station)',
    );
  });

  it('refuses a station beyond the licence', async () => {
    await f.ok('config', 'set', 'license.maxStations', '2');
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    await f.ok('ext', 'add', '202', '--password', 'secret1');
    expectFailure(
      await f.pbx('ext', 'add', '203', '--password', 'secret1'),
      1,
      'licence full: 2 stations allowed (license.maxStations); remove a station or raise the limit',
    );
  });

  it('never prints the password', async () => {
    const pw = 'Zq9!Zq9!';
    const outputs = [
      await f.pbx('ext', 'add', '201', '--password', pw),
      await f.pbx('ext', 'show', '201'),
      await f.pbx('ext', 'show', '201', '--json'),
      await f.pbx('ext', 'list'),
      await f.pbx('ext', 'list', '--json'),
      await f.pbx('ext', 'set', '201', '--password', pw, '--user', pw),
      await f.pbx('ext', 'set', '201', '--password', 'short'),
    ];
    for (const r of outputs) expect(r.stdout + r.stderr).not.toContain(pw);
    expect(outputs[1]?.stdout).toMatch(/Password\s+│ set/);
  });

  it('changes settings with set and keeps the others', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1', '--name', 'Ann');
    await f.ok('ext', 'add', '202', '--password', 'secret2');
    expect(
      await f.ok('ext', 'set', '201', '--dnd', 'on', '--forward-all', '202', '--pickup-group', '0'),
    ).toBe('station 201 updated\n');
    expect(await f.json('ext', 'show', '201')).toMatchObject({
      name: 'Ann',
      dnd: true,
      forwardAll: '202',
      pickupGroup: 0,
    });
    await f.ok('ext', 'set', '201', '--forward-all', 'none', '--name', '');
    expect(await f.json('ext', 'show', '201')).toMatchObject({ name: '', forwardAll: null });
  });

  it('re-derives HA1 when the user ID changes alone, and refuses a user ID equal to the password', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    await f.ok('ext', 'set', '201', '--user', 'bob');
    const store = await f.store();
    try {
      expect((await store.stations.getCredentials('201', 'pbx.local'))?.ha1).toBe(
        computeHa1('bob', 'pbx.local', 'secret1'),
      );
    } finally {
      await store.close();
    }
    expectFailure(
      await f.pbx('ext', 'set', '201', '--user', 'SECRET1'),
      2,
      '--user: must differ from the password',
    );
    expect(await f.json('ext', 'show', '201')).toMatchObject({ userId: 'bob' });
  });

  it('reports set errors: nothing to change (2), unknown station (1), bad value (2)', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    expectFailure(await f.pbx('ext', 'set', '201'), 2, /nothing to change/);
    expectFailure(await f.pbx('ext', 'set', '299', '--dnd', 'on'), 1, 'station 299 not found');
    expectFailure(
      await f.pbx('ext', 'set', '201', '--dnd', 'sometimes'),
      2,
      '--dnd: must be on or off',
    );
    expectFailure(
      await f.pbx('ext', 'set', '201', '--forward-unreachable', '299'),
      1,
      /station 299 does not exist/,
    );
  });

  it('lists stations as a table and as JSON, in numeric order', async () => {
    await f.ok('ext', 'add', '1000', '--password', 'secret1');
    await f.ok('ext', 'add', '201', '--password', 'secret1', '--name', 'Reception');
    const table = await f.ok('ext', 'list');
    expect(table).toMatch(/Tel.*User ID.*Name/);
    expect(table.indexOf('201')).toBeLessThan(table.indexOf('1000'));
    expect(table).toContain('Reception');
    const list = await f.json<{ tel: string; password: string; createdAt: string }[]>(
      'ext',
      'list',
    );
    expect(list.map((s) => s.tel)).toEqual(['201', '1000']);
    expect(list[0]?.password).toBe('set');
    expect(list[0]?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('removes a station, clearing forwards that pointed at it', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    await f.ok('ext', 'add', '202', '--password', 'secret1', '--forward-unreachable', '201');
    expect(await f.ok('ext', 'remove', '201')).toBe(
      'station 201 removed\ncleared call forward unreachable of 202\n',
    );
    expect(await f.json('ext', 'show', '202')).toMatchObject({ forwardUnreachable: null });
    expectFailure(await f.pbx('ext', 'remove', '201'), 1, 'station 201 not found');
    expectFailure(await f.pbx('ext', 'show', '201'), 1, 'station 201 not found');
  });
});

describe('pbx ext --challenge-invites', () => {
  let f: CliFixture;
  beforeEach(() => {
    f = new CliFixture();
  });
  afterEach(() => f.cleanup());

  it('is off by default, set on and off, shown; a bad value is refused', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    expect(await f.ok('ext', 'show', '201')).toMatch(/Challenge INVITEs\s*│?\s*off/);
    await f.ok('ext', 'set', '201', '--challenge-invites', 'on');
    expect(await f.ok('ext', 'show', '201')).toMatch(/Challenge INVITEs\s*│?\s*on/);
    const bad = await f.pbx('ext', 'set', '201', '--challenge-invites', 'maybe');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--challenge-invites/);
    await f.ok('ext', 'set', '201', '--challenge-invites', 'off');
    const store = await f.store();
    try {
      expect((await store.stations.get('201'))?.challengeInvites).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('--srtp: policy by default, required and back; a bad value names the flag', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    expect(await f.ok('ext', 'show', '201')).toMatch(/│ SRTP +│ policy +│/);
    await f.ok('ext', 'set', '201', '--srtp', 'required');
    expect(await f.ok('ext', 'show', '201')).toMatch(/│ SRTP +│ required +│/);
    expect(await f.json('ext', 'show', '201')).toMatchObject({ srtp: 'required' });
    const bad = await f.pbx('ext', 'set', '201', '--srtp', 'always');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--srtp/);
    await f.ok('ext', 'set', '201', '--srtp', 'policy');
    const store = await f.store();
    try {
      expect((await store.stations.get('201'))?.srtp).toBe('policy');
    } finally {
      await store.close();
    }
  });

  it('sets, shows and clears the status text presence watchers see', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    expect(await f.ok('ext', 'show', '201')).toMatch(/│ Status Text +│ none +│/);
    expect(await f.ok('ext', 'set', '201', '--status', '  Out until 3 <pm> & "back"  ')).toBe(
      'station 201 updated\n',
    );
    expect(await f.json<Record<string, unknown>>('ext', 'show', '201')).toMatchObject({
      statusText: 'Out until 3 <pm> & "back"',
    });
    expect(await f.ok('ext', 'show', '201')).toMatch(
      /│ Status Text +│ Out until 3 <pm> & "back" +│/,
    );
    await f.ok('ext', 'set', '201', '--status', '');
    expect(await f.json<Record<string, unknown>>('ext', 'show', '201')).toMatchObject({
      statusText: '',
    });
    await f.ok('ext', 'set', '201', '--status', 'Lunch');
    await f.ok('ext', 'set', '201', '--status-clear');
    expect(await f.ok('ext', 'show', '201')).toMatch(/│ Status Text +│ none +│/);
  });

  it.each([
    [
      ['--status', 'x'.repeat(101)],
      '--status: must be text of at most 100 characters ("" to clear)',
    ],
    [['--status', 'two\nlines'], '--status: must not contain control characters'],
    [['--status', 'bell\u0007'], '--status: must not contain control characters'],
    [['--status', 'c1\u0085x'], '--status: must not contain control characters'],
  ])('refuses the status text %p with exit 2 and keeps the old one', async (args, message) => {
    await f.ok('ext', 'add', '201', '--password', 'secret1', '--status', 'Lunch');
    expectFailure(await f.pbx('ext', 'set', '201', ...args), 2, message);
    expect(await f.json<Record<string, unknown>>('ext', 'show', '201')).toMatchObject({
      statusText: 'Lunch',
    });
  });

  it('refuses --status with --status-clear', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    expectFailure(
      await f.pbx('ext', 'set', '201', '--status', 'x', '--status-clear'),
      2,
      'ext set: give either --status or --status-clear, not both',
    );
  });
});
