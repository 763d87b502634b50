/**
 * The registrar against real sipp phones: digest challenge, refusals with their access-log
 * reasons, white list, licence, expiry, un-registration, restart, OPTIONS.
 */
import { run as runCli } from '../../../cli/src/main';
import { REFUSALS } from '../../src/registrar';
import { expectOk, sippRegister } from '../helpers/register';
import { describeSippResult, expectSippSuccess, runSipp, scenario } from '../helpers/sipp';
import { startTestPbx, type TestPbx } from '../helpers/start-test-pbx';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(
  what: string,
  cond: () => Promise<boolean>,
  withinMs = 2_000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function addStation(
  pbx: TestPbx,
  tel: string,
  extra: { userId?: string; useWhitelist?: boolean } = {},
): Promise<void> {
  await pbx.ctx.store.stations.create(
    { tel, password: `secret${tel}`, useWhitelist: false, ...extra },
    { realm: pbx.ctx.config.sip.domain },
  );
}

async function cli(
  pbx: TestPbx,
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--db', pbx.dbPath, ...argv], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
  });
  return { code, stdout, stderr };
}

describe('registrar', () => {
  let pbx: TestPbx;

  beforeAll(async () => {
    // Refusals from 127.0.0.1 must not trip Comm Exclusive here (registrar-comm-exclusive tests it).
    pbx = await startTestPbx({ overrides: (c) => (c.security.registerRetryLimit = 1000) });
    for (const tel of ['201', '202', '203', '204', '205', '206']) await addStation(pbx, tel);
    await addStation(pbx, '210', { userId: 'alice' });
  });
  afterAll(async () => {
    await pbx?.[Symbol.asyncDispose]();
  });

  test('REGISTER is challenged, then granted the expiry asked for, capped to the SIP expire time', async () => {
    const r = await sippRegister(pbx.target, { tel: '201', password: 'secret201', expires: 3600 });
    expectOk(r, 'register 201');
    expect(r.statuses).toEqual([401, 200]);
    const challenge = /^WWW-Authenticate: (.*)$/m.exec(r.messages ?? '')?.[1] ?? '';
    expect(challenge).toMatch(/^Digest /);
    expect(challenge).toContain('realm="pbx.local"');
    expect(challenge).toContain('algorithm=MD5');
    expect(challenge).toContain('qop="auth"');
    expect(challenge).toMatch(/nonce="[A-Za-z0-9_-]{40}"/);
    expect(challenge).toMatch(/opaque="[0-9a-f]+"/);
    expect(r.granted).toBe(600);

    const short = await sippRegister(pbx.target, {
      tel: '201',
      password: 'secret201',
      expires: 120,
      localPort: r.localPort,
    });
    expectOk(short, 'refresh 201');
    expect(short.granted).toBe(120);

    // What `pbx status` shows comes from the stored registration.
    const [reg] = await pbx.ctx.store.registrations.listByTel('201', { activeAt: Date.now() });
    expect(reg).toMatchObject({
      tel: '201',
      contact: `sip:201@127.0.0.1:${r.localPort}`,
      sourceIp: '127.0.0.1',
      sourcePort: r.localPort,
      protocol: 'udp',
      userAgent: 'sipp-201',
    });
    expect(reg!.expiresAt).toBeGreaterThan(Date.now() + 100_000);
    expect(reg!.expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
    const status = await cli(pbx, 'status', '201', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual([
      expect.objectContaining({
        tel: '201',
        registered: true,
        phoneType: 'sipp-201',
        publicIp: '127.0.0.1',
        publicPort: r.localPort,
        signalPort: r.localPort,
        protocol: 'UDP',
      }),
    ]);
  });

  test('refusals: wrong password, wrong user ID, unknown station → 403 after the challenge, each in the access log', async () => {
    const since = Date.now();
    const cases = [
      { tel: '202', user: '202', password: 'wrongpw1', reason: REFUSALS['bad-password'].reason },
      { tel: '210', user: '210', password: 'secret210', reason: REFUSALS['wrong-user-id'].reason },
      {
        tel: '299',
        user: '299',
        password: 'secret299',
        reason: REFUSALS['unknown-station'].reason,
      },
    ];
    for (const c of cases) {
      const r = await sippRegister(pbx.target, {
        ...c,
        scenario: 'uac-register-auth-expect-403.xml',
      });
      expectOk(r, `refusal of ${c.tel}`);
      expect(r.statuses).toEqual([401, 403]);
    }
    const log = await pbx.ctx.store.accessLog.list({ since });
    expect(log.map((e) => [e.callerId, e.ip, e.reason])).toEqual(
      cases.map((c) => [c.tel, '127.0.0.1', c.reason]),
    );
    expect(await pbx.ctx.store.registrations.isRegistered('202')).toBe(false);

    // The user ID, not the tel number, authenticates station 210.
    expectOk(
      await sippRegister(pbx.target, { tel: '210', user: 'alice', password: 'secret210' }),
      'register 210 as alice',
    );
  });

  test('white list: refused while the address is not listed, accepted once `pbx whitelist add` is applied', async () => {
    await pbx.ctx.store.stations.update(
      '203',
      { useWhitelist: true },
      { realm: pbx.ctx.config.sip.domain },
    );
    await pbx.changeApplied('stations');
    const since = Date.now();
    const refused = await sippRegister(pbx.target, {
      tel: '203',
      password: 'secret203',
      scenario: 'uac-register-auth-expect-403.xml',
    });
    expectOk(refused, 'white-list refusal');
    expect((await pbx.ctx.store.accessLog.list({ since })).map((e) => e.reason)).toEqual([
      REFUSALS['not-whitelisted'].reason,
    ]);

    expect((await cli(pbx, 'whitelist', 'add', '127.0.0.255')).code).toBe(0);
    await pbx.changeApplied('whitelist');
    expectOk(
      await sippRegister(pbx.target, { tel: '203', password: 'secret203' }),
      'white-listed register',
    );
    expect((await cli(pbx, 'whitelist', 'remove', '127.0.0.255')).code).toBe(0);
  });

  test('un-register: Expires: 0 removes one contact, Contact: * removes all', async () => {
    const a = await sippRegister(pbx.target, { tel: '204', password: 'secret204' });
    const b = await sippRegister(pbx.target, { tel: '204', password: 'secret204' });
    expectOk(a, 'contact a');
    expectOk(b, 'contact b');
    expect(await pbx.ctx.store.registrations.listByTel('204')).toHaveLength(2);

    const zero = await sippRegister(pbx.target, {
      tel: '204',
      password: 'secret204',
      expires: 0,
      localPort: a.localPort,
    });
    expectOk(zero, 'Expires: 0');
    expect((await pbx.ctx.store.registrations.listByTel('204')).map((r) => r.contact)).toEqual([
      `sip:204@127.0.0.1:${b.localPort}`,
    ]);

    const all = await runSipp({
      scenario: scenario('uac-unregister-all-auth-expect-200.xml'),
      target: pbx.target,
      keys: { tel: '204', ua: 'sipp-204' },
      extraArgs: ['-au', '204', '-ap', 'secret204'],
      timeoutMs: 10_000,
    });
    expectSippSuccess(all, 'Contact: *');
    expect(await pbx.ctx.store.registrations.listByTel('204')).toHaveLength(0);
  });

  test('`pbx ext set --password` applies to the next registration', async () => {
    expectOk(await sippRegister(pbx.target, { tel: '202', password: 'secret202' }), 'old password');
    const set = await cli(pbx, 'ext', 'set', '202', '--password', 'changed202');
    expect(set).toMatchObject({ code: 0, stderr: '' });
    await pbx.changeApplied('stations');
    expectOk(
      await sippRegister(pbx.target, {
        tel: '202',
        password: 'secret202',
        scenario: 'uac-register-auth-expect-403.xml',
      }),
      'old password refused',
    );
    expectOk(
      await sippRegister(pbx.target, { tel: '202', password: 'changed202' }),
      'new password',
    );
  });

  test('over TCP the registration records protocol tcp', async () => {
    const r = await sippRegister(pbx.target, {
      tel: '206',
      password: 'secret206',
      transport: 't1',
    });
    expectOk(r, 'register over TCP');
    expect(r.granted).toBe(600);
    expect((await pbx.ctx.store.registrations.listByTel('206'))[0]).toMatchObject({
      protocol: 'tcp',
      sourceIp: '127.0.0.1',
    });
  });

  test('OPTIONS to the PBX is answered 200', async () => {
    const r = await runSipp({
      scenario: scenario('uac-options-expect-200.xml'),
      target: pbx.target,
      timeoutMs: 10_000,
    });
    expectSippSuccess(r, 'OPTIONS');
  });

  test('expiry de-registers a phone that does not refresh', async () => {
    expect((await cli(pbx, 'config', 'set', 'sip.expireTime', '1')).code).toBe(0);
    await pbx.changeApplied('config');
    expect(pbx.ctx.config.sip.expireTime).toBe(1);
    try {
      const r = await sippRegister(pbx.target, {
        tel: '205',
        password: 'secret205',
        expires: 3600,
      });
      expectOk(r, 'register 205');
      expect(r.granted).toBe(1);
      expect(await pbx.ctx.store.registrations.listByTel('205')).toHaveLength(1);
      await waitFor(
        'the registration to be swept',
        async () => (await pbx.ctx.store.registrations.listByTel('205')).length === 0,
        2_500,
      );
    } finally {
      expect((await cli(pbx, 'config', 'unset', 'sip.expireTime')).code).toBe(0);
      await pbx.changeApplied('config');
      expect(pbx.ctx.config.sip.expireTime).toBe(600);
    }
  });
});

describe('registrar licence and restart', () => {
  test('licence full: a further station is refused, the registered one still refreshes; registrations survive a restart', async () => {
    await using first = await startTestPbx({ overrides: (c) => (c.license.maxStations = 1) });
    await addStation(first, '201');
    await addStation(first, '202');
    const a = await sippRegister(first.target, { tel: '201', password: 'secret201' });
    expectOk(a, 'first station');
    const since = Date.now();
    const b = await sippRegister(first.target, {
      tel: '202',
      password: 'secret202',
      scenario: 'uac-register-auth-expect-403.xml',
    });
    expectOk(b, 'second station refused');
    expect(b.messages).toMatch(/^SIP\/2\.0 403 Licence Full/m);
    expect(
      (await first.ctx.store.accessLog.list({ since })).map((e) => [e.callerId, e.reason]),
    ).toEqual([['202', REFUSALS['licence-full'].reason]]);
    expectOk(
      await sippRegister(first.target, {
        tel: '201',
        password: 'secret201',
        localPort: a.localPort,
      }),
      'refresh',
    );

    // Restart on the same database: the binding is restored, and still counts for the licence.
    await first.stop();
    await using second = await startTestPbx({
      dataDir: first.dataDir,
      overrides: (c) => (c.license.maxStations = 1),
    });
    const regs = await second.ctx.store.registrations.listByTel('201', { activeAt: Date.now() });
    expect(regs.map((r) => r.contact)).toEqual([`sip:201@127.0.0.1:${a.localPort}`]);
    const again = await sippRegister(second.target, {
      tel: '202',
      password: 'secret202',
      scenario: 'uac-register-auth-expect-403.xml',
    });
    if (!again.ok) throw new Error(describeSippResult(again));
    expectOk(
      await sippRegister(second.target, {
        tel: '201',
        password: 'secret201',
        localPort: a.localPort,
      }),
      'refresh after restart',
    );
  });
});
