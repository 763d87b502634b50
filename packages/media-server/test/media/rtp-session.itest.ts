import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PCMA, PCMU } from '../../src/media/g711';
import type { MediaSession } from '../../src/media/rtp-session';
import { loadWav } from '../../src/media/wav';
import { serializeRtp } from '../../src/media/rtp-packet';
import type { MediaEngineInternals } from '../../src/media/engine';
import type { DtmfEvent } from '../../src/media/types';
import { detectTones, dominantFrequency, rms } from '../helpers/audio';
import { Collector, connect, engine, waitFor } from './harness';

const CANDIDATES = [300, 500, 700, 900, 1000, 1400, 2000, 3000];

describe('RTP sessions on loopback', () => {
  let a: MediaEngineInternals;
  let b: MediaEngineInternals;
  let dir: string;
  beforeEach(async () => {
    a = await engine();
    b = await engine();
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'media-itest-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([PCMU, PCMA])('carries a 1 kHz tone over %o into a WAV recording', async (codec) => {
    const tx = await a.openSession();
    const rx = await b.openSession();
    connect(tx, rx, { codec });
    const path = join(dir, `rx-${codec.name}.wav`);
    const rec = await b.openRecorder(path);
    const heard = new Collector();
    rx.addSink(rec);
    rx.addSink(heard);
    const result = await tx.play(await a.openSource('tone_stream://%(1000,0,1000)'));
    expect(result).toMatchObject({ reason: 'done', ms: 1000, samples: 8000 });
    // 90 %: a loaded machine may stall the loop and the jitter buffer then drops a late packet.
    await waitFor(() => heard.soundFrames >= 45, 3000, 'the tone');
    await waitFor(
      () => heard.frames.slice(-5).every((f) => f.every((x) => Math.abs(x) < 16)),
      3000,
      'silence after it',
    );
    rx.removeSink(rec);
    const r = await rec.close();
    expect(r.samples).toBeGreaterThanOrEqual(8000);
    const samples = await loadWav(path);
    expect(samples.length).toBe(r.samples);
    expect(dominantFrequency(samples)).toBe(1000);
    expect(detectTones(samples, CANDIDATES, { ratio: 0.01 })).toEqual([1000]);
  });

  it('taps what it sends (write) and both directions summed (both)', async () => {
    const tx = await a.openSession();
    const rx = await b.openSession();
    connect(tx, rx);
    const wrote = new Collector();
    const both = new Collector();
    rx.addSink(wrote, 'write');
    rx.addSink(both, 'both');
    void tx.play(await a.openSource('tone_stream://%(1000,0,1000)', { loop: true }));
    void rx.play(await b.openSource('tone_stream://%(1000,0,500)', { loop: true }));
    await waitFor(() => both.soundFrames >= 40, 5000, 'audio both ways');
    const from = both.frames.length;
    await waitFor(() => both.frames.length >= from + 25, 5000);
    expect(detectTones(wrote.samples(from), CANDIDATES)).toEqual([500]);
    expect(detectTones(both.samples(from), CANDIDATES)).toEqual([500, 1000]);
    rx.removeSink(both);
    const n = both.frames.length;
    await waitFor(() => wrote.frames.length >= n + 5, 2000);
    expect(both.frames.length).toBe(n);
  });

  it('sends RFC 4733 digits that the far end reports once each with their duration', async () => {
    const tx = await a.openSession();
    const rx = await b.openSession();
    connect(tx, rx);
    const got: DtmfEvent[] = [];
    rx.on('dtmf', (e) => got.push(e));
    await tx.sendDtmf('15*#A', 100);
    await waitFor(() => got.length >= 5, 3000, 'five digits');
    expect(got.map((e) => e.digit).join('')).toBe('15*#A');
    expect(got.every((e) => e.durationSamples === 800 && e.source === 'RTP')).toBe(true);
    // Every packet sent (incl. the end retransmissions) has arrived: still five digits.
    await waitFor(
      () => (rx as MediaSession).counters.received === (tx as MediaSession).counters.sent,
      3000,
    );
    expect(got).toHaveLength(5);
  });

  it('sends digits in-band as dual tones when telephone-event was not negotiated', async () => {
    const tx = await a.openSession();
    const rx = await b.openSession();
    connect(tx, rx);
    tx.setRemote({
      address: rx.localAddress,
      port: rx.localPort,
      codec: PCMU,
      direction: 'sendrecv',
    });
    const heard = new Collector();
    rx.addSink(heard);
    await tx.sendDtmf('5', 200);
    await waitFor(() => heard.soundFrames >= 8, 3000, 'the in-band digit');
    const tone = heard.samples(heard.frames.findIndex((f) => f.some((x) => x !== 0)));
    expect(
      detectTones(tone.subarray(0, 1280), [697, 770, 852, 941, 1209, 1336, 1477, 1633]),
    ).toEqual([770, 1336]);
  });

  it('respects direction: recvonly/inactive send nothing, sendonly/inactive ignore what arrives', async () => {
    const tx = await a.openSession();
    const rx = await b.openSession();
    connect(tx, rx, { dirA: 'recvonly' });
    await tx.play(await a.openSource('tone_stream://%(200,0,1000)'));
    expect((tx as MediaSession).counters.sent).toBe(0);
    connect(tx, rx, { dirA: 'sendrecv', dirB: 'sendonly' });
    const heard = new Collector();
    rx.addSink(heard);
    await tx.play(await a.openSource('tone_stream://%(300,0,1000)'));
    await waitFor(() => (rx as MediaSession).counters.received >= 15, 3000, 'packets at rx');
    expect(heard.soundFrames).toBe(0);
    connect(tx, rx, { dirA: 'inactive', dirB: 'inactive' });
    const sentBefore = (tx as MediaSession).counters.sent;
    await tx.play(await a.openSource('tone_stream://%(200,0,1000)'));
    expect((tx as MediaSession).counters.sent).toBe(sentBefore);
  });

  it('mutes what it sends (write) and what it hears (read)', async () => {
    const tx = await a.openSession();
    const rx = await b.openSession();
    connect(tx, rx);
    const heard = new Collector();
    rx.addSink(heard);
    tx.setMute('write', true);
    await tx.play(await a.openSource('tone_stream://%(300,0,1000)'));
    await waitFor(() => (rx as MediaSession).counters.received >= 15, 3000);
    expect(heard.soundFrames).toBe(0);
    tx.setMute('write', false);
    rx.setMute('read', true);
    await tx.play(await a.openSource('tone_stream://%(300,0,1000)'));
    await waitFor(() => (rx as MediaSession).counters.received >= 30, 3000);
    expect(heard.soundFrames).toBe(0);
    rx.setMute('read', false);
    await tx.play(await a.openSource('tone_stream://%(300,0,1000)'));
    await waitFor(() => heard.soundFrames >= 10, 3000, 'unmuted audio');
  });

  it('stopPlayback breaks a looping playback; close resolves it with hangup', async () => {
    const tx = await a.openSession();
    const rx = await b.openSession();
    connect(tx, rx);
    const moh = tx.play(await a.openSource('tone_stream://%(100,100,440)', { loop: true }));
    await waitFor(() => (tx as MediaSession).counters.sent >= 20, 3000);
    tx.stopPlayback();
    const r = await moh;
    expect(r.reason).toBe('break');
    expect(r.ms).toBeGreaterThanOrEqual(400);
    const endless = tx.play(await a.openSource('silence_stream://-1'));
    tx.close();
    expect((await endless).reason).toBe('hangup');
    expect((await tx.play(await a.openSource('silence_stream://100'))).reason).toBe('hangup');
  });

  it('latches to where RTP comes from (symmetric RTP) and only then ignores other sources', async () => {
    const rx = await b.openSession();
    const peer = await bind('127.0.0.1');
    const stranger = await bind('127.0.0.2');
    try {
      // Signalled port is wrong (NAT); the peer sends from its real port.
      rx.setRemote({
        address: '127.0.0.1',
        port: 9,
        codec: PCMU,
        telephoneEventPayloadType: 101,
        direction: 'sendrecv',
      });
      const heard = new Collector();
      rx.addSink(heard);
      const back: Buffer[] = [];
      peer.on('message', (m) => back.push(m));
      const tone = (n: number, ssrc: number, value: number): Uint8Array =>
        serializeRtp({
          marker: n === 0,
          payloadType: 0,
          sequenceNumber: n,
          timestamp: n * 160,
          ssrc,
          payload: new Uint8Array(160).fill(value),
        });
      // Before latching: a packet from another address is dropped.
      stranger.send(tone(0, 2, 0x10), rx.localPort, '127.0.0.1');
      await waitFor(() => (rx as MediaSession).dropTotals()['unexpected source'] === 1, 2000);
      for (let i = 0; i < 10; i++) peer.send(tone(i, 1, 0x20), rx.localPort, '127.0.0.1');
      await waitFor(() => (rx as MediaSession).counters.received === 10, 2000);
      // After latching: even the same IP from another port is dropped.
      const other = await bind('127.0.0.1');
      other.send(tone(50, 3, 0x30), rx.localPort, '127.0.0.1');
      await waitFor(() => (rx as MediaSession).dropTotals()['unexpected source'] === 2, 2000);
      other.close();
      // We send to the latched address, not to port 9.
      const done = rx.play(await b.openSource('tone_stream://%(100,0,1000)'));
      await done;
      await waitFor(() => back.length >= 5, 2000, 'RTP at the latched port');
    } finally {
      peer.close();
      stranger.close();
    }
  });

  it('sends an RTCP sender report to RTP port + 1 about every 5 s', async () => {
    // A raw peer on a port pair: borrow one from an engine, then bind raw sockets on it.
    const probe = await b.openSession();
    const port = probe.localPort;
    probe.close();
    await (probe as MediaSession).released;
    const rtp = await bind('127.0.0.1', port);
    const rtcp = await bind('127.0.0.1', port + 1);
    try {
      // The source first: the report comes 250 frames after the session opened, and frames
      // before the playback starts send nothing (awaiting openSource on a loaded machine cost
      // 20-40 of them when it came between the two).
      const silence = await a.openSource('silence_stream://-1');
      const reports: Buffer[] = [];
      rtcp.on('message', (m) => reports.push(m));
      const tx = await a.openSession();
      tx.setRemote({ address: '127.0.0.1', port, codec: PCMU, direction: 'sendrecv' });
      void tx.play(silence);
      await waitFor(() => reports.length > 0, 8000, 'a sender report');
      const sr = reports[0] as Buffer;
      expect(sr[1]).toBe(200);
      expect(sr.readUInt32BE(4)).toBe((tx as MediaSession).ssrc);
      expect(sr.readUInt32BE(20)).toBeGreaterThanOrEqual(240); // packets sent so far
    } finally {
      rtp.close();
      rtcp.close();
    }
  }, 15000);

  it('drops garbage, truncated packets and wrong payload types without a crash, then still works', async () => {
    const tx = await a.openSession();
    const rx = await b.openSession();
    connect(tx, rx);
    const attacker = await bind('127.0.0.1');
    try {
      // The attacker sends from the signalled IP before the real peer latches; its one valid
      // packet (PCMU) latches it, until the peer at the signalled port takes the latch back.
      const junk = [
        Buffer.alloc(0),
        Buffer.from('hello'),
        Buffer.from([0x80, 0x00, 0x00]),
        Buffer.from([0x8f, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]), // 15 CSRCs announced, none there
        Buffer.from(
          serializeRtp({
            marker: false,
            payloadType: 96,
            sequenceNumber: 1,
            timestamp: 1,
            ssrc: 1,
            payload: new Uint8Array(160),
          }),
        ),
        Buffer.from([0x80, 101, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1]), // truncated telephone-event
        Buffer.alloc(1500, 0xff),
        Buffer.from(
          serializeRtp({
            marker: false,
            payloadType: 0,
            sequenceNumber: 9,
            timestamp: 9,
            ssrc: 9,
            payload: new Uint8Array(160),
          }),
        ),
      ];
      for (const j of junk) attacker.send(j, rx.localPort, '127.0.0.1');
      for (const j of junk) attacker.send(j, rx.localPort + 1, '127.0.0.1'); // RTCP port too
      await waitFor(
        () => Object.values((rx as MediaSession).dropTotals()).reduce((x, y) => x + y, 0) >= 6,
        2000,
        'drops',
      );
      const drops = (rx as MediaSession).dropTotals();
      expect(drops['bad rtp']).toBeGreaterThanOrEqual(4);
      expect(drops['unexpected payload type']).toBe(1);
      expect(drops['bad telephone-event']).toBe(1);
      const heard = new Collector();
      rx.addSink(heard);
      const r = await tx.play(await a.openSource('tone_stream://%(500,0,1000)'));
      expect(r.reason).toBe('done');
      await waitFor(() => heard.soundFrames >= 20, 3000, 'audio after garbage');
      expect(dominantFrequency(heard.samples())).toBe(1000);
    } finally {
      attacker.close();
    }
  });

  it('hands out even RTP ports, says clearly when the range is exhausted, and releases on close', async () => {
    const small = await import('../../src/media/engine').then((m) =>
      m
        .createMediaEngine({
          address: '127.0.0.1',
          rtpPortMin: 41000 + 2 * Math.floor(Math.random() * 500),
          rtpPortMax: 0,
        })
        .catch((e: unknown) => e),
    );
    expect(small).toBeInstanceOf(RangeError);
    const e = await engine(2);
    try {
      const s1 = await e.openSession();
      const s2 = await e.openSession();
      expect(s1.localPort % 2).toBe(0);
      expect(s2.localPort % 2).toBe(0);
      expect(e.stats()).toMatchObject({ sessions: 2, portsInUse: 2 });
      await expect(e.openSession()).rejects.toMatchObject({ name: 'PortRangeExhaustedError' });
      s1.close();
      s1.close(); // idempotent
      await (s1 as MediaSession).released;
      expect(e.stats()).toMatchObject({ sessions: 1, portsInUse: 1 });
      const s3 = await e.openSession();
      expect(s3.localPort).toBe(s1.localPort);
      // The freed ports are really closed: another socket can bind the RTCP port.
      s3.close();
      await (s3 as MediaSession).released;
      const probe = await bind('127.0.0.1', s3.localPort + 1);
      probe.close();
    } finally {
      await e.close();
    }
    expect(e.stats()).toMatchObject({ sessions: 0, portsInUse: 0 });
    expect(e.ticker.size).toBe(0); // no session or timer left behind
  });

  it('openSource rejects a missing file and a non-WAV file with MediaFileError', async () => {
    await expect(a.openSource(join(dir, 'nope.wav'))).rejects.toMatchObject({
      name: 'MediaFileError',
      code: 'not-found',
    });
    const txt = join(dir, 'x.wav');
    writeFileSync(txt, 'not a wav');
    await expect(a.openSource(txt)).rejects.toMatchObject({
      name: 'MediaFileError',
      code: 'unsupported',
    });
    await expect(a.openSource('tone_stream://%(x)')).rejects.toMatchObject({ code: 'unsupported' });
    await expect(a.openSource('http://example.invalid/a.wav')).rejects.toMatchObject({
      code: 'unsupported',
    });
    await expect(a.openRecorder(join(dir, 'no-such-dir', 'r.wav'))).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('plays a WAV file (8 kHz) to the far end', async () => {
    const tx = await a.openSession();
    const rx = await b.openSession();
    connect(tx, rx);
    const path = join(dir, 'prompt.wav');
    const rec = await a.openRecorder(path);
    const src = await a.openSource('tone_stream://%(600,0,700)');
    for (let f = src.readFrame(); f; f = src.readFrame()) rec.writeFrame(f);
    await rec.close();
    const heard = new Collector();
    rx.addSink(heard);
    const r = await tx.play(await a.openSource(path));
    expect(r).toMatchObject({ reason: 'done', ms: 600 });
    await waitFor(() => heard.soundFrames >= 28, 3000, 'the prompt');
    expect(detectTones(heard.samples(), CANDIDATES, { ratio: 0.01 })).toEqual([700]);
    expect(rms(heard.samples())).toBeGreaterThan(1000);
  });
});

function bind(address: string, port = 0): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, address, () => resolve(s));
  });
}
