/**
 * Comm Exclusive with real sipp phones: an address that fails the retry limit is blocked for the
 * Register MSG Block Timer (a few seconds here), answered 403 (`response`) or not at all (`no-response`),
 * while a phone on another address keeps registering; `pbx block remove` lifts a block at once.
 * Attackers use 127.0.0.2-4, the good phone 127.0.0.1.
 */
import { run as runCli } from '../../../cli/src/main';
import { REASON, REFUSALS, type RegistrarModule } from '../../src/registrar';
import { expectOk, sippRegister } from '../helpers/register';
import { runSipp, scenario } from '../helpers/sipp';
import { startTestPbx, type TestPbx } from '../helpers/start-test-pbx';

jest.setTimeout(45_000);

/** The registrar module of a running PBX (its Comm Exclusive state is what admits requests). */
function registrarOf(pbx: TestPbx): RegistrarModule {
  return pbx.registrar;
}

/** Polls the PBX's own state until `cond` holds, failing after `withinMs`. */
async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  withinMs: number,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setup(mode: 'response' | 'no-response', blockSeconds: number): Promise<TestPbx> {
  const pbx = await startTestPbx({
    overrides: (c) => {
      c.security.commExclusive = mode;
      c.security.registerRetryLimit = 2;
      c.security.registerBlockTimer = blockSeconds;
    },
  });
  for (const tel of ['201', '202']) {
    await pbx.ctx.store.stations.create(
      { tel, password: `secret${tel}`, useWhitelist: false },
      { realm: pbx.ctx.config.sip.domain },
    );
  }
  return pbx;
}

const wrong = (ip: string) => ({ tel: '202', password: 'wrongpw1', localIp: ip });
const good = (ip: string) => ({ tel: '202', password: 'secret202', localIp: ip });

test('response mode: blocked after the retry limit, answered 403 without a challenge, unblocked after the timer', async () => {
  // Long enough that the block outlasts the checks below on a loaded machine (a 1 s block could
  // end before the next sipp run started).
  await using pbx = await setup('response', 10);
  const attacker = '127.0.0.2';
  const since = Date.now();
  for (let i = 0; i < 2; i++) {
    const r = await sippRegister(pbx.target, {
      ...wrong(attacker),
      scenario: 'uac-register-auth-expect-403.xml',
    });
    expectOk(r, `failure ${i + 1}`);
  }
  expect(await pbx.ctx.store.blocks.isBlocked(attacker)).toBe(true);
  const block = await pbx.ctx.store.blocks.get(attacker);
  expect(block).toBeDefined();
  const blocked = await sippRegister(pbx.target, {
    ...good(attacker),
    scenario: 'uac-register-expect-403.xml',
  });
  expectOk(blocked, 'blocked address');
  expect(blocked.statuses).toEqual([403]);

  // Another address is not affected.
  expectOk(
    await sippRegister(pbx.target, { tel: '201', password: 'secret201' }),
    'good phone while attacker blocked',
  );

  const log = await pbx.ctx.store.accessLog.list({ since, ip: attacker });
  expect(log.map((e) => e.reason)).toEqual([
    REFUSALS['bad-password'].reason,
    REFUSALS['bad-password'].reason,
    REASON.blocked(2),
  ]);

  // The block ends when its timer runs out: wait until the PBX admits the address again.
  expect(registrarOf(pbx).admission(attacker)).toBe('refuse');
  await waitFor(
    'the block to end',
    () => registrarOf(pbx).admission(attacker) === 'ok',
    block!.blockedUntil - Date.now() + 2_000,
  );
  expectOk(await sippRegister(pbx.target, good(attacker)), 'register after the block timer');
});

test('no-response mode: the tripping failure and everything after it get no answer at all, until the timer ends', async () => {
  // Long enough for the checks below on a loaded machine (each sipp run takes a second or more).
  await using pbx = await setup('no-response', 20);
  const attacker = '127.0.0.3';
  // Control: before the block, the silence scenario fails on the 401 it gets.
  const answered = await sippRegister(pbx.target, {
    ...good(attacker),
    scenario: 'uac-register-expect-silence.xml',
  });
  expect(answered.ok).toBe(false);
  expect(answered.statuses).toContain(401);
  expectOk(
    await sippRegister(pbx.target, {
      ...wrong(attacker),
      scenario: 'uac-register-auth-expect-403.xml',
    }),
    'failure 1',
  );
  const tripping = await sippRegister(pbx.target, {
    ...wrong(attacker),
    scenario: 'uac-register-auth-expect-silence.xml',
  });
  expectOk(tripping, 'failure 2 unanswered');
  expect(tripping.statuses).toEqual([401]);
  await waitFor(
    'the block stored',
    async () => (await pbx.ctx.store.blocks.get(attacker)) !== undefined,
    5_000,
  );
  const block = await pbx.ctx.store.blocks.get(attacker);
  const silent = await sippRegister(pbx.target, {
    ...good(attacker),
    scenario: 'uac-register-expect-silence.xml',
  });
  expectOk(silent, 'no 401 while blocked');
  expect(silent.statuses).toEqual([]);
  // OPTIONS from the blocked address are dropped too: sipp gets nothing and times out.
  const options = await runSipp({
    scenario: scenario('uac-options-expect-200.xml'),
    target: pbx.target,
    localIp: attacker,
    timeoutMs: 1_000,
  });
  expect(options.code).not.toBe(0);
  expect(options.stderr + options.errors).not.toMatch(/SIP\/2\.0 \d{3}/);

  expectOk(
    await sippRegister(pbx.target, { tel: '201', password: 'secret201' }),
    'good phone while attacker blocked',
  );
  expect(block).toBeDefined();
  expect(registrarOf(pbx).admission(attacker)).toBe('drop');
  await waitFor(
    'the block to end',
    () => registrarOf(pbx).admission(attacker) === 'ok',
    block!.blockedUntil - Date.now() + 2_000,
  );
  expectOk(await sippRegister(pbx.target, good(attacker)), 'register after the block timer');
});

