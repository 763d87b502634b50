/**
 * A headless baresip phone for tests (TOOLCHAIN.md): sends a WAV as its microphone, writes what
 * it hears to `*-dec.wav` (sndfile module), dials at start-up with `-e /dial`. Killed by its PID
 * (`stop()`, or when the test process exits).
 *
 * baresip's own `-t <sec>` ("quit after <sec> seconds") is only an orphan guard here, far longer
 * than any test: it used to be 30 s, and under load a test's phones outlived it, quit on their
 * own (hanging up their calls, closing ctrl_tcp) and looked like phones that stopped answering
 * and a conference mixer that fell silent.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Seconds after which baresip quits by itself: only for a phone left behind by a test process
 * killed before its cleanup ran. Far above every test's jest timeout (at most a few minutes).
 */
export const BARESIP_ORPHAN_QUIT_S = 1800;

/** Phones still running, killed when the test process exits without having stopped them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of running) if (c.exitCode === null && c.pid !== undefined) c.kill('SIGKILL');
  });
}

export interface Baresip {
  dir: string;
  child: ChildProcess;
  output(): string;
  /** Resolves when the process has exited (stopped by us, crashed or quit by itself). */
  readonly exited: Promise<void>;
  /** Why it is gone (`exit code 0 after 31.2 s`), or undefined while it runs. */
  exitReason(): string | undefined;
  /** Resolves when a line matching `re` appears in its output. */
  waitFor(re: RegExp, ms: number): Promise<void>;
  /** The decoded-audio recording of the call (what the phone heard). */
  heardFile(): string | undefined;
  stop(): Promise<void>;
}

export function startBaresip(opts: {
  dir: string;
  sipPort: number;
  rtpPorts: [number, number];
  sourceWav: string;
  dial?: string;
  /** The accounts line (default `<sip:phone@127.0.0.1>;regint=0`). */
  account?: string;
  /** Extra config lines (e.g. `module_app ctrl_tcp.so`, `ctrl_tcp_listen 127.0.0.1:<port>`). */
  extraConfig?: string[];
  /** Leave out the sndfile recorder (it stops after a re-INVITE; capture RTP instead). */
  noRecorder?: boolean;
  /** baresip's `-t`: quit by itself after this many seconds (default BARESIP_ORPHAN_QUIT_S). */
  quitAfterS?: number;
  /** Adds `-v` (baresip's debug log) to its output, for a debug run. */
  verbose?: boolean;
}): Baresip {
  fs.mkdirSync(opts.dir, { recursive: true });
  fs.writeFileSync(
    path.join(opts.dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${opts.sipPort}`,
      'net_interface 127.0.0.1',
      'audio_player alsa,null',
      'audio_alert alsa,null',
      `audio_source aufile,${opts.sourceWav}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module alsa.so',
      ...(opts.noRecorder ? [] : ['module sndfile.so']),
      'module_app account.so',
      'module_app menu.so',
      `snd_path ${opts.dir}`,
      `rtp_ports ${opts.rtpPorts[0]}-${opts.rtpPorts[1]}`,
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(opts.dir, 'accounts'),
    `${opts.account ?? '<sip:phone@127.0.0.1>;regint=0'}\n`,
  );
  const args = ['-f', opts.dir, '-t', String(opts.quitAfterS ?? BARESIP_ORPHAN_QUIT_S)];
  if (opts.verbose) args.push('-v');
  if (opts.dial) args.push('-e', `/dial ${opts.dial}`);
  const startedAt = Date.now();
  const child = spawn('baresip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let out = '';
  let reason: string | undefined;
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  let markExited: () => void = () => undefined;
  const exited = new Promise<void>((resolve) => (markExited = resolve));
  child.once('exit', (code, signal) => {
    const after = `after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
    reason = signal ? `killed by ${signal} ${after}` : `exit code ${String(code)} ${after}`;
    markExited();
  });
  // A spawn failure (no baresip) comes as 'error', maybe without 'exit': it is gone too.
  child.once('error', (err) => {
    reason ??= `failed to run: ${err.message}`;
    markExited();
  });
  return {
    dir: opts.dir,
    child,
    output: () => out,
    exited,
    exitReason: () => reason,
    waitFor: async (re, ms) => {
      const deadline = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > deadline || reason !== undefined)
          throw new Error(`baresip: no ${String(re)} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    heardFile: () => {
      const f = fs.readdirSync(opts.dir).find((n) => n.endsWith('-dec.wav'));
      return f ? path.join(opts.dir, f) : undefined;
    },
    stop: async () => {
      // A process gone by a signal has exitCode null too: never signal a PID that may be reused.
      const alive = (): boolean => reason === undefined && child.pid !== undefined;
      if (alive()) child.kill('SIGTERM');
      const t = setTimeout(() => {
        if (alive()) child.kill('SIGKILL');
      }, 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
