import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaEngineInternals } from '../../src/media/engine';
import type { MediaSession } from '../../src/media/rtp-session';
import { loadWav } from '../../src/media/wav';
import type { DtmfEvent, MixerMember, RtpSession } from '../../src/media/types';
import { detectTones, rms } from '../helpers/audio';
import { Collector, connect, engine, waitFor } from './harness';

const CANDIDATES = [300, 500, 700, 900, 1200, 1400, 2000, 2600];

/** A phone: a session on the peer engine talking to one session of the server engine. */
interface Phone {
  peer: RtpSession;
  server: RtpSession;
  heard: Collector;
  talk(freq: number): Promise<unknown>;
}

describe('bridge and conference mixer on loopback', () => {
  let server: MediaEngineInternals;
  let phones: MediaEngineInternals;
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'mixer-itest-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    server = await engine();
    phones = await engine();
  });
  afterEach(async () => {
    await server.close();
    await phones.close();
  });

  async function phone(): Promise<Phone> {
    const peer = await phones.openSession();
    const srv = await server.openSession();
    connect(peer, srv);
    const heard = new Collector();
    peer.addSink(heard);
    return {
      peer,
      server: srv,
      heard,
      talk: async (freq) =>
        peer.play(await phones.openSource(`tone_stream://%(1000,0,${freq})`, { loop: true })),
    };
  }

  /** Waits for `frames` more frames at every phone, then returns what each heard in them. */
  async function listen(ps: Phone[], frames = 25): Promise<Int16Array[]> {
    const start = ps.map((p) => p.heard.frames.length);
    await waitFor(
      () => ps.every((p, i) => p.heard.frames.length >= (start[i] as number) + frames),
      5000,
      'audio',
    );
    return ps.map((p, i) => p.heard.samples(start[i]));
  }

  /**
   * After a change, audio already in flight and in the phones' jitter buffers (up to 200 ms, more
   * on a loaded machine) still plays: listens in 25-frame windows until `holds` is true of one
   * window, failing after `withinMs`. Returns that window.
   */
  async function listenUntil(
    ps: Phone[],
    holds: (heard: Int16Array[]) => boolean,
    withinMs = 4000,
  ): Promise<Int16Array[]> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const heard = await listen(ps);
      if (holds(heard)) return heard;
      if (Date.now() > deadline) return heard; // the caller's assertions say what is wrong
    }
  }

  /** Lets the pipeline (jitter buffers, in flight packets) settle after a change. */
  async function settle(ps: Phone[]): Promise<void> {
    await listen(ps, 10);
  }

  it('bridges two sessions: each hears the other, and DTMF is forwarded as RFC 4733', async () => {
    const [p, q] = [await phone(), await phone()];
    const bridge = server.bridge(p.server, q.server);
    // Both legs in one sub-tick: what one receives leaves through the other in the same frame.
    expect(server.ticker.slotOf(p.server)).toBe(server.ticker.slotOf(q.server));
    void p.talk(700);
    void q.talk(1200);
    await settle([p, q]);
    const [atP, atQ] = await listen([p, q]);
    expect(detectTones(atP as Int16Array, CANDIDATES)).toEqual([1200]);
    expect(detectTones(atQ as Int16Array, CANDIDATES)).toEqual([700]);
    const digits: DtmfEvent[] = [];
    q.peer.on('dtmf', (e) => digits.push(e));
    await p.peer.sendDtmf('42#', 120);
    await waitFor(() => digits.length === 3, 3000, 'forwarded digits');
    expect(digits.map((d) => d.digit).join('')).toBe('42#');
    expect(digits.every((d) => d.durationSamples === 960)).toBe(true);
    expect(() => server.bridge(p.server, q.server)).toThrow(/already in a bridge/);
    bridge.close();
    const [afterP] = await listenUntil([p], ([heard]) => rms(heard as Int16Array) === 0);
    expect(rms(afterP as Int16Array)).toBe(0);
  });

  it('mixes three members: each hears the other two, not itself', async () => {
    const ps = [await phone(), await phone(), await phone()];
    const mixer = server.createMixer();
    const members = ps.map((p) => mixer.addMember(p.server));
    expect(mixer.size).toBe(3);
    // Members run in the mixer's sub-tick (spread over several by default).
    expect(server.ticker.slotCount).toBeGreaterThan(1);
    const slot = server.ticker.slotOf(mixer);
    expect(slot).toBeDefined();
    for (const p of ps) expect(server.ticker.slotOf(p.server)).toBe(slot);
    const freqs = [500, 900, 1400];
    ps.forEach((p, i) => void p.talk(freqs[i] as number));
    await settle(ps);
    const heard = await listen(ps);
    expect(detectTones(heard[0] as Int16Array, CANDIDATES)).toEqual([900, 1400]);
    expect(detectTones(heard[1] as Int16Array, CANDIDATES)).toEqual([500, 1400]);
    expect(detectTones(heard[2] as Int16Array, CANDIDATES)).toEqual([500, 900]);

    // Mute member 0 (not mixed in) and make member 2 deaf (hears nothing).
    (members[0] as MixerMember).setMute(true);
    (members[2] as MixerMember).setDeaf(true);
    const after = await listenUntil(
      ps,
      (h) =>
        rms(h[2] as Int16Array) === 0 &&
        detectTones(h[1] as Int16Array, CANDIDATES).join() === '1400',
    );
    expect(detectTones(after[0] as Int16Array, CANDIDATES)).toEqual([900, 1400]);
    expect(detectTones(after[1] as Int16Array, CANDIDATES)).toEqual([1400]);
    expect(rms(after[2] as Int16Array)).toBe(0);

    mixer.removeMember(members[1] as MixerMember);
    expect(mixer.size).toBe(2);
    ps[0]?.server.close(); // a member hanging up leaves the conference
    expect(mixer.size).toBe(1);
    mixer.close();
  });

  it('after one member hangs up and another is removed, the others still hear each other', async () => {
    // Ruled out for the conference-audio test's silence after a member left (README,
    // Conference): leaving stops nothing for the members who stay.
    const ps = [await phone(), await phone(), await phone(), await phone()];
    const mixer = server.createMixer();
    const members = ps.map((p) => mixer.addMember(p.server));
    const freqs = [500, 900, 1400, 2000];
    ps.forEach((p, i) => void p.talk(freqs[i] as number));
    await settle(ps);
    ps[1]?.server.close();
    mixer.removeMember(members[2] as MixerMember);
    expect(mixer.size).toBe(2);
    const stay = [ps[0] as Phone, ps[3] as Phone];
    await settle(stay);
    const heard = await listen(stay);
    expect(detectTones(heard[0] as Int16Array, CANDIDATES)).toEqual([2000]);
    expect(detectTones(heard[1] as Int16Array, CANDIDATES)).toEqual([500]);
    mixer.close();
  });

  it('plays to the whole conference or to one member, and records the mix', async () => {
    const ps = [await phone(), await phone()];
    const mixer = server.createMixer();
    const members = ps.map((p) => mixer.addMember(p.server));
    void ps[0]?.talk(500);
    const path = join(dir, 'conf.wav');
    await mixer.startRecording(path);
    // Long enough to still be playing when a loaded machine gets round to listening.
    const all = mixer.play(await server.openSource('tone_stream://%(2000,0,2000)'));
    await settle(ps);
    const heard = await listen(ps, 10);
    expect(detectTones(heard[0] as Int16Array, CANDIDATES)).toEqual([2000]);
    expect(detectTones(heard[1] as Int16Array, CANDIDATES)).toEqual([500, 2000]);
    expect(await all).toMatchObject({ reason: 'done', ms: 2000 });

    // Long enough to outlast the listening below on a loaded machine (it is stopped, 'break').
    const one = mixer.play(await server.openSource('tone_stream://%(6000,0,2600)'), members[1]);
    await settle(ps);
    // The conference tone's tail can still be in the phones' jitter buffers (up to 200 ms, more
    // after late packets on a loaded machine): listen until it has played out.
    const private_ = await listenUntil(
      ps,
      (h) =>
        detectTones(h[0] as Int16Array, CANDIDATES).length === 0 &&
        detectTones(h[1] as Int16Array, CANDIDATES).join() === '500,2600',
      3000,
    );
    expect(detectTones(private_[0] as Int16Array, CANDIDATES)).toEqual([]);
    expect(detectTones(private_[1] as Int16Array, CANDIDATES)).toEqual([500, 2600]);
    mixer.stopPlayback();
    expect((await one).reason).toBe('break');

    const rec = await mixer.stopRecording(path);
    expect(rec?.samples).toBeGreaterThan(8000 * 0.5);
    expect(await mixer.stopRecording(path)).toBeUndefined();
    const mix = await loadWav(path);
    expect(mix.length).toBe(rec?.samples);
    // The mix is the members plus the conference playback; a private playback is not in it.
    expect(detectTones(mix, CANDIDATES, { ratio: 0.01 })).toEqual([500, 2000]);
    mixer.close();
    expect((ps[0]?.server as MediaSession).feedOwner).toBeUndefined();
  });
});
