/**
 * Busy-lamp fields (RFC 4235) with sipp phones: a watcher SUBSCRIBEs Event: dialog to a station
 * (or a park slot, or a ring group), the lamp lights during the call and ends idle, with every
 * dialog reported terminated, versions rising and a final NOTIFY on un-SUBSCRIBE. Every call
 * path of the issue is one test.
 */
import { expectPhoneOk, startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { expectLampCycle, lamp, notifies, parseDialogInfo } from '../helpers/event-watchers';

jest.setTimeout(40_000);

describe('busy lamps', () => {
  let h: CallsPbx;

  beforeAll(async () => {
    h = await startCallsPbx();
    await h.station('201', { name: 'Alice' });
    await h.station('202', { name: 'Bob' });
    for (const tel of ['203', '204', '205', '206', '207', '208', '209']) await h.station(tel);
    await h.pbx.ctx.store.ringGroups.create({ number: '500', members: ['205', '206'] });
    await h.cc.plan.reload();
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const watchers = (resource: string) =>
    h.pbx.presence.notifier.list().filter((s) => s.event === 'dialog' && s.resource === resource);

  /** Starts a busy-lamp key of `watcher` on `resource`, waits until the PBX holds it. */
  async function watch(watcher: string, resource: string, key = resource) {
    const before = watchers(resource).length;
    const w = await h.startCall(watcher, key, 'uac-subscribe-dialog-until-idle.xml', {
      keys: { expires: '600' },
      timeoutMs: 25_000,
    });
    await waitFor(`${watcher} watching ${resource}`, () => watchers(resource).length > before);
    return w;
  }

  test('answered call: early, confirmed, terminated; caller identity and dialog ids', async () => {
    const w = await watch('208', '202');
    const callee = await h.phone('202', 'uas-answer.xml');
    const caller = await h.call('201', '202', 'uac-invite-expect-200.xml', { pauseMs: 300 });
    expectPhoneOk(caller, 'caller 201');
    expectPhoneOk(await callee.done, 'callee 202');
    const r = await w.done;
    expectPhoneOk(r, 'watcher 208');
    const docs = expectLampCycle(r, '202');
    const live = docs.flatMap((d) => d.dialogs).filter((d) => d.state !== 'terminated');
    expect(live.map((d) => d.state)).toEqual(expect.arrayContaining(['confirmed']));
    const d = live.find((x) => x.state === 'confirmed')!;
    expect(d).toMatchObject({ direction: 'recipient', remote: 'sip:201@pbx.local' });
    expect(d.remoteDisplay).toBe('Alice');
    expect(d.callId).toMatch(/./);
    expect(d.localTag).toMatch(/./);
    expect(d.remoteTag).toMatch(/./);
    expect(watchers('202')).toHaveLength(0);
  });

  /** The whole lamp cycle of `resource` around `scenario`, which must make it light and end. */
  async function cycle(resource: string, act: () => Promise<void>, key = resource) {
    const w = await watch('209', resource, key);
    await act();
    const r = await w.done;
    expectPhoneOk(r, `watcher of ${resource}`);
    return expectLampCycle(r, key);
  }

  test('cancelled: the caller gives up while it rings', async () => {
    const docs = await cycle('202', async () => {
      const callee = await h.phone('202', 'uas-ring-expect-cancel.xml');
      expectPhoneOk(
        await h.call('201', '202', 'uac-invite-cancel-expect-487.xml', { pauseMs: 300 }),
        'caller',
      );
      expectPhoneOk(await callee.done, 'callee');
    });
    expect(docs.map(lamp)).toContain('early');
    expect(docs.map(lamp)).not.toContain('confirmed');
  });

  test('busy: the callee refuses (486); the caller lamp ends idle too', async () => {
    await cycle('201', async () => {
      const callee = await h.phone('202', 'uas-reject-486.xml');
      expectPhoneOk(await h.call('201', '202', 'uac-invite-expect-486.xml'), 'caller');
      expectPhoneOk(await callee.done, 'callee');
    });
  });

  test('forwarded: the forwarding station never lights, the target does and ends idle', async () => {
    await h.cc.stations.dispatch('202', {
      type: 'forwardSet',
      forward: { type: 'all', target: '203' },
    });
    h.pbx.ctx.config.presence.forwardAllAsBusy = 'no';
    try {
      await cycle('203', async () => {
        const target = await h.phone('203', 'uas-answer.xml');
        expectPhoneOk(await h.call('201', '202', 'uac-invite-expect-200.xml'), 'caller');
        expectPhoneOk(await target.done, 'target');
      });
    } finally {
      h.pbx.ctx.config.presence.forwardAllAsBusy = 'yes';
      await h.cc.stations.dispatch('202', { type: 'forwardSet', forward: null });
    }
  });

  test('DND and forward-all light the lamp steady (configurable); clearing them turns it off', async () => {
    const docs = await cycle('204', async () => {
      // A NOTIFY is rendered when it is sent, one at a time per subscription: a lamp lit and
      // cleared while the first NOTIFY is still unanswered would show only the cleared state
      // (rightly: the watcher learns the current one). Clear it only once a NOTIFY has gone out
      // with DND on.
      let sentWhileOn = 0;
      h.pbx.presence.notifier.onNotifySent((event, resource) => {
        // Rendered in the same step as this call: lit if the lamp is lit now.
        const lit = h.pbx.presence.blf.dialogs('204').length === 1;
        if (event === 'dialog' && resource === '204' && lit) sentWhileOn++;
      });
      await h.cc.stations.dispatch('204', { type: 'dndSet', on: true });
      await waitFor('dnd lamp', () => h.pbx.presence.blf.dialogs('204').length === 1);
      await waitFor('a NOTIFY with the lamp lit', () => sentWhileOn > 0);
      await h.cc.stations.dispatch('204', { type: 'dndSet', on: false });
    });
    expect(docs.map(lamp)).toContain('confirmed');
    await h.cc.stations.dispatch('204', {
      type: 'forwardSet',
      forward: { type: 'all', target: '203' },
    });
    expect(h.pbx.presence.blf.dialogs('204')).toHaveLength(1);
    h.pbx.ctx.config.presence.forwardAllAsBusy = 'no';
    expect(h.pbx.presence.blf.dialogs('204')).toHaveLength(0);
    h.pbx.ctx.config.presence.forwardAllAsBusy = 'yes';
    await h.cc.stations.dispatch('204', { type: 'forwardSet', forward: null });
  });

  test('picked up from the lamp: INVITE with Replaces built from the NOTIFY; both lamps end idle', async () => {
    const ringing = await h.phone('202', 'uas-ring-expect-cancel.xml');
    const callerWatch = await watch('209', '202');
    const lit = await h.startCall('203', '202', 'uac-subscribe-dialog-until-lit.xml', {
      keys: { expires: '600' },
    });
    const caller = await h.startCall('201', '202', 'uac-invite-expect-200-recv-bye.xml');
    const litResult = await lit.done;
    expectPhoneOk(litResult, 'lamp key of 203');
    const early = notifies(litResult)
      .map((n) => parseDialogInfo(n.body))
      .flatMap((d) => d.dialogs)
      .find((d) => d.state === 'early');
    expect(early).toMatchObject({ direction: 'recipient', remote: 'sip:201@pbx.local' });
    // The key sends what seed 002's Snom sends: the remote tag as to-tag, the local as from-tag.
    const replaces = `${early!.callId};to-tag=${early!.remoteTag};from-tag=${early!.localTag}`;
    const picker = await h.call('203', '202', 'uac-invite-replaces-expect-200.xml', {
      keys: { replaces },
      pauseMs: 300,
    });
    expectPhoneOk(picker, 'picker 203');
    expectPhoneOk(await ringing.done, 'ringing 202 cancelled');
    expectPhoneOk(await caller.done, 'caller 201');
    const r = await callerWatch.done;
    expectPhoneOk(r, 'watcher of 202');
    expect(expectLampCycle(r, '202').map(lamp)).toContain('early');
  });

  test('blind transfer: the transferor lamp ends idle', async () => {
    await cycle('201', async () => {
      const b = await h.phone('202', 'uas-held-then-reconnected.xml', { pauseMs: 300 });
      const c = await h.phone('203', 'uas-answer.xml');
      expectPhoneOk(
        await h.call('201', '202', 'uac-invite-hold-refer-blind.xml', { keys: { target: '203' } }),
        'transferor',
      );
      expectPhoneOk(await b.done, 'transferee');
      expectPhoneOk(await c.done, 'target');
    });
  });

  test('attended transfer: the transferor lamp (two calls) ends idle', async () => {
    const docs = await cycle('201', async () => {
      const b = await h.phone('202', 'uas-held-then-reconnected.xml', { pauseMs: 300 });
      const c = await h.phone('203', 'uas-answer-expect-reinvite.xml');
      const first = await h.startCall('201', '202', 'uac-invite-hold-expect-bye.xml');
      await waitFor('202 held', () => h.cc.env.registry.heldCalls('201').length === 1);
      const d = h.cc.stations.peek('201')!.legs[0]!.dialog;
      const replaces = encodeURIComponent(
        `${d.callId};to-tag=${d.remoteTag};from-tag=${d.localTag}`,
      );
      expectPhoneOk(
        await h.call('201', '203', 'uac-invite-refer-replaces.xml', {
          pauseMs: 100,
          keys: { target: '202', replaces },
        }),
        'transferor second call',
      );
      expectPhoneOk(await first.done, 'transferor first call');
      expectPhoneOk(await b.done, '202');
      expectPhoneOk(await c.done, '203');
    });
    // Both of the transferor's calls were on the lamp at once.
    expect(
      Math.max(...docs.map((x) => x.dialogs.filter((d) => d.state !== 'terminated').length)),
    ).toBe(2);
  });

  test('parked and retrieved: the park slot lamp (12 + slot) and the parker end idle', async () => {
    const docs = await cycle(
      'park:201',
      async () => {
        const parked = await h.phone('202', 'uas-held-then-reconnected.xml', { pauseMs: 300 });
        const parker = await h.startCall('201', '202', 'uac-invite-hold-expect-bye.xml');
        await waitFor('202 held', () => h.cc.env.registry.heldCalls('201').length === 1);
        expectPhoneOk(await h.call('201', '11201', 'uac-invite-expect-480.xml'), '11201');
        expectPhoneOk(await parker.done, 'parker');
        expectPhoneOk(
          await h.call('203', '12201', 'uac-invite-expect-200-recv-bye.xml'),
          'retriever',
        );
        expectPhoneOk(await parked.done, 'parked');
      },
      '12201',
    );
    expect(docs.map(lamp)).toContain('confirmed');
  });

  test('ring group: the group lamp and a member that lost end idle', async () => {
    const member = await watch('208', '206');
    await cycle('500', async () => {
      const a = await h.phone('205', 'uas-answer.xml');
      const b = await h.phone('206', 'uas-ring-expect-cancel.xml');
      expectPhoneOk(
        await h.call('201', '500', 'uac-invite-expect-200.xml', { pauseMs: 300 }),
        'caller',
      );
      expectPhoneOk(await a.done, 'winner');
      expectPhoneOk(await b.done, 'loser');
    });
    const r = await member.done;
    expectPhoneOk(r, 'watcher of the losing member');
    expectLampCycle(r, '206');
  });
});
