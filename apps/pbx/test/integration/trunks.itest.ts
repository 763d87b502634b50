/**
 * Trunks against real peers: Kamailio as the provider's registrar (digest) and record-routing
 * proxy (407 on INVITE), sipp UAS as its PSTN gateways, sipp UAC as a PSTN caller, sipp phones as
 * stations; everything on 127.0.0.x. Asserts what the wire shows, the call records in SQLite,
 * and `pbx trunk list`.
 */
import { expectPhoneOk, findReceived, headerOf, waitFor } from '../helpers/calls-harness';
import { runSipp, scenario } from '../helpers/sipp';
import {
  KAM_IP,
  NUMBER,
  PASSWORD,
  PSTN_IP,
  USER,
  mainTrunk,
  pbxCli,
  records,
  world,
  type World,
} from '../helpers/trunk-world';

jest.setTimeout(90_000);

describe('trunk registration', () => {
  it('registers over TCP with digest, the provider accepts it, and pbx trunk list says so', async () => {
    await using w = await world();
    await mainTrunk(w);
    const regs = w.kam.requests().filter((l) => l.startsWith('REQ REGISTER'));
    // First without credentials (401), then with the digest for the account, over TCP.
    expect(regs[0]).toMatch(/from 127\.0\.0\.1:\d+\/tcp au=<null>/);
    expect(regs[1]).toContain(`/tcp au=${USER}`);
    const list = await pbxCli(w.h, 'trunk', 'list');
    expect(list).toMatch(
      /│ main\s+│ 127\.0\.0\.10:\d+\/tcp\s+│ 0399990000 │ registered \((\d+h )?\d+m( \d+s)? left\)\s+│ -/,
    );
  });
});

describe('trunk registration failure and recovery', () => {
  it('backs off on a refused password, shows the error, and registers once the password is right', async () => {
    await using w = await world();
    const store = w.h.pbx.ctx.store;
    await store.trunks.create({
      name: 'main',
      host: KAM_IP,
      port: w.kam.port,
      transport: 'udp',
      username: USER,
      password: 'wrong-password',
    });
    await w.h.pbx.changeApplied('trunks');
    await waitFor(
      'registration failed',
      async () => (await store.trunks.statuses()).some((s) => s.state === 'failed'),
      8_000,
    );
    // Back-off: more attempts follow (0.3 s, then 0.6 s, capped at 1 s), each one refused.
    await waitFor(
      'retries',
      () =>
        w.kam.requests().filter((l) => l.includes(`REGISTER`) && l.includes(`au=${USER}`)).length >=
        3,
      8_000,
    );
    const failed = (await store.trunks.statuses())[0];
    expect(failed?.lastError).toMatch(/^401 /);
    expect(await pbxCli(w.h, 'trunk', 'list')).toMatch(
      /│ (failed \(retry in \d+s\)|registering)\s+│ 401 Unauthorized/,
    );
    await store.trunks.update('main', { password: PASSWORD });
    await w.h.pbx.changeApplied('trunks');
    await waitFor(
      'registered after the fix',
      async () => (await store.trunks.statuses())[0]?.state === 'registered',
      8_000,
    );
    expect((await store.trunks.statuses())[0]?.lastError).toBe('');
  });
});