test('`pbx block remove` lifts a block within a second', async () => {
  await using pbx = await setup('response', 60);
  const attacker = '127.0.0.4';
  for (let i = 0; i < 2; i++) {
    expectOk(
      await sippRegister(pbx.target, {
        ...wrong(attacker),
        scenario: 'uac-register-auth-expect-403.xml',
      }),
      `failure ${i + 1}`,
    );
  }
  expectOk(
    await sippRegister(pbx.target, { ...good(attacker), scenario: 'uac-register-expect-403.xml' }),
    'blocked',
  );
  let out = '';
  const code = await runCli(['--db', pbx.dbPath, 'block', 'remove', attacker], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (out += s) },
    env: {},
  });
  expect({ code, out }).toEqual({ code: 0, out: `unblocked ${attacker}\n` });
  await pbx.changeApplied('blocks');
  expect(registrarOf(pbx).admission(attacker)).toBe('ok');
  expectOk(await sippRegister(pbx.target, good(attacker)), 'register after unblock');
});

test('a flood from a blocked address does not hold up a good phone', async () => {
  await using pbx = await setup('no-response', 60);
  const attacker = '127.0.0.5';
  expectOk(
    await sippRegister(pbx.target, {
      ...wrong(attacker),
      scenario: 'uac-register-auth-expect-403.xml',
    }),
    'failure 1',
  );
  expectOk(
    await sippRegister(pbx.target, {
      ...wrong(attacker),
      scenario: 'uac-register-auth-expect-silence.xml',
    }),
    'failure 2',
  );
  expect(await pbx.ctx.store.blocks.isBlocked(attacker)).toBe(true);
  const heapBefore = process.memoryUsage().heapUsed;
  // 3,000 REGISTERs at 1,000/s from the blocked address, each waiting 1 s for an answer it never gets.
  const flood = runSipp({
    scenario: scenario('uac-register-expect-silence.xml'),
    target: pbx.target,
    localIp: attacker,
    calls: 3_000,
    rate: 1_000,
    timeoutMs: 15_000,
    keys: { tel: '202', expires: '600', contact_host: attacker, contact_port: '5060', ua: 'flood' },
    extraArgs: ['-l', '1000', '-buff_size', '4194304'],
  });
  // Measure once the flood is in full swing at the PBX.
  // The SIP server drops the blocked address's packets before parsing (the registrar's list
  // mirrored into it), so its count of them is what grows.
  const dropped = async (): Promise<number> =>
    (await pbx.sipServer!.stats()).refusals['dropped-blocked-source'] ?? 0;
  const before = await dropped();
  await waitFor(
    'the flood to reach the PBX',
    async () => (await dropped()) - before >= 500,
    10_000,
  );
  // Registered within sipp's own answer timeout (how fast is the bench's business, not a test's).
  expectOk(
    await sippRegister(pbx.target, { tel: '201', password: 'secret201' }),
    'good phone during the flood',
  );
  const result = await flood;
  expect(result.code).toBe(0); // every flood request went unanswered
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
});

test('phones behind one NAT address: one phone with a wrong password is turned away alone, the others keep registering', async () => {
  await using pbx = await setup('response', 60);
  await pbx.ctx.store.stations.create(
    { tel: '203', password: 'secret203', useWhitelist: false },
    { realm: pbx.ctx.config.sip.domain },
  );
  const nat = '127.0.0.5';
  const since = Date.now();
  expectOk(
    await sippRegister(pbx.target, { tel: '201', password: 'secret201', localIp: nat }),
    '201 behind the NAT',
  );
  for (let i = 0; i < 2; i++)
    expectOk(
      await sippRegister(pbx.target, {
        ...wrong(nat),
        scenario: 'uac-register-auth-expect-403.xml',
      }),
      `202 wrong password ${i + 1}`,
    );
  // 202 from that address is refused without a challenge now, even with the right password...
  const refused = await sippRegister(pbx.target, {
    ...good(nat),
    scenario: 'uac-register-expect-403.xml',
  });
  expectOk(refused, '202 turned away');
  expect(refused.statuses).toEqual([403]);
  // ...while the address is not blocked: 201 and 203 behind it register.
  for (const tel of ['201', '203'])
    expectOk(
      await sippRegister(pbx.target, { tel, password: `secret${tel}`, localIp: nat }),
      `${tel} behind the NAT after 202's failures`,
    );
  expect(registrarOf(pbx).admission(nat)).toBe('ok');
  expect(await pbx.ctx.store.blocks.get(nat)).toBeUndefined();
  const log = await pbx.ctx.store.accessLog.list({ since, ip: nat });
  expect(log.map((e) => e.reason)).toContain(REASON.stationBlocked(2, '202'));
});

test('the white list overrides Comm Exclusive: failures from a listed address never block it', async () => {
  await using pbx = await setup('response', 60);
  const listed = '127.0.0.6';
  await pbx.ctx.store.whitelist.add(listed, 'office router');
  await pbx.changeApplied('whitelist');
  for (let i = 0; i < 3; i++)
    expectOk(
      await sippRegister(pbx.target, {
        ...wrong(listed),
        scenario: 'uac-register-auth-expect-403.xml',
      }),
      `wrong password ${i + 1} (challenged and refused each time, never blocked)`,
    );
  expect(registrarOf(pbx).admission(listed)).toBe('ok');
  expectOk(
    await sippRegister(pbx.target, good(listed)),
    'the right password from the listed address',
  );
});
