/**
 * Presence a soft client publishes itself (RFC 3903 PUBLISH of PIDF): its status text reaches the
 * watchers of the station and goes when the publication is removed.
 */
import { expectPhoneOk, startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { notifies, parsePidf as pidf } from '../helpers/event-watchers';

jest.setTimeout(60_000);

describe('presence published by the client (PUBLISH)', () => {
  let h: CallsPbx;
  beforeAll(async () => {
    h = await startCallsPbx();
    for (const tel of ['201', '202']) await h.station(tel);
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  test('the status text a client publishes reaches watchers, and goes when it is removed', async () => {
    await h.register('202', 5998);
    const w = await h.startCall('201', '202', 'uac-subscribe-presence.xml');
    await waitFor('first NOTIFY', () =>
      h.pbx.presence.notifier.list().some((s) => s.event === 'presence' && s.version === 1),
    );
    const p = await h.call('202', '202', 'uac-publish-presence.xml', {
      keys: { note: 'In a meeting until 3' },
    });
    expectPhoneOk(p, 'publisher 202');
    expect(p.messages).toMatch(/SIP-ETag: [0-9a-f]+/);
    const r = await w.done;
    expectPhoneOk(r, 'watcher 201');
    const docs = notifies(r).map((n) => pidf(n.body));
    expect(docs.map((d) => [d.basic, d.note])).toEqual([
      ['open', 'Available'],
      ['open', 'In a meeting until 3'],
      ['open', 'Available'],
      ['open', 'Available'],
    ]);
  });
});
