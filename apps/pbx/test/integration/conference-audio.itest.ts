/**
 * Conference (46) with real phones and real audio: baresip desk phones, each sending its own tone,
 * build conferences exactly as the manual's steps say (call, hold, 46 → 480, call the next member,
 * hold, 46, then 46 again and resume), against the whole PBX with its embedded media server.
 * What each phone hears is taken off the wire (tcpdump on lo: baresip's recorder stops after a
 * re-INVITE) and decoded: every phone hears every other member's tone and not its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectTones } from '../../../../packages/media-server/test/helpers/audio';
import { startBaresipPhone, type BaresipPhone } from '../helpers/baresip-phone';
import { startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { heardOn, readPcap, startRtpCapture, type RtpCapture } from '../helpers/rtp-capture';
import { toneWav } from '../helpers/tone-wav';

jest.setTimeout(120_000);

/** Each station's tone (Hz): no one is a harmonic of another. */
const TONES: Record<string, number> = {
  '201': 500,
  '202': 700,
  '203': 1100,
  '204': 1300,
  '205': 1700,
};
const ALL = Object.values(TONES);

describe('conference 46 with baresip phones, audio decoded', () => {
  let h: CallsPbx;
  let dir: string;
  let phones: Map<string, BaresipPhone>;
  let pbx: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conference-audio-'));
    for (const [tel, freq] of Object.entries(TONES)) {
      toneWav(path.join(dir, `tone-${tel}.wav`), freq, 120);
    }
    h = await startCallsPbx();
    await h.pbx.media.waitUntilAvailable(10_000);
    pbx = h.pbx.target;
  });

  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    phones = new Map();
  });

  afterEach(async () => {
    for (const p of phones.values()) await p.stop();
  });

  async function phone(tel: string): Promise<BaresipPhone> {
    if (!h.cc.stations.has(tel)) await h.station(tel);
    const p = await startBaresipPhone({
      dir,
      tel,
      toneWav: path.join(dir, `tone-${tel}.wav`),
      pbx,
    });
    phones.set(tel, p);
    await h.register(tel, p.sipPort);
    return p;
  }

  /**
   * The owner calls `tel`, which answers by itself. With `previous`, the member the owner held
   * before: calling the next member clears that held dialog, and its close is waited for, so a
   * HOLD that follows acts on the new call (baresip acts on its newest call).
   */
  async function call(owner: BaresipPhone, tel: string, previous?: string): Promise<void> {
    const since = owner.events.length;
    await owner.dial(tel);
    await owner.waitForEvent(
      (e) => e.type === 'CALL_ESTABLISHED' && e.peeruri === owner.uri(tel),
      10_000,
      since,
    );
    if (previous)
      await owner.waitForEvent(
        (e) => e.type === 'CALL_CLOSED' && e.peeruri === owner.uri(previous),
        5_000,
        since,
      );
  }

  /** HOLD on the owner's current call, until the PBX sees `tel` held. */
  async function hold(owner: BaresipPhone, tel: string): Promise<void> {
    const since = owner.events.length;
    const reply = await owner.command('hold');
    try {
      await waitFor(
        `${owner.tel} holding ${tel}`,
        () => h.cc.env.registry.heldCalls(owner.tel).some((c) => c.party === tel),
        10_000,
      );
    } catch (e) {
      // Say what the phone did with the command, so a failure shows whose side it is on.
      const events = owner.events.slice(since).map((ev) => `${ev.type}(${ev.peeruri ?? ''})`);
      throw new Error(
        `${(e as Error).message}; the phone answered ${JSON.stringify(reply)}, then: ${events.join(', ') || 'no events'}`,
      );
    }
  }

  /** 46 from another line: answered 480, and the PBX's conference steps done. */
  async function dial46(owner: BaresipPhone): Promise<void> {
    const since = owner.events.length;
    await owner.dial('46');
    const closed = await owner.waitForEvent(
      (e) => e.type === 'CALL_CLOSED' && e.peeruri === owner.uri('46'),
      10_000,
      since,
    );
    expect(closed.param).toMatch(/480/);
    await h.cc.conferences.idle(owner.tel);
  }

  /** Captures what the phones hear until each has `ms` of audio after the capture started. */
  async function listen(tels: string[], ms = 2_000): Promise<Map<string, number[]>> {
    const file = path.join(dir, `capture-${Date.now()}.pcap`);
    const ranges = tels.map((t) => phones.get(t)!.rtpPorts);
    const capture: RtpCapture = await startRtpCapture({ file, ranges, maxMs: 60_000 });
    // The first frames after a switch can still be the old path: skip a moment.
    const from = Date.now() + 300;
    let packets;
    try {
      // Polled off the file tcpdump writes packet by packet; bounded, and on failure the message
      // says how much each phone got.
      const deadline = Date.now() + 30_000;
      const need = (ms / 1000) * 8000;
      for (;;) {
        const got = readPcap(fs.readFileSync(file));
        const amounts = ranges.map((r) => heardOn(got, r, from).length);
        if (amounts.every((n) => n >= need)) break;
        if (Date.now() > deadline) {
          const all = ranges.map((r) => got.filter((p) => p.dstPort >= r[0] && p.dstPort <= r[1]));
          throw new Error(
            `not ${ms} ms of audio everywhere: ${tels
              .map(
                (t, i) =>
                  `${t} ${Math.round(amounts[i]! / 8)} ms (${all[i]!.length} packets in all, to ports ${[
                    ...new Set(all[i]!.map((p) => p.dstPort)),
                  ].join('/')})`,
              )
              .join(', ')}`,
          );
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      packets = await capture.stop();
    }
    const heard = new Map<string, number[]>();
    for (const [i, tel] of tels.entries())
      heard.set(tel, detectTones(heardOn(packets, ranges[i]!, from), ALL, { ratio: 0.1 }));
    return heard;
  }

  const others = (tel: string, tels: string[]): number[] =>
    tels
      .filter((t) => t !== tel)
      .map((t) => TONES[t]!)
      .sort((a, b) => a - b);

  test("the manual's flow, 3 parties: each hears the other two and not itself", async () => {
    const owner = await phone('201');
    await phone('202');
    await phone('203');
    // 1-4: 201 calls 202, holds, dials 46 (480).
    await call(owner, '202');
    await hold(owner, '202');
    await dial46(owner);
    // 202 is on the mixer. (baresip resumes its held call by itself once the 46 call closes: the
    // PBX answers that resume from the mixer too, so 201 already hears 202 there.)
    expect(h.cc.conferences.list()[0]?.parties).toContainEqual(
      expect.objectContaining({ party: '202', role: 'member' }),
    );
    // 5-9: 201 calls 203 (its held dialog with 202 is cleared), holds it, dials 46.
    await call(owner, '203', '202');
    await hold(owner, '203');
    await dial46(owner);
    // 10-11: 46 again ends the adding; 12: 201 resumes its held call and is in the conference.
    await dial46(owner);
    expect(h.cc.conferences.list()[0]).toMatchObject({ phase: 'started' });
    // The manual's step 12; this phone may have resumed by itself already (then this is refused).
    await owner.command('resume').catch(() => undefined);
    await waitFor('201 on the mixer', () =>
      (h.cc.conferences.list()[0]?.parties ?? []).some((p) => p.role === 'owner'),
    );
    await h.cc.conferences.idle('201');
    const heard = await listen(['201', '202', '203']);
    for (const tel of ['201', '202', '203'])
      expect([tel, heard.get(tel)]).toEqual([tel, others(tel, ['201', '202', '203'])]);
  });

  test('five parties (one 46 from a phone that did not hold); a member hangs up mid-conference; down to two they are re-INVITEd towards each other', async () => {
    const owner = await phone('201');
    for (const tel of ['202', '203', '204', '205']) await phone(tel);
    let previous: string | undefined;
    for (const tel of ['202', '203', '204']) {
      await call(owner, tel, previous);
      await hold(owner, tel);
      await dial46(owner);
      previous = tel;
    }
    // The last member: 46 dialled without holding first (phones that do not hold): the owner's
    // own leg joins the mixer at once.
    await call(owner, '205', previous);
    await dial46(owner);
    await dial46(owner);
    await h.cc.conferences.idle('201');
    const state = h.cc.conferences.list()[0];
    expect(state).toMatchObject({ phase: 'started' });
    expect(state?.parties.map((p) => p.party).sort()).toEqual(['201', '202', '203', '204', '205']);
    const five = ['201', '202', '203', '204', '205'];
    let heard = await listen(five);
    for (const tel of five) expect([tel, heard.get(tel)]).toEqual([tel, others(tel, five)]);

    // 204 hangs up: the other four go on without its tone.
    const p204 = phones.get('204')!;
    await p204.command('hangup');
    await waitFor('204 gone', () => h.cc.stations.peek('204')?.legs.length === 0);
    await h.cc.conferences.idle('201');
    const four = ['201', '202', '203', '205'];
    heard = await listen(four);
    for (const tel of four) expect([tel, heard.get(tel)]).toEqual([tel, others(tel, four)]);

    // 202 and 203 leave: 201 and 205 are connected directly (each phone was last sent the
    // other's media address), the mixer is gone.
    for (const tel of ['202', '203']) await phones.get(tel)!.command('hangup');
    await waitFor('conference ended', () => h.cc.conferences.list().length === 0);
    const port = (sdp: string): string | undefined => /^m=audio (\d+)/m.exec(sdp)?.[1];
    await waitFor(
      '201 and 205 re-INVITEd towards each other',
      () =>
        h.cc.env.registry.all().some((c) => {
          const [a, b] = [c.aLeg, c.bLeg];
          if (!c.connection || !b) return false;
          if ([a.party.number, b.party.number].sort().join() !== '201,205') return false;
          return (
            port(a.lastSent) === port(b.sdp) &&
            port(b.lastSent) === port(a.sdp) &&
            /a=sendrecv/.test(a.lastSent) &&
            /a=sendrecv/.test(b.lastSent)
          );
        }),
      10_000,
    );
  });

  test('a conference room: three stations dial 801, each hears the other two and not itself', async () => {
    const three = ['202', '203', '204'];
    for (const tel of three) {
      const p = await phone(tel);
      const since = p.events.length;
      await p.dial('801');
      await p.waitForEvent(
        (e) => e.type === 'CALL_ESTABLISHED' && e.peeruri === p.uri('801'),
        10_000,
        since,
      );
    }
    await h.cc.conferences.idle('801');
    expect(h.cc.conferences.list()).toEqual([
      expect.objectContaining({ id: '801', kind: 'room', phase: 'started' }),
    ]);
    const heard = await listen(three);
    for (const tel of three) expect([tel, heard.get(tel)]).toEqual([tel, others(tel, three)]);
    for (const tel of three) await phones.get(tel)!.command('hangup');
    await waitFor('room 801 closed', () => h.cc.conferences.list().length === 0);
  });
});
