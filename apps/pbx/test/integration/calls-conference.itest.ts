/**
 * Conference on the wire, with sipp phones: the exact SIP of the manual's "Conference feature SIP
 * messages" figures. 46 is answered 480; the held party is re-INVITEd onto the media server's mixer
 * at once; the owner's held dialog with it is cleared (BYE) when the owner's next call is
 * answered; 46 again re-INVITEs every member (again) and the owner's held dialog onto the mixer,
 * and the owner's resume is answered from the mixer. A room number is answered from the mixer.
 */
import type { SippResult } from '../helpers/sipp';
import {
  bodyOf,
  expectPhoneOk,
  received,
  startCallsPbx,
  waitFor,
  type CallsPbx,
} from '../helpers/calls-harness';

jest.setTimeout(60_000);

/** The `m=audio` port of an SDP body. */
const audioPort = (message: string | undefined): number =>
  Number(/^m=audio (\d+)/m.exec(bodyOf(message))?.[1] ?? NaN);

/** INVITEs a phone received, in order. */
const invites = (r: SippResult): string[] => received(r).filter((m) => m.startsWith('INVITE '));

describe('conference (46) on the wire', () => {
  let h: CallsPbx;
  let onMixer: (port: number) => boolean;

  beforeAll(async () => {
    h = await startCallsPbx();
    await h.pbx.media.waitUntilAvailable(10_000);
    // Tone source `phone`: the PBX relays the hold itself (no music on hold), as in the figures.
    await h.station('201', { name: 'Alice', toneSource: 'phone' });
    for (const tel of ['202', '203', '204']) await h.station(tel);
    const { rtpPortMin, rtpPortMax } = h.pbx.ctx.config.media;
    onMixer = (port) => port >= rtpPortMin && port <= rtpPortMax;
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const heldBy201 = (tel: string) => () =>
    h.cc.env.registry.heldCalls('201').some((c) => c.party === tel);

  async function dial46(what: string): Promise<void> {
    expectPhoneOk(await h.call('201', '46', 'uac-invite-expect-480.xml'), what);
    await h.cc.conferences.idle('201');
  }

  test("the manual's figures 1 and 2: 480, re-INVITEs onto the mixer, the owner's resume joins", async () => {
    const m202 = await h.phone('202', 'uas-conference-member-send-bye.xml', { pauseMs: 300 });
    const m203 = await h.phone('203', 'uas-conference-member-expect-bye.xml');
    // Figure 1: 201 calls 202, holds it, dials 46.
    const first = await h.startCall('201', '202', 'uac-invite-hold-expect-bye.xml');
    await waitFor('201 holding 202', heldBy201('202'));
    await dial46('46 with 202 held');
    expect(h.cc.conferences.list()[0]).toMatchObject({
      id: '201',
      phase: 'building',
      parties: [expect.objectContaining({ party: '202' })],
    });
    // 201 calls 203; once 203 answers, the PBX clears 201's held dialog with 202.
    const second = await h.startCall('201', '203', 'uac-invite-hold-conference.xml', {
      pauseMs: 300,
    });
    expectPhoneOk(await first.done, "201's first dialog, cleared by the PBX (BYE)");
    // Figure 2: 201 holds 203, dials 46, then 46 again: the adding ends.
    await waitFor('201 holding 203', heldBy201('203'));
    await dial46('46 with 203 held');
    await dial46('46 again: start');
    expect(h.cc.conferences.list()[0]).toMatchObject({ phase: 'started' });
    // 201 resumes (its scenario), talks, hangs up: 202 and 203 are left and connected directly;
    // 202 hangs up and 203 gets the PBX's BYE.
    const owner = await second.done;
    expectPhoneOk(owner, '201 resumes into the conference and hangs up');
    const [r202, r203] = await Promise.all([m202.done, m203.done]);
    expectPhoneOk(r202, 'member 202');
    expectPhoneOk(r203, 'member 203');

    // 202: the call, the relayed hold, then the mixer (at once on 46), the start's redundant
    // re-INVITE (same mixer endpoint), then 203 directly.
    const [, hold202, mixer202, start202, direct202] = invites(r202);
    expect(bodyOf(hold202)).toMatch(/a=sendonly/);
    expect(onMixer(audioPort(mixer202))).toBe(true);
    expect(audioPort(start202)).toBe(audioPort(mixer202));
    expect(onMixer(audioPort(direct202))).toBe(false);
    const [, , mixer203, start203] = invites(r203);
    expect(onMixer(audioPort(mixer203))).toBe(true);
    expect(audioPort(mixer203)).not.toBe(audioPort(mixer202));
    expect(audioPort(start203)).toBe(audioPort(mixer203));
    // 201: the PBX's start re-INVITE and the 200 to its resume both point at the mixer.
    const ownerInvite = invites(owner)[0];
    expect(onMixer(audioPort(ownerInvite))).toBe(true);
    const resumed = received(owner).filter(
      (m) => /^SIP\/2.0 200/.test(m) && /CSeq: 3 INVITE/i.test(m),
    );
    expect(resumed).toHaveLength(1);
    expect(audioPort(resumed[0])).toBe(audioPort(ownerInvite));
    await waitFor('conference over', () => h.cc.conferences.list().length === 0);

    await h.settle();
    const features = await h.pbx.ctx.store.cdrs.list({
      ext: '201',
      disposition: 'feature',
      limit: 10,
    });
    const notes = features
      .filter((f) => f.feature === 'conference')
      .map((f) => [f.sipStatus, f.note]);
    expect(notes).toEqual(
      expect.arrayContaining([
        [480, 'conference-joined: 202 (2 parties)'],
        [480, 'conference-joined: 203 (3 parties)'],
        [480, 'conference-started: 3 parties'],
      ]),
    );
  });

  test('a conference room: each caller is answered from the same mixer', async () => {
    const a = await h.startCall('202', '803', 'uac-invite-expect-200.xml', { pauseMs: 1_500 });
    await waitFor(
      '202 in room 803',
      () => (h.cc.conferences.list().find((c) => c.id === '803')?.parties.length ?? 0) === 1,
    );
    const b = await h.startCall('203', '803', 'uac-invite-expect-200.xml', { pauseMs: 300 });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expectPhoneOk(ra, '202 in room 803');
    expectPhoneOk(rb, '203 in room 803');
    const answer = (r: SippResult) =>
      received(r).find((m) => /^SIP\/2.0 200/.test(m) && /INVITE/.test(m));
    expect(onMixer(audioPort(answer(ra)))).toBe(true);
    expect(onMixer(audioPort(answer(rb)))).toBe(true);
    await waitFor('room 803 closed', () => h.cc.conferences.list().length === 0);
  });
});
