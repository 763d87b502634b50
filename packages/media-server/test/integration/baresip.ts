/**
 * A headless baresip phone for tests (TOOLCHAIN.md): sends a WAV as its microphone, writes what
 * it hears to `*-dec.wav` (sndfile module), dials at start-up with `-e /dial`. Killed by its PID.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface Baresip {
  dir: string;
  child: ChildProcess;
  output(): string;
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
  const args = ['-f', opts.dir, '-t', '30'];
  if (opts.dial) args.push('-e', `/dial ${opts.dial}`);
  const child = spawn('baresip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    dir: opts.dir,
    child,
    output: () => out,
    waitFor: async (re, ms) => {
      const deadline = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`baresip: no ${String(re)} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    heardFile: () => {
      const f = fs.readdirSync(opts.dir).find((n) => n.endsWith('-dec.wav'));
      return f ? path.join(opts.dir, f) : undefined;
    },
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      const t = setTimeout(() => {
        if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
