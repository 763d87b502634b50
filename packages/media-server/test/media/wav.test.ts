import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WaveFile } from 'wavefile';
import { downsample16kTo8k, loadWav, parseWav, wavHeader } from '../../src/media/wav';
import { MediaFileError } from '../../src/media/types';
import { detectTones, dominantFrequency, goertzel, sine } from '../helpers/audio';

/** WAV fixtures are written by wavefile, an implementation independent of our reader. */
function wav(rate: number, samples: Int16Array, bits = '16', channels = 1): Uint8Array {
  const w = new WaveFile();
  w.fromScratch(channels, rate, bits, Array.from(samples));
  return w.toBuffer();
}

describe('WAV reader', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'wav-test-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads 8 kHz 16-bit mono as is', () => {
    const s = sine(1000, 200);
    const r = parseWav(wav(8000, s));
    expect(r.ok && r.sampleRate).toBe(8000);
    expect(r.ok && Array.from(r.samples)).toEqual(Array.from(s));
  });

  it('downsamples 16 kHz and removes what is above 4 kHz', async () => {
    // 1 kHz wanted + 6 kHz that would alias to 2 kHz without the low-pass.
    const a = sine(1000, 500, { rate: 16000 });
    const b = sine(6000, 500, { rate: 16000 });
    const mixed = a.map((x, i) => x + (b[i] as number));
    const path = join(dir, 'wide.wav');
    writeFileSync(path, wav(16000, mixed));
    const out = await loadWav(path);
    expect(out.length).toBe(4000);
    expect(dominantFrequency(out)).toBe(1000);
    expect(goertzel(out, 2000)).toBeLessThan(goertzel(out, 1000) * 0.001);
    expect(detectTones(downsample16kTo8k(a), [1000, 2000])).toEqual([1000]);
  });

  it('skips unknown and odd-sized chunks and reads a truncated data chunk', () => {
    const s = Int16Array.of(1, 2, 3, 4);
    const head = wavHeader(100); // claims 100 bytes, has 8
    const junk = Buffer.from('LIST\x03\x00\x00\x00abc\x00', 'latin1');
    const buf = Buffer.concat([
      head.subarray(0, 36),
      junk,
      head.subarray(36),
      Buffer.from(s.buffer),
    ]);
    const r = parseWav(buf);
    expect(r.ok && Array.from(r.samples)).toEqual([1, 2, 3, 4]);
  });

  it.each([
    ['not RIFF', Buffer.from('hello world, not a wave file at all')],
    ['empty', Buffer.alloc(0)],
    ['8-bit', Buffer.from(wav(8000, Int16Array.of(1, 2), '8'))],
    ['stereo', Buffer.from(wav(8000, Int16Array.of(1, 2, 3, 4), '16', 2))],
    ['44.1 kHz', Buffer.from(wav(44100, Int16Array.of(1, 2)))],
    ['no data', wavHeader(0).subarray(0, 36)],
  ])('rejects %s', (_name, buf) => {
    expect(parseWav(buf).ok).toBe(false);
  });

  it('shares the decoded samples of an unchanged file and reloads a changed one', async () => {
    const path = join(dir, 'moh.wav');
    writeFileSync(path, wav(8000, sine(440, 100)));
    const first = await loadWav(path);
    expect(await loadWav(path)).toBe(first);
    writeFileSync(path, wav(8000, sine(880, 200)));
    const second = await loadWav(path);
    expect(second).not.toBe(first);
    expect(dominantFrequency(second)).toBe(875);
  });

  it('loadWav rejects with MediaFileError not-found / unsupported', async () => {
    await expect(loadWav(join(dir, 'missing.wav'))).rejects.toMatchObject({
      name: 'MediaFileError',
      code: 'not-found',
    });
    const txt = join(dir, 'text.wav');
    writeFileSync(txt, 'just text');
    const err = await loadWav(txt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaFileError);
    expect(err).toMatchObject({ code: 'unsupported', path: txt });
    await expect(loadWav(dir)).rejects.toMatchObject({ code: 'unsupported' });
  });
});
