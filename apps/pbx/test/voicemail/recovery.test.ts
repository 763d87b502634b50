import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Store } from '@pbx/store';
import { wavFile } from '../../src/media/hold-tune';
import { MailboxFiles } from '../../src/voicemail/mailbox-files';
import { recoverDeposits } from '../../src/voicemail/recovery';
import { readPcm16 } from '../../src/voicemail/wav-audit';

const tone = (ms: number, amp = 8000): Int16Array =>
  Int16Array.from({ length: (ms * 8000) / 1000 }, (_, n) =>
    Math.round(amp * Math.sin((2 * Math.PI * 1000 * n) / 8000)),
  );

/** A recording the media server was writing when the process died: the header says 0 bytes. */
const cutWav = (samples: Int16Array): Buffer => {
  const b = wavFile(samples);
  b.writeUInt32LE(0, 4);
  b.writeUInt32LE(0, 40);
  // And the last sample only half written.
  return b.subarray(0, b.length - 1);
};

describe('recovery of deposits cut by a kill', () => {
  let dir: string;
  let store: Store;
  let files: MailboxFiles;
  const box = (): string => path.join(files.root, 'boxes', '201');
  const meta = { tel: '201', callerTel: '202', callerName: 'Bob', receivedAt: 1_700_000_000_000 };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vm-recovery-'));
    store = await Store.open({ path: path.join(dir, 'pbx.sqlite') });
    await store.stations.create(
      { tel: '201', password: 'secret201', useWhitelist: false },
      { realm: 'pbx.local' },
    );
    files = new MailboxFiles(path.join(dir, 'voicemail'));
    await mkdir(box(), { recursive: true });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const put = (name: string, data: string | Buffer): Promise<void> =>
    writeFile(path.join(box(), name), data);
  const recover = () => recoverDeposits(files, store, 1000, pino({ level: 'silent' }));

  test('a cut recording with sound becomes a complete message with the details of its sidecar', async () => {
    await put('tmp-1-a.wav', cutWav(tone(3000)));
    await put('tmp-1-a.json', JSON.stringify(meta));
    expect(await recover()).toEqual({ kept: ['201'], rows: 0, dropped: 0 });
    expect(await readdir(box())).toEqual(['msg-1-a.wav']);
    const [m] = await store.voicemail.messages('201');
    expect(m).toMatchObject({ ...meta, file: path.join('boxes', '201', 'msg-1-a.wav') });
    const bytes = await readFile(path.join(box(), 'msg-1-a.wav'));
    expect(bytes.readUInt32LE(40)).toBe(bytes.length - 44);
    expect((await readPcm16(path.join(box(), 'msg-1-a.wav'))).samples.length).toBe(23_999);
    expect(m!.durationMs).toBe(3000);
    // A second run finds nothing to do.
    expect(await recover()).toEqual({ kept: [], rows: 0, dropped: 0 });
    expect(await store.voicemail.messages('201')).toHaveLength(1);
  });

  test('a renamed message whose row was cut gets its row; one with its row only loses the sidecar', async () => {
    await put('msg-2-b.wav', wavFile(tone(2000)));
    await put('tmp-2-b.json', JSON.stringify(meta));
    await put('msg-3-c.wav', wavFile(tone(2000)));
    await put('tmp-3-c.json', JSON.stringify(meta));
    await store.voicemail.addMessage({
      ...meta,
      durationMs: 2000,
      file: path.join('boxes', '201', 'msg-3-c.wav'),
    });
    expect(await recover()).toEqual({ kept: [], rows: 1, dropped: 0 });
    expect((await readdir(box())).sort()).toEqual(['msg-2-b.wav', 'msg-3-c.wav']);
    expect((await store.voicemail.messages('201')).map((m) => m.file).sort()).toEqual([
      path.join('boxes', '201', 'msg-2-b.wav'),
      path.join('boxes', '201', 'msg-3-c.wav'),
    ]);
  });

  test('silence, a malformed sidecar or one for another mailbox: nothing kept, left to the clean-up', async () => {
    await put('tmp-4-d.wav', cutWav(new Int16Array(16_000)));
    await put('tmp-4-d.json', JSON.stringify(meta));
    await put('tmp-5-e.wav', cutWav(tone(3000)));
    await put('tmp-5-e.json', '{"tel":"201",');
    await put('tmp-6-f.wav', cutWav(tone(3000)));
    await put('tmp-6-f.json', JSON.stringify({ ...meta, tel: '202' }));
    await put('tmp-7-g.wav', 'not a wav at all');
    await put('tmp-7-g.json', JSON.stringify(meta));
    expect(await recover()).toEqual({ kept: [], rows: 0, dropped: 1 });
    expect(await store.voicemail.messages('201')).toEqual([]);
    const cleanup = await files.cleanup(await store.voicemail.files());
    expect(cleanup).toMatchObject({ temporary: 8, orphans: 0 });
    expect(await readdir(box())).toEqual([]);
  });
});
