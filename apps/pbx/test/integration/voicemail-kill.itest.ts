/**
 * `kill -9` of the PBX (the built apps/pbx/dist/main.js, as `npm start` runs it) while a caller
 * is leaving a message. A baresip caller sending a 1850 Hz tone calls 202, which forwards all
 * calls to its mailbox; once the recording holds two seconds, the PBX process is killed with
 * SIGKILL. What it leaves is a temporary recording (holding the caller's tone up to the kill) and
 * the deposit's details beside it, never a message row. The restart on the same data directory
 * keeps what was recorded: one new message from 201, a complete WAV (header counting every byte)
 * with the tone, its row and lamp count, listed by `pbx vm list`; no temporary file is left; the
 * database passes SQLite's integrity check.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@pbx/config';
import { Store } from '@pbx/store';
import { goertzel } from '../../../../packages/media-server/test/helpers/audio';
import { run as runCli } from '../../../cli/src/main';
import { startBaresipPhone, type BaresipPhone } from '../helpers/baresip-phone';
import { waitFor } from '../helpers/calls-harness';
import { toneWav } from '../helpers/tone-wav';
import { readPcm16 } from '../../src/voicemail/wav-audit';
import { childPbxEnv } from '../helpers/child-pbx-env';

const MAIN = path.resolve(__dirname, '../../dist/main.js');
const CALLER_TONE = 1850;

jest.setTimeout(120_000);

interface Child {
  readonly child: ChildProcess;
  /** Everything the process printed on stdout (its JSON log). */
  out(): string;
}

