/**
 * Basic calls through the B2BUA with sipp phones: caller name and number shown to the callee,
 * SDP passed through, busy, DND, unknown and unregistered numbers, CANCEL, BYE from either side,
 * ringing timeout, concurrent calls, and the call records they leave.
 */
import {
  bodyOf,
  expectPhoneOk,
  findReceived,
  headerOf,
  startCallsPbx,
  waitFor,
  type CallsPbx,
} from '../helpers/calls-harness';
import { expectOk, sippRegister } from '../helpers/register';
import { freePort } from '../helpers/sipp';

jest.setTimeout(60_000);

describe('basic calls', () => {
  let h: CallsPbx;

  beforeAll(async () => {
    h = await startCallsPbx();
    await h.station('201', { name: 'Alice' });
    await h.station('202', { name: 'Bob' });
    for (const tel of ['203', '204', '205', '206']) await h.station(tel);
    for (let i = 0; i < 10; i++) {
      await h.station(String(300 + i));
      await h.station(String(400 + i));
    }
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const lastCdr = async (tel: string) => {
    await h.settle();
    const list = await h.pbx.ctx.store.cdrs.list({ ext: tel, limit: 1 });
    return list[0];
  };

  test('the callee sees the calling name and number; SDP passes through; a record is written', async () => {
    const callee = await h.phone('202', 'uas-answer.xml');
    const caller = await h.call('201', '202', 'uac-invite-expect-200.xml', { pauseMs: 200 });
    expectPhoneOk(caller, 'caller 201');
    const calleeResult = await callee.done;
    expectPhoneOk(calleeResult, 'callee 202');

    const invite = findReceived(calleeResult, /^INVITE /);
    expect(headerOf(invite, 'From')).toMatch(/^"Alice" <sip:201@pbx\.local>;tag=/);
    expect(headerOf(invite, 'To')).toMatch(/^<sip:202@pbx\.local>/);
    // The caller's offer reaches the callee (its origin user and codecs), and back the answer.
    expect(bodyOf(invite)).toMatch(/^o=201 /m);
    expect(bodyOf(invite)).toContain('a=rtpmap:8 PCMA/8000');
    const ok = findReceived(caller, /^SIP\/2\.0 200 /);
    expect(bodyOf(ok)).toMatch(/^o=202 /m);
    expect(findReceived(caller, /^SIP\/2\.0 180 /)).toBeDefined();

    const cdr = await lastCdr('201');
    expect(cdr).toMatchObject({
      callerTel: '201',
      callerName: 'Alice',
      calleeTel: '202',
      dialled: '202',
      disposition: 'answered',
      hangupSide: 'caller',
      sipStatus: 200,
    });
    expect(cdr?.answerAt).not.toBeNull();
  });

  test('a station in a call is busy (486) and shows on its state; the callee may hang up first', async () => {
    const callee = await h.phone('204', 'uas-answer-send-bye.xml', { pauseMs: 1000 });
    const first = await h.startCall('203', '204', 'uac-invite-expect-200-recv-bye.xml');
    await waitFor('204 connected', () => h.cc.stations.peek('204')?.legs[0]?.state === 'confirmed');
    expect(h.cc.stations.peek('203')?.legs).toHaveLength(1);

    const busy = await h.call('205', '204', 'uac-invite-expect-486.xml');
    expectPhoneOk(busy, '205 calling busy 204');
    expectPhoneOk(await callee.done, 'callee 204 hanging up');
    expectPhoneOk(await first.done, 'caller 203 receiving BYE');
    await waitFor(
      'stations idle',
      () =>
        (h.cc.stations.peek('204')?.legs.length ?? 1) === 0 &&
        (h.cc.stations.peek('203')?.legs.length ?? 1) === 0,
    );
    await h.settle();
    const cdr = (await h.pbx.ctx.store.cdrs.list({ ext: '203', limit: 5 })).find(
      (c) => c.dialled === '204',
    );
    expect(cdr).toMatchObject({ disposition: 'answered', hangupSide: 'callee' });
    expect(await lastCdr('205')).toMatchObject({
      disposition: 'busy',
      sipStatus: 486,
      calleeTel: '204',
    });
  });

  test('DND: 486 without ringing the phone', async () => {
    await h.pbx.ctx.store.stations.update('206', { dnd: true }, { realm: 'pbx.local' });
    await h.cc.stations.load();
    const r = await h.call('205', '206', 'uac-invite-expect-486.xml');
    expectPhoneOk(r, 'call to DND station');
    expect(await lastCdr('205')).toMatchObject({ disposition: 'busy', calleeTel: '206' });
    await h.pbx.ctx.store.stations.update('206', { dnd: false }, { realm: 'pbx.local' });
    await h.cc.stations.load();
  });

  test('unknown number 404; a station that is not registered 480', async () => {
    expectPhoneOk(await h.call('205', '299', 'uac-invite-expect-404.xml'), 'unknown number');
    await h.unregister('206');
    expectPhoneOk(await h.call('205', '206', 'uac-invite-expect-480.xml'), 'unregistered station');
    expect(await lastCdr('205')).toMatchObject({
      disposition: 'rejected',
      sipStatus: 480,
      calleeTel: '206',
    });
  });

  test('an INVITE without SDP (delayed offer) is refused with 488 and recorded', async () => {
    expectPhoneOk(await h.call('205', '202', 'uac-invite-nosdp-expect-488.xml'), 'delayed offer');
    expect(await lastCdr('205')).toMatchObject({ sipStatus: 488, disposition: 'rejected' });
  });

  test('the caller hangs up while it rings: the callee gets CANCEL', async () => {
    const callee = await h.phone('202', 'uas-ring-expect-cancel.xml');
    const caller = await h.call('201', '202', 'uac-invite-cancel-expect-487.xml', { pauseMs: 300 });
    expectPhoneOk(caller, 'caller cancelling');
    expectPhoneOk(await callee.done, 'callee receiving CANCEL');
    expect(await lastCdr('201')).toMatchObject({
      disposition: 'cancelled',
      hangupSide: 'caller',
      calleeTel: '202',
    });
  });

  test('a phone that refuses by itself (486) makes the caller hear busy', async () => {
    const callee = await h.phone('202', 'uas-reject-486.xml');
    expectPhoneOk(await h.call('201', '202', 'uac-invite-expect-486.xml'), 'caller');
    expectPhoneOk(await callee.done, 'callee');
  });

  test('ringing timeout: the caller gets 480 and the callee CANCEL', async () => {
    const config = h.pbx.ctx.config;
    const before = config.features.ringingTimeout;
    config.features.ringingTimeout = 0.5;
    try {
      const callee = await h.phone('202', 'uas-ring-expect-cancel.xml');
      const started = Date.now();
      expectPhoneOk(await h.call('201', '202', 'uac-invite-expect-480.xml'), 'caller');
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expectPhoneOk(await callee.done, 'callee');
      expect(await lastCdr('201')).toMatchObject({
        disposition: 'no-answer',
        sipStatus: 480,
        hangupSide: 'system',
      });
    } finally {
      config.features.ringingTimeout = before;
    }
  });

  test('phones that registered with REGISTER (digest) call each other', async () => {
    const calleePort = await freePort('udp');
    const callerPort = await freePort('udp');
    await h.unregister('203');
    await h.unregister('205');
    expectOk(
      await sippRegister(h.pbx.target, {
        tel: '205',
        password: 'secret205',
        localPort: calleePort,
      }),
      'register 205',
    );
    expectOk(
      await sippRegister(h.pbx.target, {
        tel: '203',
        password: 'secret203',
        localPort: callerPort,
      }),
      'register 203',
    );
    const callee = await h.phone('205', 'uas-answer.xml', { port: calleePort, unregistered: true });
    expectPhoneOk(
      await h.call('203', '205', 'uac-invite-expect-200.xml', {
        port: callerPort,
        unregistered: true,
      }),
      'caller 203',
    );
    expectPhoneOk(await callee.done, 'callee 205');
  });

  test('ten calls at once each connect their own pair', async () => {
    const callees = await Promise.all(
      [...Array(10).keys()].map((i) => h.phone(String(400 + i), 'uas-answer.xml')),
    );
    const calls = await Promise.all(
      [...Array(10).keys()].map((i) =>
        h.call(String(300 + i), String(400 + i), 'uac-invite-expect-200.xml', { pauseMs: 500 }),
      ),
    );
    calls.forEach((r, i) => expectPhoneOk(r, `caller ${300 + i}`));
    const results = await Promise.all(callees.map((c) => c.done));
    results.forEach((r, i) => {
      expectPhoneOk(r, `callee ${400 + i}`);
      expect(headerOf(findReceived(r, /^INVITE /), 'From')).toContain(`sip:${300 + i}@`);
    });
    await waitFor('no calls left', () => h.cc.env.registry.size === 0);
  });
});
