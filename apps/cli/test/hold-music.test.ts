/**
 * `pbx config set media.holdMusic <file>`: a WAV the media server can play is stored as an
 * absolute path; anything else is refused with what is wrong with it, and nothing is stored.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliFixture, expectFailure } from './helpers';

/** A RIFF/WAVE header (+ `samples` zero samples) with the given format fields. */
function wav(opts: {
  format?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  samples?: number;
}): Buffer {
  const { format = 1, channels = 1, rate = 8000, bits = 16, samples = 800 } = opts;
  const data = Buffer.alloc(samples * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(format, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE((rate * channels * bits) / 8, 28);
  h.writeUInt16LE((channels * bits) / 8, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

describe('pbx config set media.holdMusic', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('stores a playable WAV as an absolute path', async () => {
    const file = join(f.dir, 'tune.wav');
    writeFileSync(file, wav({ rate: 16000 }));
    expect(await f.ok('config', 'set', 'media.holdMusic', file)).toBe(
      `media.holdMusic = ${file}\n`,
    );
    expect(await f.ok('config', 'get', 'media.holdMusic')).toBe(`${file}\n`);
  });

  it.each([
    ['missing.wav', null, /missing\.wav: cannot read it \(no such file\)$/],
    [
      'song.mp3',
      Buffer.from('ID3\u0004\u0000\u0000 not a wav at all'),
      /song\.mp3: not a WAV file/,
    ],
    ['stereo.wav', wav({ channels: 2 }), /stereo\.wav: 2 channels; it must be mono$/],
    ['cd.wav', wav({ rate: 44100 }), /cd\.wav: 44100 Hz; it must be 8000 or 16000 Hz$/],
    ['ulaw.wav', wav({ format: 7, bits: 8 }), /ulaw\.wav: not 16-bit PCM \(format 7, 8 bits\)$/],
    ['empty.wav', wav({ samples: 0 }), /empty\.wav: it holds no audio$/],
  ])('refuses %s with what is wrong', async (name, content, message) => {
    const file = join(f.dir, name);
    if (content) writeFileSync(file, content);
    expectFailure(await f.pbx('config', 'set', 'media.holdMusic', file), 2, message);
    expect(await f.ok('config', 'get', 'media.holdMusic')).toBe('(unset)\n');
  });

  it('refuses a directory', async () => {
    expectFailure(
      await f.pbx('config', 'set', 'media.holdMusic', f.dir),
      2,
      /cannot read it \(it is a directory\)$/,
    );
  });
});
