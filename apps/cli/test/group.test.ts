import { CliFixture, expectFailure } from './helpers';

interface GroupJson {
  number: string;
  name: string;
  members: string[];
  createdAt: string;
  updatedAt: string;
}

describe('pbx group', () => {
  let f: CliFixture;
  beforeEach(async () => {
    f = new CliFixture();
    f.now = Date.parse('2024-05-01T10:00:00Z');
    const store = await f.store();
    try {
      for (let i = 1; i <= 12; i++) {
        await store.stations.create(
          { tel: String(200 + i), password: `secret${i}x` },
          { realm: 'pbx.local' },
        );
      }
    } finally {
      await store.close();
    }
  });
  afterEach(() => f.cleanup());

  it('adds, shows and lists groups with members in ring order', async () => {
    expect(await f.ok('group', 'add', '500', '--name', 'Sales', '--members', '203, 201,202')).toBe(
      'ring group 500 added (members: 203, 201, 202)\n',
    );
    expect(await f.ok('group', 'add', '51')).toBe('ring group 51 added (members: none)\n');
    const shown = await f.json<GroupJson>('group', 'show', '500');
    expect(shown).toMatchObject({ number: '500', name: 'Sales', members: ['203', '201', '202'] });
    expect(shown.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await f.json<GroupJson[]>('group', 'list')).map((g) => [g.number, g.members])).toEqual([
      ['51', []],
      ['500', ['203', '201', '202']],
    ]);
    expect(await f.ok('group', 'list')).toMatch(/│ 500\s+│ Sales\s+│ 203, 201, 202 │/);
    expect(await f.ok('group', 'show', '500')).toMatch(
      /│ Members \(ring order\)\s+│ 203, 201, 202\s+│/,
    );
  });

  it('changes the name and members with --members, --add and --remove', async () => {
    await f.ok('group', 'add', '500', '--members', '201,202');
    expect(await f.ok('group', 'set', '500', '--name', 'Front desk')).toBe(
      'ring group 500 updated (members: 201, 202)\n',
    );
    expect(await f.ok('group', 'set', '500', '--add', '205,204')).toBe(
      'ring group 500 updated (members: 201, 202, 205, 204)\n',
    );
    expect(await f.ok('group', 'set', '500', '--remove', '202')).toBe(
      'ring group 500 updated (members: 201, 205, 204)\n',
    );
    expect(await f.ok('group', 'set', '500', '--members', '210,209')).toBe(
      'ring group 500 updated (members: 210, 209)\n',
    );
    expect(await f.ok('group', 'set', '500', '--members', '')).toBe(
      'ring group 500 updated (members: none)\n',
    );
    expect(await f.json<GroupJson>('group', 'show', '500')).toMatchObject({
      name: 'Front desk',
      members: [],
    });
  });

  it('removes a group, and a removed station leaves its groups', async () => {
    await f.ok('group', 'add', '500', '--members', '201,202');
    await f.ok('group', 'add', '501', '--members', '203,201');
    expect(await f.ok('ext', 'remove', '201')).toBe(
      'station 201 removed\nremoved from ring groups 500, 501\n',
    );
    expect((await f.json<GroupJson>('group', 'show', '501')).members).toEqual(['203']);
    await f.ok('group', 'remove', '501');
    expect((await f.json<GroupJson>('group', 'show', '500')).members).toEqual(['202']);
    expect(await f.ok('group', 'remove', '500')).toBe('ring group 500 removed\n');
    expect(await f.ok('group', 'list')).toBe('no ring groups\n');
    expectFailure(await f.pbx('group', 'remove', '500'), 1, 'ring group 500 not found');
    expectFailure(await f.pbx('group', 'show', '500'), 1, 'ring group 500 not found');
    expectFailure(await f.pbx('group', 'set', '500', '--name', 'x'), 1, 'ring group 500 not found');
  });

  it('refuses a group number that is a station, a group or clashes with a feature code (exit 1)', async () => {
    await f.ok('group', 'add', '500');
    expectFailure(await f.pbx('group', 'add', '500'), 1, 'ring group 500 already exists');
    expectFailure(
      await f.pbx('group', 'add', '201'),
      1,
      'ring group 201 is the same number as station 201',
    );
    expectFailure(
      await f.pbx('group', 'add', '600'),
      1,
      'ring group 600 is the same number as code 600 (forward.clear)',
    );
    expectFailure(
      await f.pbx('group', 'add', '4000'),
      1,
      'code 40 (dnd) is a prefix of ring group 4000',
    );
    await f.ok('numplan', 'set', 'pickup.myGroup', '7');
    expectFailure(
      await f.pbx('group', 'add', '70'),
      1,
      'code 7 (pickup.myGroup) is a prefix of ring group 70',
    );
    expect((await f.json<GroupJson[]>('group', 'list')).map((g) => g.number)).toEqual(['500']);
  });

  it('refuses bad numbers and member lists (exit 2) and unknown members (exit 1)', async () => {
    expectFailure(
      await f.pbx('group', 'add', '5x0'),
      2,
      'ring group 5x0 is not dialable: use 1 to 8 digits',
    );
    expectFailure(
      await f.pbx('group', 'add', '500', '--members', '201,abc'),
      2,
      '--members: "abc" is not a station number (digits, comma-separated)',
    );
    expectFailure(
      await f.pbx('group', 'add', '500', '--members', '201,202,201'),
      2,
      '--members: 201 is listed more than once',
    );
    const eleven = Array.from({ length: 11 }, (_, i) => String(201 + i)).join(',');
    expectFailure(
      await f.pbx('group', 'add', '500', '--members', eleven),
      2,
      '--members: a ring group has at most 10 SIP members, got 11',
    );
    expectFailure(
      await f.pbx('group', 'add', '500', '--members', '201,299'),
      1,
      '--members: 299 is not a station',
    );
    expect(await f.ok('group', 'list')).toBe('no ring groups\n');

    const ten = Array.from({ length: 10 }, (_, i) => String(201 + i)).join(',');
    await f.ok('group', 'add', '500', '--members', ten);
    expectFailure(
      await f.pbx('group', 'set', '500', '--add', '211'),
      2,
      '--add: a ring group has at most 10 SIP members, got 11',
    );
    expectFailure(
      await f.pbx('group', 'set', '500', '--add', '201'),
      1,
      '--add: 201 is already a member of ring group 500',
    );
    expectFailure(
      await f.pbx('group', 'set', '500', '--remove', '212'),
      1,
      '--remove: 212 is not a member of ring group 500',
    );
    expectFailure(
      await f.pbx('group', 'set', '500', '--members', '201,298'),
      1,
      '--members: 298 is not a station',
    );
    expectFailure(
      await f.pbx('group', 'set', '500'),
      2,
      'group set: nothing to change; give --name, --members, --add, --remove, --voicemail or --voicemail-after',
    );
    expect((await f.json<GroupJson>('group', 'show', '500')).members).toHaveLength(10);
  });

  it('bumps the groups change counter', async () => {
    const counter = async (): Promise<number> => {
      const s = await f.store();
      try {
        return (await s.changes.counters()).groups ?? -1;
      } finally {
        await s.close();
      }
    };
    const before = await counter();
    await f.ok('group', 'add', '500', '--members', '201');
    const afterAdd = await counter();
    expect(afterAdd).toBeGreaterThan(before);
    await f.ok('group', 'set', '500', '--add', '202');
    expect(await counter()).toBeGreaterThan(afterAdd);
  });

  it('sets a voice-mail overflow: a station with its mailbox on, a time or the default; none turns it off', async () => {
    await f.ok('group', 'add', '500', '--members', '201,202');
    expect(await f.ok('group', 'set', '500', '--voicemail', '203', '--voicemail-after', '12')).toBe(
      'ring group 500 updated (members: 201, 202; voice mail: mailbox of 203 after 12s)\n',
    );
    expect(await f.json('group', 'show', '500')).toMatchObject({
      voicemail: '203',
      voicemailAfter: 12,
    });
    expect(await f.ok('group', 'show', '500')).toMatch(
      /│ Voice Mail Overflow\s+│ mailbox of 203 after 12s\s+│/,
    );
    await f.ok('group', 'set', '500', '--voicemail-after', 'default');
    expect(await f.ok('group', 'show', '500')).toMatch(/mailbox of 203 after the no-answer time/);
    expectFailure(await f.pbx('group', 'set', '500', '--voicemail', 'x1'), 2, /--voicemail: "x1"/);
    expectFailure(
      await f.pbx('group', 'set', '500', '--voicemail-after', '0'),
      2,
      /--voicemail-after: a number of seconds/,
    );
    expectFailure(
      await f.pbx('group', 'set', '500', '--voicemail', '299'),
      1,
      /station 299 does not exist/,
    );
    await f.ok('ext', 'set', '204', '--voicemail', 'off');
    expectFailure(
      await f.pbx('group', 'set', '500', '--voicemail', '204'),
      1,
      /station 204 has its mailbox off/,
    );
    // Removing the overflow station turns the overflow off.
    await f.ok('ext', 'remove', '203');
    expect(await f.json('group', 'show', '500')).toMatchObject({ voicemail: null });
    await f.ok('group', 'set', '500', '--voicemail', '205');
    await f.ok('group', 'set', '500', '--voicemail', 'none');
    expect(await f.json('group', 'show', '500')).toMatchObject({ voicemail: null });
  });
});