describe('outgoing trunk calls', () => {
  it('goes out through the proxy with digest on the 407, honours its Record-Route, and records the call', async () => {
    await using w = await world();
    await mainTrunk(w, { callerId: '0399990001' });
    await w.h.station('201', { name: 'Alice' });
    const r = await w.h.call('201', `9${NUMBER}`, 'uac-invite-expect-200.xml', { pauseMs: 300 });
    expectPhoneOk(r, 'station 201');
    const gw = await w.gwA.done;
    expectPhoneOk(gw, 'gateway A');
    const invite = findReceived(gw, /^INVITE /);
    // The digits the provider receives: the number without the trunk access code.
    expect(invite?.split('\r\n')[0]).toMatch(
      new RegExp(`^INVITE sip:${NUMBER}@${KAM_IP.replace(/\./g, '\\.')}`),
    );
    expect(headerOf(invite, 'From')).toMatch(/<sip:0399990001@127\.0\.0\.10>/);
    // 407 then the INVITE with credentials, through Kamailio.
    const invites = w.kam.requests().filter((l) => l.startsWith('REQ INVITE'));
    expect(invites[0]).toContain('au=<null>');
    expect(invites[1]).toContain(`au=${USER}`);
    // Record-Route honoured: the ACK and the BYE reached the gateway through Kamailio.
    for (const method of ['ACK', 'BYE']) {
      const m = findReceived(gw, new RegExp(`^${method} `));
      expect(headerOf(m, 'Via')).toContain(KAM_IP);
    }
    expect(w.kam.requests().some((l) => l.startsWith('REQ BYE'))).toBe(true);
    const rec = (await records(w.h)).at(-1);
    expect(rec).toMatchObject({
      callerTel: '201',
      calleeTel: NUMBER,
      dialled: `9${NUMBER}`,
      disposition: 'answered',
      trunk: 'main',
      account: '201',
    });
  });

  it('lets only registered stations call out (by source IP): others get 403 and nothing reaches the provider', async () => {
    await using w = await world();
    await mainTrunk(w);
    await w.h.station('201');
    const r = await w.h.call('201', `9${NUMBER}`, 'uac-invite-expect-403.xml', {
      unregistered: true,
      ip: '127.0.0.2',
    });
    expectPhoneOk(r, 'unregistered 201');
    expect(w.kam.requests().some((l) => l.startsWith('REQ INVITE'))).toBe(false);
  });

  it('fails over to the second trunk on 503', async () => {
    await using w = await world('uas-gateway-answer.xml', 'uas-gateway-503.xml');
    await mainTrunk(w);
    const store = w.h.pbx.ctx.store;
    // "cheap": IP-authenticated, through Kamailio's second port, whose gateway answers 503.
    await store.trunks.create({
      name: 'cheap',
      host: KAM_IP,
      port: w.kam.ipAuthPort,
      register: false,
    });
    await store.trunks.setRoute({
      prefix: '03',
      trunk: 'cheap',
      priority: 1,
      strip: 0,
      addPrefix: '',
    });
    await store.trunks.setRoute({
      prefix: '03',
      trunk: 'main',
      priority: 2,
      strip: 0,
      addPrefix: '',
    });
    await w.h.pbx.changeApplied('trunks');
    await w.h.station('201');
    const r = await w.h.call('201', `9${NUMBER}`, 'uac-invite-expect-200.xml', { pauseMs: 300 });
    expectPhoneOk(r, 'station 201');
    const b = await w.gwB.done;
    expectPhoneOk(b, 'gateway B (503)');
    expect(findReceived(b, /^INVITE /)?.split('\r\n')[0]).toContain(`sip:${NUMBER}@`);
    expectPhoneOk(await w.gwA.done, 'gateway A (answered)');
    const rec = (await records(w.h)).at(-1);
    expect(rec).toMatchObject({ disposition: 'answered', trunk: 'main', calleeTel: NUMBER });
  });

  it('fails over to the next trunk when a provider does not answer within trunks.inviteTimeout', async () => {
    await using w = await world('uas-gateway-answer.xml', 'uas-gateway-silent.xml', (c) => {
      c.trunks.inviteTimeout = 1;
    });
    await mainTrunk(w);
    const store = w.h.pbx.ctx.store;
    await store.trunks.create({
      name: 'slow',
      host: KAM_IP,
      port: w.kam.ipAuthPort,
      register: false,
    });
    await store.trunks.setRoute({
      prefix: '',
      trunk: 'slow',
      priority: 1,
      strip: 0,
      addPrefix: '',
    });
    await store.trunks.setRoute({
      prefix: '',
      trunk: 'main',
      priority: 2,
      strip: 0,
      addPrefix: '',
    });
    await w.h.pbx.changeApplied('trunks');
    await w.h.station('201');
    const started = Date.now();
    const r = await w.h.call('201', `9${NUMBER}`, 'uac-invite-expect-200.xml', { pauseMs: 300 });
    expectPhoneOk(r, 'station 201');
    const b = await w.gwB.done;
    expectPhoneOk(b, 'gateway B (silent, cancelled)');
    expect(findReceived(b, /^CANCEL /)).toBeDefined();
    expectPhoneOk(await w.gwA.done, 'gateway A');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect((await records(w.h)).at(-1)).toMatchObject({ trunk: 'main', disposition: 'answered' });
  });

  it('goes through the outbound proxy to a provider known only by its domain, and can hide the caller', async () => {
    await using w = await world();
    const store = w.h.pbx.ctx.store;
    await store.trunks.create({
      name: 'viaproxy',
      host: 'itsp.test',
      port: w.kam.port,
      transport: 'udp',
      outboundProxy: `${KAM_IP}:${w.kam.port}`,
      username: USER,
      password: PASSWORD,
      anonymous: true,
      callerId: '0399990001',
    });
    await w.h.pbx.changeApplied('trunks');
    await waitFor(
      'registered through the proxy',
      async () => (await store.trunks.statuses())[0]?.state === 'registered',
      8_000,
    );
    expect(w.kam.requests().find((l) => l.includes(`au=${USER}`))).toMatch(
      /^REQ REGISTER sip:itsp\.test:\d+ from 127\.0\.0\.1:\d+\/udp/,
    );
    await w.h.station('201');
    const r = await w.h.call('201', `9${NUMBER}`, 'uac-invite-expect-200.xml', { pauseMs: 300 });
    expectPhoneOk(r, 'station 201');
    const invite = findReceived(await w.gwA.done, /^INVITE /);
    expect(invite?.split('\r\n')[0]).toMatch(new RegExp(`^INVITE sip:${NUMBER}@itsp\\.test`));
    expect(headerOf(invite, 'From')).toMatch(/^"Anonymous" <sip:anonymous@anonymous\.invalid>/);
    expect(headerOf(invite, 'Privacy')).toBe('id');
    expect(headerOf(invite, 'P-Asserted-Identity')).toBe('<sip:0399990001@itsp.test>');
  });

  it('Insert Trunk Type OUTGOING: numbers longer than 4 digits get the code, 4 digits do not', async () => {
    await using w = await world();
    await mainTrunk(w);
    await w.h.station('201', { insertTrunkType: 'outgoing', insertTrunkPort: '9' });
    const r = await w.h.call('201', NUMBER, 'uac-invite-expect-200.xml', { pauseMs: 300 });
    expectPhoneOk(r, 'station 201 dialling without the code');
    const gw = await w.gwA.done;
    expect(findReceived(gw, /^INVITE /)?.split('\r\n')[0]).toMatch(
      new RegExp(`^INVITE sip:${NUMBER}@`),
    );
    const short = await w.h.call('201', '5678', 'uac-invite-expect-404.xml');
    expectPhoneOk(short, '4 digits: no code added, unknown number');
    const recs = await records(w.h);
    expect(recs.map((c) => [c.dialled, c.trunk, c.sipStatus])).toEqual([
      [NUMBER, 'main', 200],
      ['5678', null, 404],
    ]);
  });

  it('auth code dialling: auth feature code + auth code + trunk code + number in one INVITE, billed to the code', async () => {
    await using w = await world();
    await mainTrunk(w);
    await w.h.pbx.ctx.store.billing.addAuthCode({ code: '4321', account: 'sales', note: '' });
    await w.h.pbx.changeApplied('trunks');
    await w.h.station('201');
    const r = await w.h.call('201', `1643219${NUMBER}`, 'uac-invite-expect-200.xml', {
      pauseMs: 300,
    });
    expectPhoneOk(r, 'station 201');
    const gw = await w.gwA.done;
    expect(findReceived(gw, /^INVITE /)?.split('\r\n')[0]).toMatch(
      new RegExp(`^INVITE sip:${NUMBER}@`),
    );
    const bad = await w.h.call('201', `16999${'9'}${NUMBER}`, 'uac-invite-expect-403.xml');
    expectPhoneOk(bad, 'unknown auth code');
    const recs = await records(w.h);
    expect(recs.map((c) => [c.dialled, c.account, c.trunk, c.sipStatus])).toEqual([
      [`1643219${NUMBER}`, 'sales', 'main', 200],
      [`169999${NUMBER}`, null, null, 403],
    ]);
  });
});

