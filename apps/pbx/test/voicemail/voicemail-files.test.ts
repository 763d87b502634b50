import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { goertzel } from '../../../../packages/media-server/test/helpers/audio';
import { wavFile } from '../../src/media/hold-tune';
import { PROMPT_NAMES } from '../../src/state/voicemail-menu';
import { MailboxFiles } from '../../src/voicemail/mailbox-files';
import { ensurePrompts, filesFor, timeDigits } from '../../src/voicemail/prompts';
import { infoDigit } from '../../src/voicemail/vm-call';
import { auditWav, readPcm16 } from '../../src/voicemail/wav-audit';

const tone = (ms: number, freq: number, amp = 8000): Int16Array =>
  Int16Array.from({ length: (ms * 8000) / 1000 }, (_, n) =>
    Math.round(amp * Math.sin((2 * Math.PI * freq * n) / 8000)),
  );

describe('voice-mail files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vm-files-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('prompts: one WAV per prompt and digit, all tones below 1500 Hz; an installer file is kept', async () => {
    const custom = path.join(dir, 'vm-goodbye.wav');
    await writeFile(custom, wavFile(tone(300, 2000)));
    await ensurePrompts(dir);
    const names = await readdir(dir);
    expect(names).toHaveLength(PROMPT_NAMES.length + 10);
    expect((await readPcm16(custom)).samples.length).toBe(2400);
    for (const n of names.filter((x) => x !== 'vm-goodbye.wav')) {
      const { rate, samples } = await readPcm16(path.join(dir, n));
      expect(rate).toBe(8000);
      const high = Math.max(...[1600, 1850, 2000, 2500, 3000].map((f) => goertzel(samples, f)));
      const low = Math.max(
        ...[300, 350, 400, 500, 600, 700, 800, 1000, 1300].map((f) => goertzel(samples, f)),
      );
      expect(high).toBeLessThan(low / 10);
    }
  });

  test('what the menu says maps to files: digits, MMDDhhmm, counts, the message', () => {
    const t = new Date(2026, 0, 5, 9, 7).getTime();
    expect(timeDigits(t)).toBe('01050907');
    const files = filesFor(
      [{ prompt: 'from' }, { digits: '2a1' }, { count: 3 }, { message: 7 }, { message: 8 }],
      '/p',
      (id) => (id === 7 ? '/box/msg-7.wav' : undefined),
    );
    expect(files).toEqual([
      '/p/vm-from.wav',
      '/p/vm-digit-2.wav',
      '/p/vm-digit-1.wav',
      '/p/vm-digit-3.wav',
      '/box/msg-7.wav',
    ]);
  });

  test('audit: sound vs silence, and a header never completed is read to the end of the file', async () => {
    const f = path.join(dir, 'a.wav');
    const samples = new Int16Array(8000 * 3);
    samples.set(tone(1000, 440), 8000);
    await writeFile(f, wavFile(samples));
    expect(await auditWav(f)).toEqual({ ms: 3000, soundMs: 1000 });
    const broken = wavFile(samples);
    broken.writeUInt32LE(0, 40);
    await writeFile(f, broken);
    expect(await auditWav(f)).toEqual({ ms: 3000, soundMs: 1000 });
    await writeFile(f, wavFile(new Int16Array(8000)));
    expect((await auditWav(f)).soundMs).toBe(0);
    await writeFile(f, Buffer.from('not a wav at all'));
    await expect(auditWav(f)).rejects.toThrow(/RIFF/);
  });

  test('clean-up after a kill: temporary and row-less files go, rows without files are reported', async () => {
    const files = new MailboxFiles(dir);
    await mkdir(path.join(dir, 'boxes', '201'), { recursive: true });
    const temp = files.temp('201');
    const kept = files.messageName('201');
    const orphan = files.messageName('201');
    for (const f of [temp, kept, orphan]) await writeFile(files.abs(f), wavFile(tone(100, 440)));
    await writeFile(files.abs(files.greetingName('201')), wavFile(tone(100, 440)));
    const gone = path.join('boxes', '201', 'msg-gone.wav');
    const r = await files.cleanup(new Set([kept, gone]));
    expect(r).toEqual({ temporary: 1, orphans: 1, missing: [gone] });
    expect((await readdir(path.join(dir, 'boxes', '201'))).sort()).toEqual(
      ['greeting.wav', path.basename(kept)].sort(),
    );
    expect(() => files.temp('../x')).toThrow(RangeError);
  });

  test('SIP INFO digits: dtmf-relay and dtmf bodies; junk is no digit', () => {
    expect(infoDigit('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toBe('5');
    expect(infoDigit('Application/DTMF-Relay; x=y', 'Signal= #\r\n')).toBe('#');
    expect(infoDigit('application/dtmf-relay', 'Signal=11\r\n')).toBe('#');
    expect(infoDigit('application/dtmf', '*')).toBe('*');
    expect(infoDigit('application/dtmf-relay', 'Signal=Z')).toBeUndefined();
    expect(infoDigit('application/media_control+xml', '<x/>')).toBeUndefined();
    expect(infoDigit('', '')).toBeUndefined();
  });
});
