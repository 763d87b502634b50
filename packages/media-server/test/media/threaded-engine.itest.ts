/**
 * The media engine in a worker thread (`createThreadedMediaEngine`), driven through the same
 * contract as the in-thread engine: real UDP on 127.0.0.1 against "phones" (an in-thread engine),
 * audio checked by decoding it (Goertzel), DTMF both ways, a recorder with its silence check, the
 * error classes rebuilt on this side, and a close that frees every port and ends the worker.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import type { MediaEngineInternals } from '../../src/media/engine';
import { MediaStateError, PortRangeExhaustedError } from '../../src/media/errors';
import { createThreadedMediaEngine } from '../../src/media/thread/remote-engine';
import type { ThreadedMediaEngine } from '../../src/media/thread/remote-engine';
import { MediaFileError } from '../../src/media/types';
import type { DtmfEvent, RtpSession } from '../../src/media/types';
import { loadWav } from '../../src/media/wav';
import { detectTones, rms } from '../helpers/audio';
import { Collector, connect, engine, waitFor } from './harness';

const CANDIDATES = [300, 500, 700, 900, 1200, 1400, 2000];

function range(pairs: number): { rtpPortMin: number; rtpPortMax: number } {
  const min = 20000 + 2 * randomInt(0, 15000);
  return { rtpPortMin: min, rtpPortMax: min + 2 * pairs - 1 };
}

async function canBind(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('media engine in a worker thread', () => {
  let media: ThreadedMediaEngine;
  let phones: MediaEngineInternals;
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'threaded-itest-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    media = await createThreadedMediaEngine({ address: '127.0.0.1', ...range(50) });
    phones = await engine();
  });
  afterEach(async () => {
    await media.close();
    await phones.close();
  });

  async function phone(): Promise<{ peer: RtpSession; server: RtpSession; heard: Collector }> {
    const peer = await phones.openSession();
    const server = await media.openSession();
    connect(peer, server);
    const heard = new Collector();
    peer.addSink(heard);
    return { peer, server, heard };
  }

  async function listen(c: Collector, frames = 25): Promise<Int16Array> {
    const start = c.frames.length;
    await waitFor(() => c.frames.length >= start + frames, 5000, 'audio');
    return c.samples(start);
  }

  it('runs in another thread and plays a tone that arrives at its frequency', async () => {
    const { threadId } = await import('node:worker_threads');
    expect(media.threadId).not.toBe(threadId);
    const p = await phone();
    const played = media.openSource('tone_stream://%(1000,0,700)', { loop: true });
    void p.server.play(await played);
    await listen(p.heard, 10); // jitter buffer fill
    expect(detectTones(await listen(p.heard), CANDIDATES)).toEqual([700]);
    const st = await media.threadStats();
    expect(st.frames).toBeGreaterThan(0);
    expect(media.stats()).toMatchObject({ sessions: 1, portsInUse: 1 });
  });

  it('mixes a 3-member conference in the worker: each hears the other two, not itself', async () => {
    const ps = [await phone(), await phone(), await phone()];
    const mixer = media.createMixer();
    for (const p of ps) mixer.addMember(p.server);
    expect(mixer.size).toBe(3);
    const freqs = [500, 900, 1400];
    for (const [i, p] of ps.entries())
      void p.peer.play(
        await phones.openSource(`tone_stream://%(1000,0,${freqs[i]})`, { loop: true }),
      );
    await listen(ps[0]!.heard, 15);
    const heard = await Promise.all(ps.map((p) => listen(p.heard)));
    expect(detectTones(heard[0]!, CANDIDATES)).toEqual([900, 1400]);
    expect(detectTones(heard[1]!, CANDIDATES)).toEqual([500, 1400]);
    expect(detectTones(heard[2]!, CANDIDATES)).toEqual([500, 900]);
    // A member cannot also be bridged; a closed session leaves the mixer here too.
    expect(() => media.bridge(ps[0]!.server, ps[1]!.server)).toThrow(MediaStateError);
    ps[2]!.server.close();
    expect(mixer.size).toBe(2);
    mixer.close();
  });

  it('carries DTMF both ways and stops a playback on request', async () => {
    const p = await phone();
    const got: DtmfEvent[] = [];
    p.server.on('dtmf', (e) => got.push(e));
    await p.peer.sendDtmf('42#', 100);
    await waitFor(() => got.length === 3, 5000, 'three digits');
    expect(got.map((d) => d.digit).join('')).toBe('42#');
    const atPhone: string[] = [];
    p.peer.on('dtmf', (e) => atPhone.push(e.digit));
    await p.server.sendDtmf('7*', 100);
    await waitFor(() => atPhone.length === 2, 5000, 'two digits at the phone');
    expect(atPhone.join('')).toBe('7*');
    const playing = p.server.play(await media.openSource('silence_stream://-1'));
    p.server.stopPlayback();
    expect((await playing).reason).toBe('break');
  });

  it('records in the worker, with the silence check firing once the far end goes quiet', async () => {
    const p = await phone();
    const file = join(dir, 'rec.wav');
    let silent = 0;
    const rec = await media.openRecorder(file, {
      silence: { threshold: 200, frames: 25, onSilence: () => silent++ },
    });
    expect(() => rec.writeFrame(new Int16Array(160))).toThrow(MediaStateError);
    const talking = p.peer.play(await phones.openSource('tone_stream://%(1000,0,1200);loops=1'));
    p.server.addSink(rec);
    await talking;
    await waitFor(() => silent === 1, 5000, 'the silence check');
    p.server.removeSink(rec);
    const result = await rec.close();
    expect(result.ms).toBeGreaterThan(500);
    const samples = await loadWav(file);
    expect(rms(samples)).toBeGreaterThan(100);
    expect(detectTones(samples, CANDIDATES)).toEqual([1200]);
    expect(silent).toBe(1);
  });

  it('rebuilds the engine errors on this side', async () => {
    await expect(media.openSource(join(dir, 'missing.wav'))).rejects.toBeInstanceOf(MediaFileError);
    await expect(media.openSource('tone_stream://nonsense(')).rejects.toMatchObject({
      code: 'unsupported',
    });
    const src = await media.openSource('silence_stream://100');
    expect(() => src.readFrame()).toThrow(MediaStateError);
    src.close();
    const small = await createThreadedMediaEngine({ address: '127.0.0.1', ...range(1) });
    try {
      await small.openSession();
      await expect(small.openSession()).rejects.toBeInstanceOf(PortRangeExhaustedError);
    } finally {
      await small.close();
    }
  });

  it('fails to start with the engine error and leaves no worker behind', async () => {
    await expect(
      createThreadedMediaEngine({ address: '127.0.0.1', rtpPortMin: 3000, rtpPortMax: 3000 }),
    ).rejects.toThrow(/bad RTP port range/);
  });

  it('close() ends playbacks, frees every port and terminates the worker', async () => {
    const p = await phone();
    const port = p.server.localPort;
    const playing = p.server.play(await media.openSource('silence_stream://-1'));
    await media.close();
    expect((await playing).reason).toBe('hangup');
    expect(media.stats()).toMatchObject({ sessions: 0, portsInUse: 0 });
    expect(await canBind(port)).toBe(true);
    expect(await canBind(port + 1)).toBe(true);
    await expect(media.threadStats()).rejects.toThrow(/exited|closed/);
    await expect(media.openSession()).rejects.toBeInstanceOf(MediaStateError);
  });
});