describe('forwards and channels on trunks', () => {
  it('passes Diversion on when a forwarded call leaves on a trunk, billed to the forwarding station', async () => {
    await using w = await world();
    await mainTrunk(w);
    await w.h.station('201');
    await w.h.station('202', { forwardAll: `9${NUMBER}` });
    const r = await w.h.call('201', '202', 'uac-invite-expect-200.xml', { pauseMs: 300 });
    expectPhoneOk(r, 'station 201');
    const gw = await w.gwA.done;
    expectPhoneOk(gw, 'gateway A');
    const invite = findReceived(gw, /^INVITE /);
    expect(invite?.split('\r\n')[0]).toMatch(new RegExp(`^INVITE sip:${NUMBER}@`));
    expect(headerOf(invite, 'Diversion')).toBe(
      '<sip:202@pbx.local>;reason=unconditional;counter=1',
    );
    const rec = (await records(w.h)).at(-1);
    expect(rec).toMatchObject({
      callerTel: '201',
      dialled: '202',
      forwardedFrom: '202',
      forwardReason: 'unconditional',
      trunk: 'main',
      account: '202',
      disposition: 'answered',
    });
  });

  it("refuses a call beyond the trunk's maximum channels (503) while the first one talks", async () => {
    await using w = await world();
    await mainTrunk(w, { maxChannels: 1 });
    await w.h.station('201');
    await w.h.station('202');
    const first = await w.h.startCall('201', `9${NUMBER}`, 'uac-invite-expect-200.xml', {
      pauseMs: 2_000,
    });
    await waitFor('first call connected', () =>
      w.h.cc.env.registry.all().some((c) => c.connection !== undefined),
    );
    const second = await w.h.call('202', `9${NUMBER}`, 'uac-invite-expect-503.xml');
    expectPhoneOk(second, 'second call');
    expectPhoneOk(await first.done, 'first call');
    // A connected call's record is written when it connects, so the two rows are in no fixed order.
    const recs = await records(w.h);
    const rows = recs.map((c) => [c.callerTel, c.sipStatus, c.disposition]);
    expect(rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ['201', 200, 'answered'],
      ['202', 503, 'failed'],
    ]);
  });
});

