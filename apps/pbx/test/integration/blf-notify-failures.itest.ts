/**
 * The subscription outlives lost NOTIFYs (RFC 6665 §4.2.2): a NOTIFY answered 408 keeps the
 * subscription and the PBX sends the whole state again; 481 ends it. A refreshing SUBSCRIBE is
 * answered with a NOTIFY of the whole state (resynchronisation).
 */
import { expectPhoneOk, startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { lamp, notifies, parseDialogInfo } from '../helpers/event-watchers';

jest.setTimeout(60_000);

describe('busy lamp NOTIFY failures', () => {
  let h: CallsPbx;
  beforeAll(async () => {
    h = await startCallsPbx();
    for (const tel of ['201', '202']) await h.station(tel);
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const subs = () => h.pbx.presence.notifier.list().filter((s) => s.resource === '202');

  test('408 keeps the subscription (state sent again), 481 ends it; refresh resyncs', async () => {
    const w = await h.startCall('201', '202', 'uac-subscribe-dialog-notify-failures.xml');
    // Initial NOTIFY and the refresh's NOTIFY answered.
    await waitFor('refresh resynced', () => subs()[0]?.version === 2 && subs()[0]?.failures === 0);
    await h.cc.stations.dispatch('202', { type: 'dndSet', on: true });
    // The 408, then the retry answered 200.
    await waitFor('NOTIFY failed', () => subs()[0]?.failures === 1);
    await waitFor('retry answered', () => subs()[0]?.failures === 0, 6_000);
    expect(subs()).toHaveLength(1);
    await h.cc.stations.dispatch('202', { type: 'dndSet', on: false });
    const r = await w.done;
    expectPhoneOk(r, 'watcher');
    await waitFor('subscription gone after 481', () => subs().length === 0);

    const list = notifies(r);
    expect(list).toHaveLength(5);
    const docs = list.map((n) => parseDialogInfo(n.body));
    expect(docs.map((d) => d.version)).toEqual([1, 2, 3, 4, 5]);
    expect(docs.map(lamp)).toEqual(['idle', 'idle', 'confirmed', 'confirmed', 'idle']);
    expect(list.every((n) => /^active;expires=\d+$/.test(n.subscriptionState))).toBe(true);
  });
});
