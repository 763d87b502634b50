/**
 * NAT Check with real sipp phones. A phone registers from port S with a Contact naming port C;
 * then the PBX sends it OPTIONS (`pbx.registrar.qualify`) and we see which port receives them:
 * NAT Check `ip` → the Contact's port C, `ip-port` → the packet's source port S. A Contact whose
 * address differs from the packet source marks the phone as behind NAT, capping its expiry to
 * the NAT Reg Expire Time.
 */
import type { NatCheck } from '@pbx/store';
import { expectOk, sippRegister } from '../helpers/register';
import { freePorts, startSippUas, scenario, type SippPeer } from '../helpers/sipp';
import { startTestPbx, type TestPbx } from '../helpers/start-test-pbx';

jest.setTimeout(60_000);

let pbx: TestPbx;

beforeAll(async () => {
  pbx = await startTestPbx();
  for (const [tel, natCheck] of [
    ['201', 'ip'],
    ['202', 'ip-port'],
    ['203', 'ip'],
  ] as const) {
    await pbx.ctx.store.stations.create(
      { tel, password: `secret${tel}`, useWhitelist: false, natCheck: natCheck as NatCheck },
      { realm: pbx.ctx.config.sip.domain },
    );
  }
});
afterAll(async () => {
  await pbx?.[Symbol.asyncDispose]();
});

async function whoAnswers(
  tel: string,
): Promise<{ source: boolean; contact: boolean; status: unknown }> {
  const [sourcePort, contactPort] = await freePorts(2);
  expectOk(
    await sippRegister(pbx.target, {
      tel,
      password: `secret${tel}`,
      localPort: sourcePort,
      contactPort,
    }),
    `register ${tel}`,
  );
  const reg = (await pbx.ctx.store.registrations.listByTel(tel))[0];
  expect(reg).toMatchObject({ sourcePort, contact: `sip:${tel}@127.0.0.1:${contactPort}` });
  // Two phones' worth of listeners: one on the packet's source port, one on the Contact's port.
  const peers: SippPeer[] = [];
  try {
    for (const port of [sourcePort!, contactPort!]) {
      peers.push(
        await startSippUas({
          scenario: scenario('uas-answer-options.xml'),
          localPort: port,
          timeoutMs: 10_000,
        }),
      );
    }
    const [result] = await pbx.registrar.qualify(tel, { timeoutMs: 3_000 });
    // The asked phone exits once it has answered its one OPTIONS (or at its own time limit);
    // the other one was never asked and is still waiting when stopped.
    const first = await Promise.race(
      peers.map((p, i) => p.done.then((r) => ({ i, ok: r.code === 0 && !r.killed }))),
    );
    const other = await peers[1 - first.i]!.stop();
    const answered = [false, false];
    answered[first.i] = first.ok;
    answered[1 - first.i] = other.code === 0 && !other.killed;
    return { source: answered[0]!, contact: answered[1]!, status: result?.status };
  } finally {
    for (const p of peers) await p.stop();
  }
}

test('NAT Check ip: requests go to the Contact address and port', async () => {
  expect(await whoAnswers('201')).toEqual({ source: false, contact: true, status: 200 });
});

test('NAT Check ip-port: requests go to the packet source when the Contact port differs', async () => {
  expect(await whoAnswers('202')).toEqual({ source: true, contact: false, status: 200 });
});

test('a Contact address other than the packet source gets the NAT Reg Expire Time; the same address the SIP Expire Time', async () => {
  const behind = await sippRegister(pbx.target, {
    tel: '203',
    password: 'secret203',
    expires: 3600,
    contactHost: '127.0.0.9',
  });
  expectOk(behind, 'register behind NAT');
  expect(behind.granted).toBe(60);
  const [reg] = await pbx.ctx.store.registrations.listByTel('203');
  expect(reg).toMatchObject({
    contact: 'sip:203@127.0.0.9:' + String(behind.localPort),
    sourceIp: '127.0.0.1',
    extra: { natted: true },
  });

  const direct = await sippRegister(pbx.target, {
    tel: '203',
    password: 'secret203',
    expires: 3600,
  });
  expectOk(direct, 'register without NAT');
  expect(direct.granted).toBe(600);
});
