import { CliFixture, expectFailure, pipedStdin, terminalStdin } from './helpers';

describe('pbx admin passwd, pbx ext cti-password', () => {
  let f: CliFixture;
  beforeEach(() => {
    f = new CliFixture();
  });
  afterEach(() => f.cleanup());

  it('sets the admin password from stdin or the terminal, stored only as a hash', async () => {
    const r = await f.withStdin(pipedStdin('first-pw\n'), 'admin', 'passwd', '--password-stdin');
    expect(r.code).toBe(0);
    const store = await f.store();
    try {
      expect(await store.webAuth.verifyAdmin('admin', 'first-pw')).toBe(true);
    } finally {
      await store.close();
    }
    const t = await f.withStdin(terminalStdin(['second-pw', 'second-pw']), 'admin', 'passwd');
    expect(t.code).toBe(0);
    const again = await f.store();
    try {
      expect(await again.webAuth.verifyAdmin('admin', 'second-pw')).toBe(true);
      const audit = await again.audit.list({ action: 'admin passwd' });
      expect(audit).toHaveLength(2);
      expect(JSON.stringify(audit)).not.toContain('second-pw');
    } finally {
      await again.close();
    }
    expectFailure(
      await f.withStdin(pipedStdin('short\n'), 'admin', 'passwd', '--password-stdin'),
      2,
      /6 to 128/,
    );
  });

  it("sets and clears a station's CTI password, apart from its SIP password", async () => {
    await f.ok('ext', 'add', '201', '--password', 'sipPass1');
    expectFailure(
      await f.withStdin(pipedStdin('cti-pw-9\n'), 'ext', 'cti-password', '299', '--password-stdin'),
      1,
      /no station 299/,
    );
    const r = await f.withStdin(
      pipedStdin('cti-pw-1\n'),
      'ext',
      'cti-password',
      '201',
      '--password-stdin',
    );
    expect(r.code).toBe(0);
    const store = await f.store();
    try {
      expect(await store.webAuth.verifyCti('201', 'cti-pw-1')).toBe(true);
      expect(await store.webAuth.verifyCti('201', 'sipPass1')).toBe(false);
    } finally {
      await store.close();
    }
    expect((await f.pbx('ext', 'cti-password', '201', '--clear')).code).toBe(0);
    const after = await f.store();
    try {
      expect(await after.webAuth.hasCtiPassword('201')).toBe(false);
    } finally {
      await after.close();
    }
  });

  it('pbx calls says clearly when no PBX is running on the database', async () => {
    expectFailure(await f.pbx('calls'), 1, /not running/);
  });
});