describe('billing', () => {
  it('rates the call, refuses a prepaid account that cannot pay, and cuts a prepaid call at the right second', async () => {
    // No warning tone (trunks-prepaid-warning.itest.ts has it): the phone expects no re-INVITE.
    await using w = await world('uas-gateway-answer.xml', 'uas-gateway-answer.xml', (c) => {
      c.trunks.prepaidWarning = 0;
    });
    await mainTrunk(w);
    const store = w.h.pbx.ctx.store;
    // 0.60 a minute, per second: 0.01 a second; 0.02 pays exactly 2 s.
    await store.billing.replaceRates([
      { prefix: '03', perMinute: 600_000, minSeconds: 0, incrementSeconds: 1, setupFee: 0 },
    ]);
    await store.billing.createAccount({ id: '201', kind: 'prepaid' });
    await store.billing.createAccount({ id: '202', kind: 'prepaid' });
    await store.billing.post('201', 20_000, { note: 'top-up' });
    await store.billing.post('202', 9_999, { note: 'top-up' });
    await w.h.station('201');
    await w.h.station('202');
    const poor = await w.h.call('202', `9${NUMBER}`, 'uac-invite-expect-402.xml');
    expectPhoneOk(poor, 'station 202 (balance too low)');
    const r = await w.h.call('201', `9${NUMBER}`, 'uac-invite-expect-200-recv-bye.xml', {
      timeoutMs: 15_000,
    });
    expectPhoneOk(r, 'station 201 (cut)');
    expectPhoneOk(await w.gwA.done, 'gateway A (BYE from the PBX)');
    const recs = await records(w.h);
    const refused = recs.find((c) => c.callerTel === '202');
    expect(refused).toMatchObject({ sipStatus: 402, account: '202', trunk: null });
    const cut = recs.find((c) => c.callerTel === '201');
    expect(cut).toMatchObject({
      disposition: 'answered',
      trunk: 'main',
      account: '201',
      charge: 20_000,
    });
    expect(cut?.note).toContain('prepaid balance spent');
    const talk = (cut?.endAt ?? 0) - (cut?.answerAt ?? 0);
    expect(talk).toBeGreaterThanOrEqual(2_000);
    expect(talk).toBeLessThan(2_600);
    await w.h.cc.trunks.billing.flush();
    expect((await store.billing.account('201'))?.balance).toBe(0);
  });
});