/** Starts the PBX and resolves once it logged "pbx started". */
function startPbx(env: NodeJS.ProcessEnv, children: ChildProcess[]): Promise<Child> {
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.resume();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pbx not started within 30 s: ${text.slice(-2000)}`)),
      30_000,
    );
    const check = (): void => {
      if (!text.includes('"msg":"pbx started"')) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve({ child, out: () => text });
    };
    child.stdout.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`pbx exited (${code ?? signal}) before it started: ${text.slice(-2000)}`));
    });
  });
}

function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  return exited;
}

/** The SIGTERM stop `npm start` gets from an orderly shutdown. */
function stopGently(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return exited.finally(() => clearTimeout(hard));
}

/** 100 ms blocks of `samples` in which `freq` is clearly present. */
function blocksWith(samples: Int16Array, freq: number): number {
  let n = 0;
  for (let at = 0; at + 800 <= samples.length; at += 800)
    if (goertzel(samples.subarray(at, at + 800), freq) > 1e-3) n += 1;
  return n;
}

async function vmList(db: string): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli(['--db', db, 'vm', 'list', '202'], {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (out += t) },
    env: {},
  });
  return { code, out };
}

describe('kill -9 of the PBX during a voice-mail recording', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  let caller: BaresipPhone | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pbx-vm-kill-'));
  });
  afterEach(async () => {
    await caller?.stop();
    caller = undefined;
    for (const c of children.splice(0)) await killHard(c);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what was recorded up to the kill as a complete message; nothing temporary is left', async () => {
    const db = path.join(dir, 'pbx.sqlite');
    // Fixed ports for every embedded server, so the restart proves each is reusable at once.
    const { env, sipPort } = await childPbxEnv(db, { fixedMediaPorts: true });
    const realm = loadConfig({ env }).sip.domain;
    const tone = path.join(dir, 'tone.wav');
    toneWav(tone, CALLER_TONE, 120);

    // 202 forwards every call to its mailbox; 201 is the caller's phone.
    const admin = await Store.open({ path: db });
    try {
      for (const tel of ['201', '202'])
        await admin.stations.create(
          { tel, password: `secret${tel}`, useWhitelist: false },
          { realm },
        );
      await admin.stations.update('202', { forwardAll: '202' }, { realm });
      caller = await startBaresipPhone({
        dir,
        tel: '201',
        toneWav: tone,
        pbx: `127.0.0.1:${sipPort}`,
        beforeStart: (port) =>
          admin.registrations
            .upsert({
              tel: '201',
              contact: `sip:201@127.0.0.1:${port}`,
              sourceIp: '127.0.0.1',
              sourcePort: port,
              protocol: 'udp',
              expiresAt: Date.now() + 3_600_000,
              callId: 'seed-201@test',
              cseq: 1,
            })
            .then(() => undefined),
      });

      const first = await startPbx(env, children);
      const box = path.join(dir, 'voicemail', 'boxes', '202');
      const temporary = (): string[] =>
        fs.existsSync(box)
          ? fs.readdirSync(box).filter((f) => f.startsWith('tmp-') && f.endsWith('.wav'))
          : [];
      const since = caller.events.length;
      await caller.dial('202');
      await caller.waitForEvent(
        (e) => e.type === 'CALL_ESTABLISHED' && e.peeruri === caller!.uri('202'),
        20_000,
        since,
      );
      // Mid-recording: the temporary file holds two seconds of audio (8 kHz, 16 bit).
      await waitFor(
        'two seconds recorded',
        () => temporary().some((f) => fs.statSync(path.join(box, f)).size > 44 + 32_000),
        30_000,
      );
      await killHard(first.child);
      await caller.command('hangup').catch(() => undefined);

      // What the kill left: a temporary recording holding the caller's tone up to the kill, its
      // details beside it, and no message row (a row is written only for a renamed recording).
      const [cut] = temporary();
      expect(cut).toBeDefined();
      const { samples } = await readPcm16(path.join(box, cut!));
      expect(samples.length).toBeGreaterThanOrEqual(16_000);
      expect(blocksWith(samples, CALLER_TONE)).toBeGreaterThan((samples.length / 800) * 0.5);
      expect(await admin.voicemail.messages('202')).toEqual([]);
      expect(fs.readdirSync(box).sort()).toEqual([cut, cut!.replace(/\.wav$/, '.json')].sort());

      // The restart on the same data directory keeps what was recorded before it takes calls.
      const second = await startPbx(env, children);
      try {
        const files = fs.readdirSync(box);
        expect(files).toHaveLength(1);
        expect(files[0]).toMatch(/^msg-.*\.wav$/);
        const recovered = second
          .out()
          .split('\n')
          .find((l) => l.includes('recordings cut by the last stop recovered'));
        expect(recovered).toBeDefined();
        expect(JSON.parse(recovered!)).toMatchObject({ kept: 1, rows: 0, dropped: 0 });
        const [msg] = await admin.voicemail.messages('202');
        expect(msg).toMatchObject({
          tel: '202',
          callerTel: '201',
          heard: false,
          file: path.join('boxes', '202', files[0]!),
        });
        // A complete WAV now: its header counts every byte, and it holds the caller's tone.
        const bytes = fs.readFileSync(path.join(box, files[0]!));
        expect(bytes.readUInt32LE(40)).toBe(bytes.length - 44);
        expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
        const kept = await readPcm16(path.join(box, files[0]!));
        expect(kept.samples.length).toBeGreaterThanOrEqual(samples.length);
        expect(blocksWith(kept.samples, CALLER_TONE)).toBeGreaterThan(
          (kept.samples.length / 800) * 0.5,
        );
        expect(msg!.durationMs).toBe(Math.round((kept.samples.length * 1000) / kept.rate));
        expect(await admin.voicemail.counts('202')).toEqual({ newMessages: 1, oldMessages: 0 });
        const list = await vmList(db);
        expect(list.code).toBe(0);
        expect(list.out).toMatch(new RegExp(`202\\s*│\\s*${msg!.id}\\s*│\\s*new\\s*│\\s*201`));
        const check = await admin.db.get<{ integrity_check: string }>('PRAGMA integrity_check');
        expect(check?.integrity_check).toBe('ok');
      } finally {
        await stopGently(second.child);
      }
    } finally {
      await admin.close();
    }
  });
});
