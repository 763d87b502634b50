/**
 * Call park (system hold): a station holds its call and dials 11 + station from another line: it
 * gets 480 and its held dialog is ended, the held party stays up; 12 + station from any station
 * connects that station to the parked party (re-INVITE with the retriever's SDP); unretrieved, the
 * call recalls the parking station after the park recall time.
 */
import {
  bodyOf,
  expectPhoneOk,
  received,
  startCallsPbx,
  waitFor,
  type CallsPbx,
} from '../helpers/calls-harness';

jest.setTimeout(60_000);

describe('call park', () => {
  let h: CallsPbx;

  beforeAll(async () => {
    h = await startCallsPbx();
    await h.station('201', { name: 'Alice' });
    for (const tel of ['202', '203']) await h.station(tel);
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  /**
   * 201 calls 202, holds it and parks it at `slot` with 11 + slot. `beforeCode` runs just before
   * 11 is dialled; the feature call then leaves 201's registration where it was (so a phone
   * started there, registered for 201, is where a recall goes).
   */
  async function park(slot: string, beforeCode?: () => Promise<void>) {
    const parked = await h.phone('202', 'uas-held-then-reconnected.xml', { pauseMs: 300 });
    const parker = await h.startCall('201', '202', 'uac-invite-hold-expect-bye.xml');
    await waitFor('201 holding 202', () => h.cc.env.registry.heldCalls('201').length === 1);
    await beforeCode?.();
    // A feature code dialled while a call is up (the phone's second line).
    expectPhoneOk(
      await h.call('201', `11${slot}`, 'uac-invite-expect-480.xml', {
        unregistered: beforeCode !== undefined,
      }),
      `11${slot}`,
    );
    expectPhoneOk(await parker.done, 'parker 201 gets BYE');
    expect(h.cc.parks.list()).toEqual([
      expect.objectContaining({ slot, party: '202', parkedBy: '201' }),
    ]);
    await waitFor('201 idle', () => h.cc.stations.peek('201')?.legs.length === 0);
    expect(h.cc.stations.peek('202')?.legs).toHaveLength(1);
    return parked;
  }

  const reconnectedWith = (r: Awaited<ReturnType<typeof h.call>>): string | undefined => {
    const invites = received(r).filter((m) => m.startsWith('INVITE '));
    return /^o=(\d+) /m.exec(bodyOf(invites[2]))?.[1];
  };

  test('11 + station parks the held call (480); 12 + station from another station retrieves it', async () => {
    const parked = await park('201');
    const retriever = await h.call('203', '12201', 'uac-invite-expect-200-recv-bye.xml');
    expectPhoneOk(retriever, 'retriever 203');
    const p = await parked.done;
    expectPhoneOk(p, 'parked 202');
    expect(reconnectedWith(p)).toBe('203');
    expect(h.cc.parks.list()).toEqual([]);
    await h.settle();
    const feature = (
      await h.pbx.ctx.store.cdrs.list({ ext: '201', disposition: 'feature', limit: 1 })
    )[0];
    expect(feature).toMatchObject({ dialled: '11201', feature: 'park', sipStatus: 480 });
    expect(feature?.note).toContain('parked: 202 at 201');
    const retrieved = (await h.pbx.ctx.store.cdrs.list({ ext: '203', limit: 5 })).find(
      (c) => c.dialled === '12201' && c.disposition !== 'feature',
    );
    expect(retrieved).toMatchObject({
      callerTel: '203',
      calleeTel: '202',
      disposition: 'answered',
    });
  });

  test('an unretrieved call recalls the parking station after the park recall time', async () => {
    const config = h.pbx.ctx.config;
    const before = config.features.parkRecallTime;
    config.features.parkRecallTime = 0.4;
    try {
      // The phone that takes the recall is registered for 201 before the park: the recall timer
      // starts with the park and may run out before anything after it could register.
      let recalled: Awaited<ReturnType<typeof h.phone>> | undefined;
      const parked = await park('203', async () => {
        recalled = await h.phone('201', 'uas-answer.xml');
      });
      const r = await recalled!.done;
      expectPhoneOk(r, 'parking station 201 rings again');
      const p = await parked.done;
      expectPhoneOk(p, 'parked 202');
      expect(reconnectedWith(p)).toBe('201');
    } finally {
      config.features.parkRecallTime = before;
    }
  });

  test('a slot holds one call: parking into a taken slot changes nothing', async () => {
    const parked = await park('203');
    const other = await h.phone('203', 'uas-held-then-reconnected.xml', { pauseMs: 100 });
    const parker = await h.startCall('201', '203', 'uac-invite-hold-expect-bye.xml');
    await waitFor('201 holding 203', () => h.cc.env.registry.heldCalls('201').length === 1);
    expectPhoneOk(
      await h.call('201', '11203', 'uac-invite-expect-480.xml'),
      'park into taken slot',
    );
    expect(h.cc.parks.list()).toHaveLength(1);
    await h.settle();
    const feature = (
      await h.pbx.ctx.store.cdrs.list({ ext: '201', disposition: 'feature', limit: 1 })
    )[0];
    expect(feature?.note).toContain('slot-in-use');
    // The held call can still go to a free slot; then both are retrieved.
    expectPhoneOk(
      await h.call('201', '11202', 'uac-invite-expect-480.xml'),
      'park into a free slot',
    );
    expectPhoneOk(await parker.done, 'parker 201 gets BYE');
    expect(
      h.cc.parks
        .list()
        .map((p) => p.slot)
        .sort(),
    ).toEqual(['202', '203']);
    expectPhoneOk(
      await h.call('201', '12203', 'uac-invite-expect-200-recv-bye.xml'),
      'retrieve 203',
    );
    expectPhoneOk(
      await h.call('201', '12202', 'uac-invite-expect-200-recv-bye.xml'),
      'retrieve 202',
    );
    expectPhoneOk(await parked.done, 'parked 202');
    expectPhoneOk(await other.done, 'parked 203');
  });
});