describe('incoming trunk calls', () => {
  const pstnCall = (w: World, did: string, cid = NUMBER, expect200 = true) =>
    runSipp({
      scenario: scenario(expect200 ? 'uac-pstn-invite.xml' : 'uac-invite-expect-404.xml'),
      target: `${KAM_IP}:${w.kam.port}`,
      service: did,
      localIp: PSTN_IP,
      timeoutMs: 20_000,
      traceMessages: true,
      keys: { cid, tel: cid, name: 'PSTN' },
      extraArgs: ['-d', '300'],
    });

  it("rings the DID's station with the Insert Trunk Port before the caller ID in From and Contact", async () => {
    await using w = await world();
    await mainTrunk(w);
    await w.h.station('201', { insertTrunkType: 'incoming', insertTrunkPort: '802' });
    await w.h.pbx.ctx.store.trunks.setDid({ did: '0398720001', trunk: 'main', target: '201' });
    await w.h.pbx.changeApplied('trunks');
    const phone = await w.h.phone('201', 'uas-answer.xml');
    const caller = await pstnCall(w, '0398720001');
    expectPhoneOk(caller, 'PSTN caller');
    const seen = await phone.done;
    expectPhoneOk(seen, 'station 201');
    const invite = findReceived(seen, /^INVITE /);
    expect(headerOf(invite, 'From')).toMatch(/<sip:8020398722900@/);
    expect(headerOf(invite, 'Contact')).toMatch(/<sip:8020398722900@127\.0\.0\.1:\d+/);
    const rec = (await records(w.h)).at(-1);
    expect(rec).toMatchObject({
      callerTel: NUMBER,
      calleeTel: '201',
      dialled: '0398720001',
      trunk: 'main',
      disposition: 'answered',
    });
  });

  it("sends an unknown DID to the operator when configured, with the target's forward applied", async () => {
    await using w = await world('uas-gateway-answer.xml', 'uas-gateway-answer.xml', (c) => {
      c.trunks.unknownDid = 'operator';
      c.trunks.operator = '200';
    });
    await mainTrunk(w);
    await w.h.station('200', { forwardAll: '201' });
    await w.h.station('201');
    const phone = await w.h.phone('201', 'uas-answer.xml');
    const caller = await pstnCall(w, '0398729999');
    expectPhoneOk(caller, 'PSTN caller');
    const seen = await phone.done;
    expectPhoneOk(seen, 'station 201 (operator forwarded)');
    const invite = findReceived(seen, /^INVITE /);
    expect(headerOf(invite, 'From')).toMatch(new RegExp(`<sip:${NUMBER}@`));
    expect(headerOf(invite, 'Diversion')).toBe(
      '<sip:200@pbx.local>;reason=unconditional;counter=1',
    );
    expect((await records(w.h)).at(-1)).toMatchObject({
      dialled: '0398729999',
      calleeTel: '201',
      forwardedFrom: '200',
      trunk: 'main',
      disposition: 'answered',
    });
  });

  it("rings a ring group for its DID, with a member's DND applied", async () => {
    await using w = await world();
    await mainTrunk(w);
    await w.h.station('201');
    await w.h.station('202', { dnd: true });
    await w.h.pbx.ctx.store.ringGroups.create({ number: '500', members: ['202', '201'] });
    await w.h.cc.plan.reload();
    await w.h.pbx.ctx.store.trunks.setDid({ did: '0398720500', trunk: 'main', target: '500' });
    await w.h.pbx.changeApplied('trunks');
    // 202 is on DND, so only 201 rings.
    const phone = await w.h.phone('201', 'uas-answer.xml');
    const caller = await pstnCall(w, '0398720500');
    expectPhoneOk(caller, 'PSTN caller');
    expectPhoneOk(await phone.done, 'station 201 (group member)');
    expect((await records(w.h)).at(-1)).toMatchObject({
      dialled: '0398720500',
      calleeTel: '201',
      trunk: 'main',
      disposition: 'answered',
    });
  });

  it('refuses a provider INVITE without SDP (delayed offer) with 488, the station never rings', async () => {
    await using w = await world();
    await mainTrunk(w);
    await w.h.station('201');
    await w.h.pbx.ctx.store.trunks.setDid({ did: '0398720001', trunk: 'main', target: '201' });
    await w.h.pbx.changeApplied('trunks');
    const phone = await w.h.phone('201', 'uas-answer.xml', { timeoutMs: 15_000 });
    const caller = await runSipp({
      scenario: scenario('uac-invite-nosdp-expect-488.xml'),
      target: `${KAM_IP}:${w.kam.port}`,
      service: '0398720001',
      localIp: PSTN_IP,
      timeoutMs: 20_000,
      keys: { tel: NUMBER },
    });
    expectPhoneOk(caller, 'PSTN caller (488 relayed by the provider)');
    expect((await records(w.h)).at(-1)).toMatchObject({
      dialled: '0398720001',
      sipStatus: 488,
      trunk: 'main',
      disposition: 'rejected',
      note: 'INVITE without SDP (delayed offer) not supported',
    });
    // The station got nothing: its UAS scenario still waits for an INVITE.
    await phone.stop();
    expect(findReceived(await phone.done, /^INVITE /)).toBeUndefined();
  });

  it('refuses an unknown DID (404) and a DID call from an address that is no trunk (403)', async () => {
    await using w = await world();
    await mainTrunk(w);
    await w.h.station('201');
    const unknown = await pstnCall(w, '0398729999', NUMBER, false);
    expectPhoneOk(unknown, 'unknown DID');
    await w.h.pbx.ctx.store.trunks.setDid({ did: '0398720001', trunk: 'main', target: '201' });
    await w.h.pbx.changeApplied('trunks');
    // Straight to the PBX from an address no trunk lists.
    const stranger = await runSipp({
      scenario: scenario('uac-invite-expect-403.xml'),
      target: w.h.pbx.target,
      service: '0398720001',
      localIp: PSTN_IP,
      timeoutMs: 10_000,
      keys: { tel: NUMBER, name: 'Stranger' },
    });
    expectPhoneOk(stranger, 'stranger');
    const recs = await records(w.h);
    expect(recs.map((c) => [c.dialled, c.sipStatus, c.trunk])).toEqual([
      ['0398729999', 404, 'main'],
      ['0398720001', 403, null],
    ]);
  });
});
