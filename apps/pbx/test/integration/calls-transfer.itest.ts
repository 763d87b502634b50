/**
 * Transfer: blind REFER, attended REFER with Replaces, the OfficeServ hang-up transfer (after the
 * second call answered, and while it still rings), and consultation toggling between two calls.
 * NOTIFY message/sipfrag progress goes to the transferor.
 */
import {
  bodyOf,
  expectPhoneOk,
  findReceived,
  headerOf,
  received,
  startCallsPbx,
  waitFor,
  type CallsPbx,
} from '../helpers/calls-harness';
import { freePort, type SippResult } from '../helpers/sipp';

jest.setTimeout(60_000);

describe('transfer', () => {
  let h: CallsPbx;

  beforeAll(async () => {
    h = await startCallsPbx();
    await h.station('201', { name: 'Alice' });
    await h.station('202', { name: 'Bob' });
    await h.station('203');
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const origins = (r: SippResult): Array<string | undefined> =>
    received(r)
      .filter((m) => m.startsWith('INVITE '))
      .map((m) => /^o=(\d+) /m.exec(bodyOf(m))?.[1]);
  const notifies = (r: SippResult): string[] =>
    received(r)
      .filter((m) => m.startsWith('NOTIFY '))
      .map((m) => bodyOf(m).split(/\r?\n/)[0] ?? '');
  const held = (n: number) => () => h.cc.env.registry.heldCalls('201').length === n;
  /**
   * The answered call 201 transferred from `callerTel` to `calleeTel`, once written: the phones
   * may finish before the PBX has seen the last answer of the call (more so with the SIP server
   * in its own thread), and an earlier test's transfer record must not be taken for it.
   */
  const transferRecord = async (callerTel: string, calleeTel: string) => {
    const find = async () => {
      await h.settle();
      return (await h.pbx.ctx.store.cdrs.list({ ext: '201', limit: 10 })).find(
        (c) =>
          c.transferredBy === '201' &&
          c.disposition === 'answered' &&
          c.callerTel === callerTel &&
          c.calleeTel === calleeTel &&
          !seenRecords.has(c.id),
      );
    };
    await waitFor(`the transfer record ${callerTel} → ${calleeTel}`, async () => !!(await find()));
    const record = (await find())!;
    seenRecords.add(record.id);
    return record;
  };
  const seenRecords = new Set<unknown>();

  test('blind REFER: the transferee is offered to the target; NOTIFY 100, 180, 200; the transferor gets BYE', async () => {
    const b = await h.phone('202', 'uas-held-then-reconnected.xml', { pauseMs: 300 });
    const c = await h.phone('203', 'uas-answer.xml');
    const a = await h.call('201', '202', 'uac-invite-hold-refer-blind.xml', {
      keys: { target: '203' },
    });
    expectPhoneOk(a, 'transferor 201');
    expect(notifies(a)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
    const last = received(a)
      .filter((m) => m.startsWith('NOTIFY '))
      .pop();
    expect(headerOf(last, 'Subscription-State')).toMatch(/^terminated/);
    expect(headerOf(last, 'Content-Type')).toMatch(/^message\/sipfrag/);
    const br = await b.done;
    expectPhoneOk(br, 'transferee 202');
    expect(origins(br)[2]).toBe('203');
    const cr = await c.done;
    expectPhoneOk(cr, 'target 203');
    const invite = findReceived(cr, /^INVITE /);
    expect(headerOf(invite, 'From')).toMatch(/^"Bob" <sip:202@pbx\.local>/);
    expect(headerOf(invite, 'Referred-By')).toBe('<sip:201@pbx.local>');
    expect(bodyOf(invite)).toMatch(/^o=202 /m);
    expect(bodyOf(invite)).toContain('a=sendrecv');
    expect(await transferRecord('202', '203')).toMatchObject({
      callerTel: '202',
      calleeTel: '203',
    });
  });

  test('blind REFER to a station in DND: NOTIFY 486, the transferee stays with the transferor', async () => {
    await h.pbx.ctx.store.stations.update('203', { dnd: true }, { realm: 'pbx.local' });
    await h.cc.stations.load();
    try {
      const b = await h.phone('202', 'uas-hold-resume.xml');
      const a = await h.call('201', '202', 'uac-invite-hold-refer-expect-failure.xml', {
        keys: { target: '203' },
      });
      expectPhoneOk(a, 'transferor 201');
      expect(notifies(a)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 486 Busy Here']);
      expectPhoneOk(await b.done, 'transferee 202 resumed and hung up by 201');
    } finally {
      await h.pbx.ctx.store.stations.update('203', { dnd: false }, { realm: 'pbx.local' });
      await h.cc.stations.load();
    }
  });

  test("attended REFER with Replaces joins the two remote parties and ends both of the transferor's calls", async () => {
    const b = await h.phone('202', 'uas-held-then-reconnected.xml', { pauseMs: 300 });
    const c = await h.phone('203', 'uas-answer-expect-reinvite.xml');
    const first = await h.startCall('201', '202', 'uac-invite-hold-expect-bye.xml');
    await waitFor('202 held', held(1));
    const d = h.cc.stations.peek('201')!.legs[0]!.dialog;
    const replaces = encodeURIComponent(`${d.callId};to-tag=${d.remoteTag};from-tag=${d.localTag}`);
    const second = await h.call('201', '203', 'uac-invite-refer-replaces.xml', {
      pauseMs: 100,
      keys: { target: '202', replaces },
    });
    expectPhoneOk(second, 'transferor second call');
    expect(notifies(second)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    expectPhoneOk(await first.done, 'transferor first call gets BYE');
    const br = await b.done;
    expectPhoneOk(br, '202');
    expect(origins(br)[2]).toBe('203');
    const cr = await c.done;
    expectPhoneOk(cr, '203');
    expect(origins(cr).slice(-1)[0]).toBe('202');
  });

  test('OfficeServ: hold, second call, hang up → the two remote parties are connected', async () => {
    const b = await h.phone('202', 'uas-held-then-reconnected.xml', { pauseMs: 300 });
    const c = await h.phone('203', 'uas-answer-expect-reinvite.xml');
    const first = await h.startCall('201', '202', 'uac-invite-hold-expect-bye.xml');
    await waitFor('202 held', held(1));
    expectPhoneOk(
      await h.call('201', '203', 'uac-invite-expect-200.xml', { pauseMs: 200 }),
      'consultation call',
    );
    expectPhoneOk(await first.done, 'held call ended by the PBX');
    const br = await b.done;
    expectPhoneOk(br, '202');
    expect(origins(br)[2]).toBe('203');
    const cr = await c.done;
    expectPhoneOk(cr, '203');
    expect(origins(cr).slice(-1)[0]).toBe('202');
    expect(await transferRecord('202', '203')).toMatchObject({
      callerTel: '202',
      calleeTel: '203',
    });
  });

  test('OfficeServ blind: hanging up while the second call rings hands it to the held party', async () => {
    const b = await h.phone('202', 'uas-held-then-reconnected.xml', { pauseMs: 300 });
    const c = await h.phone('203', 'uas-answer-expect-reinvite.xml', { pauseMs: 700 });
    const first = await h.startCall('201', '202', 'uac-invite-hold-expect-bye.xml');
    await waitFor('202 held', held(1));
    expectPhoneOk(
      await h.call('201', '203', 'uac-invite-cancel-expect-487.xml', { pauseMs: 100 }),
      'consultation call cancelled',
    );
    expectPhoneOk(await first.done, 'held call ended by the PBX');
    const cr = await c.done;
    expectPhoneOk(cr, '203');
    expect(origins(cr).slice(-1)[0]).toBe('202');
    const br = await b.done;
    expectPhoneOk(br, '202');
    expect(origins(br)[2]).toBe('203');
  });

  test('OfficeServ blind, unanswered: the transferring station is recalled with the held party', async () => {
    const b = await h.phone('202', 'uas-held-then-reconnected.xml', { pauseMs: 300 });
    const c = await h.phone('203', 'uas-ring-expect-cancel.xml');
    const first = await h.startCall('201', '202', 'uac-invite-hold-expect-bye.xml');
    await waitFor('202 held', held(1));
    // 201's phone that takes the recall is started before the transfer (a loaded machine may take
    // longer to start a sipp than the ring time) and becomes 201's newest binding right after.
    const recallPort = await freePort('udp');
    const recalled = await h.phone('201', 'uas-answer.xml', {
      port: recallPort,
      unregistered: true,
      timeoutMs: 25_000,
    });
    const config = h.pbx.ctx.config;
    const before = config.features.ringingTimeout;
    config.features.ringingTimeout = 2;
    try {
      expectPhoneOk(
        await h.call('201', '203', 'uac-invite-cancel-expect-487.xml', { pauseMs: 100 }),
        'consultation call cancelled',
      );
      await h.register('201', recallPort);
      expectPhoneOk(await first.done, 'held call ended by the PBX');
      expectPhoneOk(await c.done, '203 rang out');
      const rr = await recalled.done;
      expectPhoneOk(rr, '201 recalled');
      expect(headerOf(findReceived(rr, /^INVITE /), 'From')).toMatch(/^"Bob" <sip:202@/);
      const br = await b.done;
      expectPhoneOk(br, '202');
      expect(origins(br)[2]).toBe('201');
    } finally {
      config.features.ringingTimeout = before;
    }
  });

  test('consultation toggling: each call is held and resumed in turn; hanging up the active one transfers', async () => {
    const b = await h.phone('202', 'uas-hold-resume-reconnected.xml');
    const c = await h.phone('203', 'uas-held-then-reconnected.xml', { pauseMs: 300 });
    const first = await h.startCall('201', '202', 'uac-invite-hold-resume.xml', { pauseMs: 1200 });
    await waitFor('202 held', held(1));
    const second = await h.startCall('201', '203', 'uac-invite-hold-expect-bye.xml');
    await waitFor('both held', held(2));
    expectPhoneOk(await first.done, 'first call: resumed, then hung up');
    expectPhoneOk(await second.done, 'second call ended by the PBX');
    const br = await b.done;
    expectPhoneOk(br, '202');
    expect(origins(br)[3]).toBe('203');
    const cr = await c.done;
    expectPhoneOk(cr, '203');
    expect(origins(cr)[2]).toBe('202');
  });
});
