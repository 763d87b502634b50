/**
 * Presence (RFC 3856/3863) derived by the PBX: a sipp watcher SUBSCRIBEs Event: presence to a
 * station and gets PIDF documents (parsed with fast-xml-parser) as the station registers, goes
 * DND (feature code effect) and comes back.
 */
import { expectPhoneOk, startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { notifies, parsePidf as pidf } from '../helpers/event-watchers';

jest.setTimeout(60_000);

describe('presence', () => {
  let h: CallsPbx;
  beforeAll(async () => {
    h = await startCallsPbx();
    for (const tel of ['201', '202']) await h.station(tel);
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const sub = () => h.pbx.presence.notifier.list().find((s) => s.event === 'presence');

  test('offline → available → do not disturb, as PIDF with RPID activities', async () => {
    const w = await h.startCall('201', '202', 'uac-subscribe-presence.xml');
    await waitFor('first NOTIFY', () => sub()?.version === 1);
    await h.register('202', 5999);
    await waitFor('second NOTIFY', () => sub()?.version === 2);
    await h.cc.stations.dispatch('202', { type: 'dndSet', on: true });
    const r = await w.done;
    expectPhoneOk(r, 'watcher 201');
    const list = notifies(r);
    expect(list.map((n) => n.contentType)).toEqual(Array(4).fill('application/pidf+xml'));
    const docs = list.map((n) => pidf(n.body));
    expect(docs.map((d) => [d.basic, d.activity, d.note])).toEqual([
      ['closed', 'away', 'Offline'],
      ['open', undefined, 'Available'],
      ['closed', 'busy', 'Do not disturb'],
      ['closed', 'busy', 'Do not disturb'],
    ]);
    expect(docs[0]?.entity).toBe('sip:202@pbx.local');
  });
});
