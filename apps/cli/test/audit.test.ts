import { CliFixture } from './helpers';

interface Entry {
  date: string;
  actor: string;
  origin: string;
  action: string;
  details: { args: string[]; options: Record<string, unknown> };
  outcome: 'ok' | 'failed';
  error: string;
}

describe('pbx audit', () => {
  let f: CliFixture;
  beforeEach(() => {
    f = new CliFixture({ PBX_ACTOR: 'alice@desk' });
  });
  afterEach(() => f.cleanup());

  it('records who changed what and when, never secrets; reads are not recorded', async () => {
    f.now = Date.parse('2026-12-04T10:00:00Z');
    await f.ok('ext', 'add', '201', '--password', 'hunter22', '--name', 'Front desk');
    await f.ok('ext', 'set', '201', '--password', 'newsecret9');
    await f.ok('config', 'set', 'security.registerRetryLimit', '5');
    // Refused before it touched the database: not a change, and its secret is written nowhere.
    expect((await f.pbx('config', 'set', 'control.secret', 'topsecret')).code).toBe(2);
    await f.ok('whitelist', 'add', '10.0.0.0/24');
    await f.ok('ext', 'list');
    await f.ok('status');
    const failed = await f.pbx('ext', 'remove', '999');
    expect(failed.code).toBe(1);
    const entries = await f.json<Entry[]>('audit');
    expect(entries.map((e) => [e.action, e.outcome])).toEqual([
      ['ext add', 'ok'],
      ['ext set', 'ok'],
      ['config set', 'ok'],
      ['whitelist add', 'ok'],
      ['ext remove', 'failed'],
    ]);
    expect(entries.every((e) => e.actor === 'alice@desk' && e.origin === 'cli')).toBe(true);
    expect(entries[0]).toMatchObject({
      date: '2026-12-04T10:00:00Z',
      details: { args: ['201'], options: { password: '***', name: 'Front desk' } },
    });
    expect(entries[2]?.details.args).toEqual(['security.registerRetryLimit', '5']);
    expect(entries[4]?.error).toMatch(/999/);
    const text = JSON.stringify(entries) + (await f.ok('audit'));
    for (const secret of ['hunter22', 'newsecret9', 'topsecret'])
      expect(text).not.toContain(secret);
    expect(await f.ok('audit', '--action', 'ext set')).toMatch(
      /alice@desk +│ ext set +│ 201 --password "\*\*\*"/,
    );
  });

  it('config set values of secret options are written as ***', async () => {
    const { Command } = await import('commander');
    const { auditDetails } = await import('../src/audit');
    const cmd = new Command('set').argument('<words...>').action(() => undefined);
    await cmd.parseAsync(['media.eslPassword', 'pw-123456', 'sip.expireTime', '60'], {
      from: 'user',
    });
    expect(auditDetails('config set', cmd).args).toEqual([
      'media.eslPassword',
      '***',
      'sip.expireTime',
      '60',
    ]);
  });

  it('falls back to the OS user, and notes sudo', async () => {
    const plain = new CliFixture({});
    const sudo = new CliFixture({ SUDO_USER: 'bob' });
    try {
      await plain.ok('whitelist', 'add', '10.0.0.1');
      await sudo.ok('whitelist', 'add', '10.0.0.2');
      const [p] = await plain.json<Entry[]>('audit');
      const [s] = await sudo.json<Entry[]>('audit');
      expect(p?.actor.length).toBeGreaterThan(0);
      expect(s?.actor).toMatch(/^bob \(sudo as .+\)$/);
    } finally {
      plain.cleanup();
      sudo.cleanup();
    }
  });

  it('bad input: clear messages and exit status 2', async () => {
    for (const [args, message] of [
      [['audit', '--limit', '0'], /--limit: must be a positive integer/],
      [['audit', '--since', 'yesterday-ish'], /--since/],
    ] as const) {
      const r = await f.pbx(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(await f.ok('audit')).toBe('no audit log entries\n');
  });

  it('a failed command does not create a database just to audit itself', async () => {
    const r = await f.raw(['--db', `${f.dir}/none.sqlite`, 'ext', 'remove', '201']);
    expect(r.code).toBe(1);
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${f.dir}/none.sqlite`)).toBe(false);
  });
});
