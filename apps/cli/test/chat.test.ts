import { CliFixture, expectFailure } from './helpers';

describe('pbx chat', () => {
  let f: CliFixture;
  beforeEach(async () => {
    f = new CliFixture();
    for (const tel of ['201', '202', '203'])
      await f.ok('ext', 'add', tel, '--password', 'Secret#2020x');
  });
  afterEach(() => f.cleanup());

  it('adds groups on free numbers, changes members, lists, posts and removes', async () => {
    expect(await f.ok('chat', 'add', 'Sales', '--members', '201,202')).toBe(
      'chat group 700 "Sales" added (members: 201, 202)\n',
    );
    expect(await f.ok('chat', 'add', 'Ops', '--members', '203', '--number', '7100')).toBe(
      'chat group 7100 "Ops" added (members: 203)\n',
    );
    expect(await f.ok('chat', 'set', '700', '--name', 'Sales team', '--add', '203')).toBe(
      'chat group 700 "Sales team" (members: 201, 202, 203)\n',
    );
    expect(await f.ok('chat', 'set', '700', '--remove', '201')).toBe(
      'chat group 700 "Sales team" (members: 202, 203)\n',
    );
    const mine = await f.json<{ number: string }[]>('chat', 'list', '--ext', '203', '--json');
    expect(mine.map((g) => g.number)).toEqual(['700', '7100']);
    expect(await f.ok('chat', 'post', '700', 'Stand-up', 'in', '5')).toBe('queued for 2 members\n');
    const shown = await f.json<{
      messages: { fromTel: string; body: string; waitingFor: string[] }[];
    }>('chat', 'show', '700', '--json');
    expect(shown.messages).toEqual([
      expect.objectContaining({
        fromTel: 'pbx',
        body: 'Stand-up in 5',
        waitingFor: ['202', '203'],
      }),
    ]);
    expect(await f.ok('chat', 'list')).toMatch(/│ 700 +│ Sales team │ 202, 203 │ admin/);
    expect(await f.ok('chat', 'remove', '7100')).toBe('chat group 7100 "Ops" removed\n');
    // A station cannot take a chat group's number.
    expectFailure(
      await f.pbx('ext', 'add', '700', '--password', 'Secret#2020x'),
      1,
      /station 700 is the same number as chat group 700/,
    );
    expectFailure(await f.pbx('group', 'add', '700'), 1, /same number as chat group 700/);
  });

  it('refuses bad input with exit 2 and impossible requests with exit 1', async () => {
    await f.ok('chat', 'add', 'Sales', '--members', '201');
    expectFailure(await f.pbx('chat', 'add', 'X', '--members', 'abc'), 2, /not a station number/);
    expectFailure(await f.pbx('chat', 'add', 'X', '--members', ''), 2, /at least one station/);
    expectFailure(await f.pbx('chat', 'add', 'X'), 2, /--members/);
    expectFailure(await f.pbx('chat', 'add', ' ', '--members', '201'), 2, /1 to 64/);
    expectFailure(
      await f.pbx('chat', 'add', 'X', '--members', '201', '--number', '7a'),
      2,
      /digits/,
    );
    expectFailure(
      await f.pbx('chat', 'add', 'X', '--members', '201', '--number', '401'),
      1,
      /clashes with code 40 \(dnd\)/,
    );
    expectFailure(
      await f.pbx('chat', 'add', 'X', '--members', '201', '--number', '202'),
      1,
      /station 202/,
    );
    expectFailure(await f.pbx('chat', 'add', 'X', '--members', '299'), 1, /299/);
    expectFailure(await f.pbx('chat', 'set', '700'), 2, /nothing to change/);
    expectFailure(await f.pbx('chat', 'set', '799', '--name', 'Y'), 1, /799/);
    expectFailure(await f.pbx('chat', 'set', '700', '--add', '201'), 1, /already a member/);
    expectFailure(await f.pbx('chat', 'set', '700', '--remove', '203'), 1, /203/);
    // Nothing of a refused change is written (the rename neither).
    expectFailure(
      await f.pbx('chat', 'set', '700', '--name', 'Other', '--remove', '203'),
      1,
      /not a member/,
    );
    expect(await f.ok('chat', 'list')).toMatch(/│ Sales │/);
    expectFailure(await f.pbx('chat', 'post', '700', ' '), 2, /empty/);
    expectFailure(await f.pbx('chat', 'post', 'x7', 'hi'), 2, /not a chat group number/);
    expectFailure(await f.pbx('chat', 'show', '700', '--limit', '0'), 2, /--limit/);
    expectFailure(await f.pbx('chat', 'remove', '799'), 1, /799/);
    expectFailure(await f.pbx('chat', 'list', '--ext', 'me'), 2, /--ext/);
  });
});
