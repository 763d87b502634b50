import { computeHa1 } from '@pbx/store';
import { CliFixture, expectFailure, pipedStdin, terminalStdin } from './helpers';

/** Passwords given on standard input or at a prompt instead of on the command line. */
describe('pbx ext passwords from standard input and the prompt', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  async function ha1Of(tel: string): Promise<string | undefined> {
    const store = await f.store();
    try {
      return (await store.stations.getCredentials(tel, 'pbx.local'))?.ha1;
    } finally {
      await store.close();
    }
  }

  it('reads one line from standard input with --password-stdin (add and set), LF or CRLF', async () => {
    const add = await f.withStdin(
      pipedStdin('Secret1!\n'),
      'ext',
      'add',
      '201',
      '--password-stdin',
    );
    expect(add).toEqual({ code: 0, stdout: 'station 201 added (user ID 201)\n', stderr: '' });
    expect(await ha1Of('201')).toBe(computeHa1('201', 'pbx.local', 'Secret1!'));

    const set = await f.withStdin(
      pipedStdin('Other22\r\n'),
      'ext',
      'set',
      '201',
      '--password-stdin',
    );
    expect(set).toEqual({ code: 0, stdout: 'station 201 updated\n', stderr: '' });
    expect(await ha1Of('201')).toBe(computeHa1('201', 'pbx.local', 'Other22'));

    // Without a final line end too.
    await f.withStdin(pipedStdin('Third333'), 'ext', 'set', '201', '--password-stdin');
    expect(await ha1Of('201')).toBe(computeHa1('201', 'pbx.local', 'Third333'));
  });

  it('refuses bad standard input with exit 2 and never echoes it', async () => {
    const cases: Array<[string, string]> = [
      ['', '--password-stdin: standard input is empty'],
      ['\n', '--password-stdin: standard input is empty'],
      ['one1111\ntwo2222\n', '--password-stdin: give the password on one line'],
      ['abc12\n', '--password: must be at least 6 characters'],
    ];
    for (const [text, message] of cases) {
      const r = await f.withStdin(pipedStdin(text), 'ext', 'add', '201', '--password-stdin');
      expectFailure(r, 2, message);
      if (text.trim()) expect(r.stderr).not.toContain(text.trim().split('\n')[0]);
    }
    expectFailure(
      await f.withStdin(
        pipedStdin('secret1\n'),
        'ext',
        'add',
        '201',
        '--password',
        'secret1',
        '--password-stdin',
      ),
      2,
      '--password and --password-stdin: give only one',
    );
    expectFailure(
      await f.pbx('ext', 'add', '201', '--password-stdin'),
      2,
      '--password-stdin: no standard input',
    );
    expect(await f.json('ext', 'list')).toEqual([]);
  });

  it('asks on a terminal when ext add has no password option, twice, without printing it', async () => {
    const tty = terminalStdin(['Typed1!', 'Typed1!']);
    const r = await f.withStdin(tty, 'ext', 'add', '201', '--name', 'Ann');
    expect(r).toEqual({ code: 0, stdout: 'station 201 added (user ID 201)\n', stderr: '' });
    expect(tty.prompts).toEqual(['Password for station 201: ', 'Retype the password: ']);
    expect(await ha1Of('201')).toBe(computeHa1('201', 'pbx.local', 'Typed1!'));
  });

  it('asks on a terminal for --password without a value (ext set) and for --password-stdin', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    const tty = terminalStdin(['Typed2!', 'Typed2!']);
    const r = await f.withStdin(tty, 'ext', 'set', '201', '--password', '--name', 'Bob');
    expect(r).toEqual({ code: 0, stdout: 'station 201 updated\n', stderr: '' });
    expect(tty.prompts).toHaveLength(2);
    expect(await ha1Of('201')).toBe(computeHa1('201', 'pbx.local', 'Typed2!'));
    expect(await f.json('ext', 'show', '201')).toMatchObject({ name: 'Bob' });

    const viaStdin = terminalStdin(['Typed3!', 'Typed3!']);
    expect((await f.withStdin(viaStdin, 'ext', 'set', '201', '--password-stdin')).code).toBe(0);
    expect(await ha1Of('201')).toBe(computeHa1('201', 'pbx.local', 'Typed3!'));
  });

  it('checks the database path before asking', async () => {
    const db = `${f.dir}/missing/pbx.sqlite`;
    const tty = terminalStdin(['Typed1!', 'Typed1!']);
    const r = await f.raw(['--db', db, 'ext', 'add', '201'], f.env, tty);
    expectFailure(r, 2, `--db ${db}: folder ${f.dir}/missing does not exist; create it first`);
    expect(tty.prompts).toEqual([]);
  });

  it('does not ask on ext set without a password option', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    const tty = terminalStdin([]);
    expect((await f.withStdin(tty, 'ext', 'set', '201', '--dnd', 'on')).code).toBe(0);
    expect(tty.prompts).toEqual([]);
  });

  it('refuses mismatched, empty and invalid typed passwords, and a prompt without a terminal', async () => {
    expectFailure(
      await f.withStdin(terminalStdin(['Typed1!', 'Typed2!']), 'ext', 'add', '201'),
      2,
      'the passwords typed do not match',
    );
    expectFailure(
      await f.withStdin(terminalStdin(['']), 'ext', 'add', '201'),
      2,
      'no password given',
    );
    const weak = await f.withStdin(terminalStdin(['201', '201']), 'ext', 'add', '201');
    expectFailure(weak, 2, '--password: must be at least 6 characters');
    expectFailure(
      await f.withStdin(pipedStdin('secret1\n'), 'ext', 'add', '201'),
      2,
      'a password is required: give --password <pw> or --password-stdin, or run in a terminal to be asked',
    );
    await f.ok('ext', 'add', '202', '--password', 'secret2');
    expectFailure(
      await f.withStdin(pipedStdin('secret1\n'), 'ext', 'set', '202', '--password'),
      2,
      '--password without a value: give --password <pw> or --password-stdin, or run in a terminal to be asked',
    );
    expect((await f.json<{ tel: string }[]>('ext', 'list')).map((s) => s.tel)).toEqual(['202']);
  });
});
