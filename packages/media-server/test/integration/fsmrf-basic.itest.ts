/**
 * The unmodified drachtio-fsmrf client against the embedded media server: connect, endpoints,
 * play (decoded tone at the far end), play_and_get_digits with RFC 4733 digits, record, bridge,
 * uuid_dump, destroy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWav } from '../../src/media';
import { detectTones, dominantFrequency, sine } from '../helpers/audio';
import type { Any, Stack } from './stack';
import { endpointPair, startStack, withTimeout } from './stack';

function writeWav(file: string, samples: Int16Array): void {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  fs.writeFileSync(file, Buffer.concat([h, data]));
}

describe('drachtio-fsmrf 4.1.2 against the embedded media server', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsmrf-basic-'));
    writeWav(path.join(dir, 'tone-700.wav'), sine(700, 1000));
    fs.writeFileSync(path.join(dir, 'not-a-wav.wav'), 'hello');
    stack = await startStack({ soundsDir: dir });
  });
  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('connects and learns the SIP address from sofia status', () => {
    expect(stack.ms.sip.ipv4.udp.address).toBe(`127.0.0.1:${stack.media.sip.port}`);
    expect(stack.ms.hasCapability(['ipv4', 'udp'])).toBe(true);
  });

  it('gets a HEARTBEAT right after subscribing (stats filled without waiting 20 s)', async () => {
    const deadline = Date.now() + 3000;
    while (!(stack.ms.maxSessions > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(stack.ms.maxSessions).toBe(1000);
    expect(stack.ms.currentSessions).toBe(0);
    expect(stack.ms.cpuIdle).toBeGreaterThanOrEqual(0);
  });

  it('plays a WAV to one endpoint and the other endpoint records the tone', async () => {
    const [a, b]: [Any, Any] = await endpointPair(stack.ms);
    const rec = path.join(dir, 'heard.wav');
    await b.execute('record_session', rec);
    const result = await withTimeout<Any>(a.play('tone-700.wav'), 5000, 'play');
    expect(Number(result.playbackMilliseconds)).toBeGreaterThanOrEqual(900);
    await b.execute('stop_record_session', rec);
    const samples = await loadWav(rec);
    expect(samples.length).toBeGreaterThan(4000);
    expect(dominantFrequency(samples)).toBeGreaterThanOrEqual(675);
    expect(dominantFrequency(samples)).toBeLessThanOrEqual(725);
    await a.destroy();
    await b.destroy();
  });

  it('record_session records both directions by default', async () => {
    const [a, b]: [Any, Any] = await endpointPair(stack.ms);
    const rec = path.join(dir, 'both.wav');
    await b.execute('record_session', rec);
    await Promise.all([
      a.play('tone_stream://%(1000,0,700);loops=1'),
      b.play('tone_stream://%(1000,0,440);loops=1'),
    ]);
    await b.execute('stop_record_session', rec);
    expect(detectTones(await loadWav(rec), [440, 700, 1000])).toEqual([440, 700]);
    await a.destroy();
    await b.destroy();
  });

  it('answers re-INVITEs (hold, unhold) without disturbing the channel; uuid_dump follows the SDP', async () => {
    const [a, b]: [Any, Any] = await endpointPair(stack.ms);
    expect(Number(a.remote.mediaPort)).toBe(Number(b.local.mediaPort));
    const held: string = await a.dialog.modify('hold');
    expect(held).toMatch(/a=(inactive|recvonly)/);
    const unheld: string = await a.dialog.modify('unhold');
    expect(unheld).toMatch(/a=sendrecv/);
    const rec = path.join(dir, 'after-hold.wav');
    await b.execute('record_session', rec);
    await a.play('tone_stream://%(800,0,1000);loops=1');
    await b.execute('stop_record_session', rec);
    expect(detectTones(await loadWav(rec), [440, 700, 1000])).toEqual([1000]);
    const vars = await a.getChannelVariables(true);
    expect(vars['variable_rtp_local_sdp_str']).toContain('a=sendrecv');
    await a.destroy();
    await b.destroy();
  });

  it('rejects a missing file with FILE NOT FOUND and a non-WAV file too, and the channel lives on', async () => {
    const [a, b]: [Any, Any] = await endpointPair(stack.ms);
    await expect(a.play('no-such-file.wav')).rejects.toThrow();
    await expect(a.play('not-a-wav.wav')).rejects.toThrow();
    const vars = await a.getChannelVariables();
    expect(vars['Unique-ID']).toBe(a.uuid);
    await a.destroy();
    await b.destroy();
  });

  it('collects RFC 4733 digits with play_and_get_digits', async () => {
    const [a, b]: [Any, Any] = await endpointPair(stack.ms);
    const dtmfSeen: string[] = [];
    a.on('dtmf', (e: { dtmf: string }) => dtmfSeen.push(e.dtmf));
    const collect = a.playCollect({
      file: 'silence_stream://200',
      min: 1,
      max: 4,
      tries: 1,
      timeout: 4000,
      digitTimeout: 1500,
      terminators: '#',
    });
    setTimeout(() => void b.execute('send_dtmf', '123#@100'), 400);
    const r = await withTimeout<Any>(collect, 8000, 'playCollect');
    expect(r.digits).toBe('123');
    expect(r.terminatorUsed).toBe('#');
    expect(dtmfSeen.join('')).toBe('123#');
    await a.destroy();
    await b.destroy();
  });

  it('records what the far end sends (record app with a time limit)', async () => {
    const [a, b]: [Any, Any] = await endpointPair(stack.ms);
    const rec = path.join(dir, 'recorded.wav');
    const recording = a.record(rec, { timeLimitSecs: 2 });
    await b.play('tone_stream://%(1000,0,440);loops=1');
    const r = await withTimeout<Any>(recording, 6000, 'record');
    expect(Number(r.recordMilliseconds)).toBeGreaterThanOrEqual(1500);
    const samples = await loadWav(rec);
    expect(detectTones(samples, [440, 700, 1000])).toEqual([440]);
    await a.destroy();
    await b.destroy();
  });

  it('bridges two endpoints (audio flows) and unbridges them', async () => {
    const [a, b]: [Any, Any] = await endpointPair(stack.ms);
    const [c, d]: [Any, Any] = await endpointPair(stack.ms);
    // a↔b and c↔d are wired; bridging b and c makes a hear what d plays.
    await b.bridge(c);
    const rec = path.join(dir, 'bridged.wav');
    await a.execute('record_session', rec);
    await d.play('tone-700.wav');
    await a.execute('stop_record_session', rec);
    expect(detectTones(await loadWav(rec), [440, 700, 1000])).toEqual([700]);
    await b.unbridge();
    for (const ep of [a, b, c, d]) await ep.destroy();
  });

  it('tells fsmrf when the far end hangs up and frees every port', async () => {
    const [a, b]: [Any, Any] = await endpointPair(stack.ms);
    const destroyed = new Promise<{ reason?: string }>((resolve) => a.once('destroy', resolve));
    await stack.ms.api(`uuid_kill ${a.uuid}`);
    const info = await withTimeout(destroyed, 5000, 'destroy');
    expect(info.reason).toBe('NORMAL_CLEARING');
    await b.destroy();
    await withTimeout(
      new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (stack.media.stats().channels === 0 && stack.media.stats().portsInUse === 0) {
            clearInterval(t);
            resolve();
          }
        }, 50);
      }),
      5000,
      'ports freed',
    );
  });
});
