/**
 * Call forward on the wire: all, busy, no answer (station timer), busy/no answer, unreachable,
 * chains and loops, each forwarded INVITE carrying a Diversion header (RFC 5806) naming the
 * forwarding station, and the call record naming it too.
 */
import type { StationSettings } from '@pbx/store';
import {
  expectPhoneOk,
  findReceived,
  headerOf,
  startCallsPbx,
  waitFor,
  type CallsPbx,
} from '../helpers/calls-harness';

jest.setTimeout(60_000);

describe('call forward', () => {
  let h: CallsPbx;
  const NONE: Partial<StationSettings> = {
    forwardAll: null,
    forwardBusy: null,
    forwardNoAnswer: null,
    forwardBusyNoAnswer: null,
    forwardUnreachable: null,
    forwardNoAnswerTimer: null,
  };

  beforeAll(async () => {
    h = await startCallsPbx();
    await h.station('201', { name: 'Alice' });
    for (const tel of ['202', '203', '204', '205']) await h.station(tel);
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });
  afterEach(async () => {
    for (const tel of ['202', '203', '204', '205'])
      await h.pbx.ctx.store.stations.update(tel, NONE, { realm: 'pbx.local' });
    await h.cc.stations.load();
  });

  const set = async (tel: string, s: Partial<StationSettings>): Promise<void> => {
    await h.pbx.ctx.store.stations.update(tel, s, { realm: 'pbx.local' });
    await h.cc.stations.load();
  };
  const lastCdr = async (tel: string) => {
    await h.settle();
    return (await h.pbx.ctx.store.cdrs.list({ ext: tel, limit: 1 }))[0];
  };

  test('forward all: the target rings with Diversion reason=unconditional and the caller shown', async () => {
    await set('202', { forwardAll: '203' });
    const target = await h.phone('203', 'uas-answer.xml');
    expectPhoneOk(await h.call('201', '202', 'uac-invite-expect-200.xml'), 'caller');
    const r = await target.done;
    expectPhoneOk(r, 'forward target');
    const invite = findReceived(r, /^INVITE /);
    expect(headerOf(invite, 'Diversion')).toBe(
      '<sip:202@pbx.local>;reason=unconditional;counter=1',
    );
    expect(headerOf(invite, 'From')).toMatch(/^"Alice" <sip:201@/);
    expect(await lastCdr('201')).toMatchObject({
      calleeTel: '203',
      dialled: '202',
      forwardedFrom: '202',
      forwardReason: 'unconditional',
      disposition: 'answered',
    });
  });

  test('forward busy: a station in a call sends the next caller on (reason=user-busy)', async () => {
    await set('202', { forwardBusy: '203' });
    const busyWith = await h.phone('202', 'uas-answer.xml');
    const first = await h.startCall('204', '202', 'uac-invite-expect-200.xml', { pauseMs: 1500 });
    await waitFor('202 busy', () => h.cc.stations.peek('202')?.legs[0]?.state === 'confirmed');
    const target = await h.phone('203', 'uas-answer.xml');
    expectPhoneOk(await h.call('201', '202', 'uac-invite-expect-200.xml'), 'second caller');
    const r = await target.done;
    expectPhoneOk(r, 'busy forward target');
    expect(headerOf(findReceived(r, /^INVITE /), 'Diversion')).toBe(
      '<sip:202@pbx.local>;reason=user-busy;counter=1',
    );
    expectPhoneOk(await first.done, 'first caller');
    expectPhoneOk(await busyWith.done, '202');
  });

  test('forward no answer: after the station timer the phone gets CANCEL and the target rings (reason=no-answer)', async () => {
    await set('202', { forwardNoAnswer: '203', forwardNoAnswerTimer: 0.4 });
    const ringing = await h.phone('202', 'uas-ring-expect-cancel.xml');
    const target = await h.phone('203', 'uas-answer.xml');
    const started = Date.now();
    expectPhoneOk(await h.call('201', '202', 'uac-invite-expect-200.xml'), 'caller');
    expectPhoneOk(await ringing.done, '202 cancelled');
    const r = await target.done;
    expectPhoneOk(r, 'no-answer target');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(headerOf(findReceived(r, /^INVITE /), 'Diversion')).toBe(
      '<sip:202@pbx.local>;reason=no-answer;counter=1',
    );
    expect(await lastCdr('201')).toMatchObject({
      calleeTel: '203',
      forwardedFrom: '202',
      forwardReason: 'no-answer',
    });
  });

  test('the system no-answer time applies when the station has none', async () => {
    const config = h.pbx.ctx.config;
    const before = config.features.forwardNoAnswerTimer;
    config.features.forwardNoAnswerTimer = 0.3;
    try {
      await set('202', { forwardBusyNoAnswer: '203' });
      const ringing = await h.phone('202', 'uas-ring-expect-cancel.xml');
      const target = await h.phone('203', 'uas-answer.xml');
      expectPhoneOk(await h.call('201', '202', 'uac-invite-expect-200.xml'), 'caller');
      expectPhoneOk(await ringing.done, '202 cancelled');
      expect(headerOf(findReceived(await target.done, /^INVITE /), 'Diversion')).toContain(
        'reason=no-answer',
      );
    } finally {
      config.features.forwardNoAnswerTimer = before;
      await h.cc.stations.load();
    }
  });

  test('forward unreachable: an unregistered station sends calls on (reason=unavailable)', async () => {
    await set('205', { forwardUnreachable: '203' });
    await h.unregister('205');
    const target = await h.phone('203', 'uas-answer.xml');
    expectPhoneOk(await h.call('201', '205', 'uac-invite-expect-200.xml'), 'caller');
    expect(headerOf(findReceived(await target.done, /^INVITE /), 'Diversion')).toBe(
      '<sip:205@pbx.local>;reason=unavailable;counter=1',
    );
  });

  test('chained forwards: one Diversion per hop, newest first', async () => {
    await set('202', { forwardAll: '203' });
    await set('203', { forwardAll: '204' });
    const target = await h.phone('204', 'uas-answer.xml');
    expectPhoneOk(await h.call('201', '202', 'uac-invite-expect-200.xml'), 'caller');
    expect(headerOf(findReceived(await target.done, /^INVITE /), 'Diversion')).toBe(
      '<sip:203@pbx.local>;reason=unconditional;counter=1, <sip:202@pbx.local>;reason=unconditional;counter=1',
    );
    expect(await lastCdr('201')).toMatchObject({ calleeTel: '204', forwardedFrom: '203' });
  });

  test('a forward loop rings the last station before the loop', async () => {
    await set('202', { forwardAll: '203' });
    await set('203', { forwardAll: '202' });
    const target = await h.phone('203', 'uas-answer.xml');
    expectPhoneOk(await h.call('201', '202', 'uac-invite-expect-200.xml'), 'caller');
    expect(headerOf(findReceived(await target.done, /^INVITE /), 'Diversion')).toBe(
      '<sip:202@pbx.local>;reason=unconditional;counter=1',
    );
  });

  test('a forward set by feature code applies to the next call', async () => {
    expectPhoneOk(await h.call('202', '601204', 'uac-invite-expect-480.xml'), '601204');
    await h.settle();
    const target = await h.phone('204', 'uas-answer.xml');
    expectPhoneOk(await h.call('201', '202', 'uac-invite-expect-200.xml'), 'caller');
    expect(headerOf(findReceived(await target.done, /^INVITE /), 'Diversion')).toContain(
      '<sip:202@pbx.local>',
    );
  });
});
