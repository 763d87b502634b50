/**
 * Trunks leave the provider's registrar (REGISTER with `Expires: 0`, digest answered) when they
 * are removed, when their registration is turned off and when the PBX stops; a dead provider
 * does not hold up the PBX's shutdown. Kamailio as the provider: its log shows the REGISTERs and
 * its location table decides whether a DID call still finds the PBX (480 once unregistered).
 */
import { expectPhoneOk, startCallsPbx, waitFor } from '../helpers/calls-harness';
import { startKamailio } from '../helpers/kamailio';
import { runSipp, scenario } from '../helpers/sipp';
import {
  KAM_IP,
  NUMBER,
  PASSWORD,
  PSTN_IP,
  USER,
  mainTrunk,
  world,
  type World,
} from '../helpers/trunk-world';

jest.setTimeout(90_000);

/** The authenticated REGISTERs Kamailio saw with `Expires: 0`. */
const unregisters = (w: World): string[] =>
  w.kam
    .requests()
    .filter((l) => l.startsWith('REQ REGISTER') && l.includes(`au=${USER}`) && / exp=0$/.test(l));

/** A call from the PSTN to a DID of the trunk; Kamailio answers 480 when no trunk is registered. */
const didCall = (w: World, expectStatus: 200 | 480) =>
  runSipp({
    scenario: scenario(expectStatus === 200 ? 'uac-pstn-invite.xml' : 'uac-invite-expect-480.xml'),
    target: `${KAM_IP}:${w.kam.port}`,
    service: '0398720001',
    localIp: PSTN_IP,
    timeoutMs: 20_000,
    keys: { cid: NUMBER, tel: NUMBER, name: 'PSTN' },
    extraArgs: ['-d', '300'],
  });

describe('trunk unregistration', () => {
  it('unregisters a removed trunk: the provider then refuses its DIDs (480)', async () => {
    await using w = await world();
    await mainTrunk(w);
    const store = w.h.pbx.ctx.store;
    await w.h.station('201');
    await store.trunks.setDid({ did: '0398720001', trunk: 'main', target: '201' });
    await w.h.pbx.changeApplied('trunks');
    const phone = await w.h.phone('201', 'uas-answer.xml');
    expectPhoneOk(await didCall(w, 200), 'PSTN caller (registered)');
    expectPhoneOk(await phone.done, 'station 201');
    expect(unregisters(w)).toEqual([]);

    await store.trunks.remove('main');
    await w.h.pbx.changeApplied('trunks');
    await waitFor('REGISTER Expires: 0', () => unregisters(w).length === 1, 10_000);
    // Over the trunk's transport, digest answered (the au= line is the authenticated retry).
    expect(unregisters(w)[0]).toMatch(/from 127\.0\.0\.1:\d+\/tcp au=/);
    expectPhoneOk(await didCall(w, 480), 'PSTN caller (trunk gone)');
  });

  it('unregisters when registration is turned off, and registers again when it is turned on', async () => {
    await using w = await world();
    await mainTrunk(w);
    const store = w.h.pbx.ctx.store;
    await store.trunks.update('main', { register: false });
    await w.h.pbx.changeApplied('trunks');
    await waitFor('REGISTER Expires: 0', () => unregisters(w).length === 1, 10_000);
    expectPhoneOk(await didCall(w, 480), 'PSTN caller (registration off)');
    await store.trunks.update('main', { register: true });
    await w.h.pbx.changeApplied('trunks');
    await waitFor(
      'registered again',
      async () => (await store.trunks.statuses())[0]?.state === 'registered',
      10_000,
    );
  });

  it('unregisters a disabled trunk, which then carries no calls, and registers it when enabled', async () => {
    await using w = await world();
    await mainTrunk(w);
    const store = w.h.pbx.ctx.store;
    await w.h.station('201');
    await store.trunks.update('main', { enabled: false });
    await w.h.pbx.changeApplied('trunks');
    await waitFor('REGISTER Expires: 0', () => unregisters(w).length === 1, 10_000);
    expectPhoneOk(await didCall(w, 480), 'PSTN caller (trunk disabled)');
    // No trunk left to call out on: 404, and nothing reaches the provider.
    const out = await w.h.call('201', `9${NUMBER}`, 'uac-invite-expect-404.xml');
    expectPhoneOk(out, 'station 201 (no trunk)');
    expect(w.kam.requests().filter((l) => l.startsWith('REQ INVITE'))).toEqual([
      expect.stringContaining('from 127.0.0.13:'),
    ]);
    await store.trunks.update('main', { enabled: true });
    await w.h.pbx.changeApplied('trunks');
    await waitFor(
      'registered again',
      async () => (await store.trunks.statuses())[0]?.state === 'registered',
      10_000,
    );
    expectPhoneOk(await w.h.call('201', `9${NUMBER}`, 'uac-invite-expect-200.xml'), 'out again');
  });

  it('unregisters every trunk when the PBX stops', async () => {
    await using w = await world();
    await mainTrunk(w);
    await w.h.pbx.stop();
    // stop() waited for the answer, so the REGISTER is in Kamailio's log already (or just about
    // to be printed).
    await waitFor('REGISTER Expires: 0', () => unregisters(w).length === 1, 5_000);
  });
});

describe('shutdown with a dead provider', () => {
  it('does not wait for an unanswered unregistration longer than the bound', async () => {
    await using h = await startCallsPbx({
      overrides: (c) => {
        c.trunks.registerRetryMin = 0.3;
        c.trunks.registerRetryMax = 1;
      },
    });
    const kam = await startKamailio({
      ip: KAM_IP,
      pbxIp: '127.0.0.1',
      user: USER,
      password: PASSWORD,
      gatewayA: 'sip:127.0.0.11:5999',
      gatewayB: 'sip:127.0.0.12:5999',
    });
    const store = h.pbx.ctx.store;
    try {
      // UDP: nothing tells the PBX that the provider has gone; only the bound ends the wait.
      await store.trunks.create({
        name: 'main',
        host: KAM_IP,
        port: kam.port,
        transport: 'udp',
        username: USER,
        password: PASSWORD,
      });
      await h.pbx.changeApplied('trunks');
      await waitFor(
        'registered',
        async () => (await store.trunks.statuses())[0]?.state === 'registered',
        10_000,
      );
    } finally {
      await kam.stop();
    }
    const started = Date.now();
    await h.pbx.stop();
    const took = Date.now() - started;
    // The bound is 2 s; the rest of the shutdown takes well under a second.
    expect(took).toBeGreaterThanOrEqual(1_900);
    expect(took).toBeLessThan(6_000);
  });
});
