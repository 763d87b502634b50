import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toneWav } from '../../../packages/media-server/test/helpers/tone-wav';
import { CliFixture, expectFailure } from './helpers';

describe('pbx vm greeting', () => {
  let f: CliFixture;
  beforeEach(async () => {
    f = new CliFixture();
    await f.ok('ext', 'add', '201', '--password', 'Secret#2020x');
  });
  afterEach(() => f.cleanup());

  const greeting = () => join(f.dir, 'voicemail', 'boxes', '201', 'greeting.wav');

  it('sets the greeting from a WAV file and resets it to the default', async () => {
    const wav = join(f.dir, 'hello.wav');
    toneWav(wav, 1400, 2);
    expect(await f.ok('vm', 'greeting', '201', wav)).toBe(
      `station 201: greeting set from ${wav} (2.0 s)\n`,
    );
    expect(readFileSync(greeting())).toEqual(readFileSync(wav));
    const store = await f.store();
    try {
      expect((await store.voicemail.box('201')).greeting).toBe(
        join('boxes', '201', 'greeting.wav'),
      );
    } finally {
      await store.close();
    }
    expect(await f.ok('vm', 'greeting', '201', '--reset')).toBe(
      'station 201: the default greeting\n',
    );
    expect(existsSync(greeting())).toBe(false);
    const after = await f.store();
    try {
      expect((await after.voicemail.box('201')).greeting).toBe('');
    } finally {
      await after.close();
    }
  });

  it('refuses files the media server cannot play, too short or too long, with what to do', async () => {
    const notWav = join(f.dir, 'x.wav');
    writeFileSync(notWav, 'hello, not audio');
    expectFailure(await f.pbx('vm', 'greeting', '201', notWav), 2, /not a WAV file.*sox/);
    const short = join(f.dir, 'short.wav');
    toneWav(short, 1400, 0.2);
    expectFailure(await f.pbx('vm', 'greeting', '201', short), 2, /too short.*at least 0\.5 s/);
    const long = join(f.dir, 'long.wav');
    toneWav(long, 1400, 61);
    expectFailure(await f.pbx('vm', 'greeting', '201', long), 2, /61\.0 s is too long/);
    expectFailure(await f.pbx('vm', 'greeting', '201'), 2, /give the WAV file, or --reset/);
    expectFailure(await f.pbx('vm', 'greeting', '209', short), 1, /209/);
    expect(existsSync(greeting())).toBe(false);
  });
});
