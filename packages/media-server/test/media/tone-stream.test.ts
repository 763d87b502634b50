import { parseToneStream, SilenceSource, ToneSource } from '../../src/media/tone-stream';
import { concatFrames, detectTones, rms } from '../helpers/audio';
import type { AudioSource } from '../../src/media/types';

function drain(src: AudioSource, max = 10000): Int16Array[] {
  const frames: Int16Array[] = [];
  // A source's frame is rewritten by its next readFrame: keep copies.
  for (let f = src.readFrame(); f && frames.length < max; f = src.readFrame())
    frames.push(f.slice());
  return frames;
}

describe('tone_stream parser', () => {
  it('reads segments and loops', () => {
    expect(parseToneStream('%(100,200,350,440);%(500,0,1000);loops=3')).toEqual({
      ok: true,
      spec: {
        segments: [
          { onMs: 100, offMs: 200, freqs: [350, 440] },
          { onMs: 500, offMs: 0, freqs: [1000] },
        ],
        loops: 3,
        volumeDb: -7,
      },
    });
    const v = parseToneStream('v=-20;%(100,0,400);d=100');
    expect(v.ok && v.spec.volumeDb).toBe(-20);
    const r = parseToneStream('%(2000,4000,440,480);loops=-1');
    expect(r.ok && r.spec.loops).toBe(-1);
  });

  it.each([
    '',
    'garbage',
    '%(100,100)',
    '%(a,b,c)',
    '%(100,100,5000)',
    'loops=0;%(1,1,400)',
    '%(0,0,400)',
  ])('rejects %p', (text) => {
    expect(parseToneStream(text).ok).toBe(false);
  });
});

describe('ToneSource', () => {
  it('plays on/off cadence with the right frequencies and length', () => {
    const r = parseToneStream('%(200,100,440,480);loops=2');
    if (!r.ok) throw new Error(r.error);
    const frames = drain(new ToneSource(r.spec));
    expect(frames).toHaveLength(30); // 2 × 300 ms
    const on = concatFrames(frames.slice(0, 10));
    const off = concatFrames(frames.slice(10, 15));
    expect(detectTones(on, [350, 440, 480, 620, 1000])).toEqual([440, 480]);
    expect(rms(off)).toBe(0);
  });

  it('is endless with loops=-1 or the loop option', () => {
    const r = parseToneStream('%(20,20,1000)');
    if (!r.ok) throw new Error(r.error);
    expect(drain(new ToneSource(r.spec))).toHaveLength(2);
    expect(drain(new ToneSource(r.spec, true), 500)).toHaveLength(500);
    const loud = Math.max(...drain(new ToneSource(r.spec))[0]!.map(Math.abs));
    expect(loud).toBeGreaterThan(14000); // -7 dBFS
    expect(loud).toBeLessThanOrEqual(14700);
    const src = new ToneSource(r.spec, true);
    src.close();
    expect(src.readFrame()).toBeNull();
  });
});

describe('SilenceSource', () => {
  it('gives ms of silence, endless for -1, faint noise for a level', () => {
    expect(SilenceSource.parse('1000')).toEqual({ ms: 1000, level: 0 });
    expect(SilenceSource.parse('-1,1400')).toEqual({ ms: -1, level: 1400 });
    expect(SilenceSource.parse('x')).toBeUndefined();
    const frames = drain(new SilenceSource(1000));
    expect(frames).toHaveLength(50);
    expect(rms(concatFrames(frames))).toBe(0);
    expect(drain(new SilenceSource(-1), 300)).toHaveLength(300);
    const noisy = concatFrames(drain(new SilenceSource(100, 1400)));
    expect(rms(noisy)).toBeGreaterThan(0);
    expect(Math.max(...noisy.map(Math.abs))).toBeLessThanOrEqual(Math.floor(32767 / 1400));
  });
});
