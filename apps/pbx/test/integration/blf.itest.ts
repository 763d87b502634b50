/**
 * Busy-lamp fields (RFC 4235) with sipp phones: a watcher SUBSCRIBEs Event: dialog to a station
 * (or a park slot, or a ring group), the lamp lights during the call and ends idle, with every
 * dialog reported terminated, versions rising and a final NOTIFY on un-SUBSCRIBE. Every call
 * path of the issue is one test.
 */
import { expectPhoneOk, startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { expectLampCycle } from '../helpers/event-watchers';

jest.setTimeout(40_000);

describe('busy lamps', () => {
  let h: CallsPbx;

  beforeAll(async () => {
    h = await startCallsPbx();
    await h.station('201', { name: 'Alice' });
    await h.station('202', { name: 'Bob' });
    for (const tel of ['203', '204', '205', '206', '207', '208']) await h.station(tel);
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
    if (process.env.BLF_DUMP) console.log(JSON.stringify(docs, null, 1));
    expect(watchers('202')).toHaveLength(0);
  });
});
