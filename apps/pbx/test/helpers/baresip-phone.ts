/**
 * A baresip desk phone for the PBX's integration tests, driven over its `ctrl_tcp` module
 * (netstring JSON): dial, hold, resume, hang up, switch lines, and every call event it reports.
 * Built on the media server's baresip runner (its tone WAV is the phone's microphone); it does
 * not record (baresip's recorder stops after a re-INVITE): check what it hears with
 * rtp-capture.ts. Answers incoming calls by itself. Killed by its PID.
 */
import net from 'node:net';
import path from 'node:path';
import {
  startBaresip,
  type Baresip,
} from '../../../../packages/media-server/test/integration/baresip';
import { netstrings } from './netstring';
import { freePort } from './sipp';

/** One event line of baresip (`CALL_ESTABLISHED`, `CALL_CLOSED`, …). */
export interface PhoneEvent {
  readonly type: string;
  /** The call's id (baresip's Call-ID of the dialog). */
  readonly id?: string;
  readonly peeruri?: string;
  readonly param?: string;
  readonly at: number;
}

export interface BaresipPhone {
  readonly tel: string;
  readonly sipPort: number;
  /** The phone's RTP port range (what it hears arrives there). */
  readonly rtpPorts: [number, number];
  readonly events: PhoneEvent[];
  /** Runs a menu command (`dial`, `hold`, `resume`, `hangup`, `line`, …); resolves with its text. */
  command(command: string, params?: string): Promise<string>;
  /** Dials a number at the PBX (the call's events carry `peeruri` `sip:<number>@<pbx>`). */
  dial(number: string): Promise<void>;
  /** The peer URI baresip reports for a call to `number`. */
  uri(number: string): string;
  /** Resolves with the first event after `since` (index into events) that matches. */
  waitForEvent(
    match: (e: PhoneEvent) => boolean,
    withinMs?: number,
    since?: number,
  ): Promise<PhoneEvent>;
  output(): string;
  /** The baresip process's id (tests check it is still running). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

async function isFree(port: number, type: 'udp' | 'tcp'): Promise<boolean> {
  if (type === 'tcp') {
    return new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  }
  const dgram = await import('node:dgram');
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A SIP port with the next one free too (baresip binds TLS on port + 1). */
async function sipPortPair(): Promise<number> {
  for (;;) {
    const port = await freePort('both');
    if ((await isFree(port + 1, 'tcp')) && (await isFree(port + 1, 'udp'))) return port;
  }
}

/**
 * Twenty RTP ports, free now, between the media server's default 20000-20999 and the kernel's
 * ephemeral range (32768 up), so no port the system hands out elsewhere lands among them.
 */
async function rtpRange(): Promise<[number, number]> {
  for (;;) {
    const base = 21000 + 20 * Math.floor(Math.random() * 580);
    if ((await isFree(base, 'udp')) && (await isFree(base + 10, 'udp'))) return [base, base + 19];
  }
}

export async function startBaresipPhone(opts: {
  dir: string;
  tel: string;
  /** The tone WAV the phone sends (8 kHz mono 16-bit, long enough for the test). */
  toneWav: string;
  /** The PBX's `host:port`. */
  pbx: string;
  /** More config lines (e.g. `module_app contact.so`, `module_app presence.so`). */
  extraConfig?: string[];
  /**
   * The accounts line instead of `<sip:TEL@127.0.0.1>;regint=0;answermode=auto` (e.g. one that
   * registers by itself over TLS with `mediaenc=srtp-mand`).
   */
  account?: string;
  /** Runs once the SIP port is chosen, before baresip starts (register its binding here). */
  beforeStart?: (sipPort: number) => Promise<void>;
  /** baresip quits by itself after this many seconds (default: only an orphan guard). */
  quitAfterS?: number;
  /** baresip's debug log (`-v`) in `output()`, for a debug run. */
  verbose?: boolean;
}): Promise<BaresipPhone> {
  const sipPort = await sipPortPair();
  await opts.beforeStart?.(sipPort);
  const ctrlPort = await freePort('tcp');
  const rtpPorts = await rtpRange();
  const phone: Baresip = startBaresip({
    dir: path.join(opts.dir, `phone-${opts.tel}`),
    sipPort,
    rtpPorts,
    sourceWav: opts.toneWav,
    account: opts.account ?? `<sip:${opts.tel}@127.0.0.1>;regint=0;answermode=auto`,
    extraConfig: [
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      ...(opts.extraConfig ?? []),
    ],
    noRecorder: true,
    ...(opts.quitAfterS !== undefined ? { quitAfterS: opts.quitAfterS } : {}),
    ...(opts.verbose ? { verbose: true } : {}),
  });
  await phone.waitFor(/baresip is ready|ctrl_tcp|Populated/i, 10_000).catch(() => undefined);
  let socket: net.Socket | undefined;
  for (let i = 0; i < 100 && !socket; i++) {
    socket = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.connect(ctrlPort, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (!socket) await new Promise((r) => setTimeout(r, 50));
  }
  if (!socket) {
    await phone.stop();
    throw new Error(`baresip ${opts.tel}: no ctrl_tcp on ${ctrlPort}\n${phone.output()}`);
  }
  const ctrl = socket;
  const events: PhoneEvent[] = [];
  const waiting = new Map<string, (r: { ok: boolean; data: string }) => void>();
  const listeners = new Set<() => void>();
  /** Why the phone can no longer answer (process gone, control socket closed or garbled). */
  let dead: string | undefined;
  const die = (why: string): void => {
    if (dead) return;
    const tail = phone.output().split('\n').slice(-15).join('\n');
    dead = `baresip ${opts.tel} is gone (${why}); its last output:\n${tail}`;
    const fail = { ok: false, data: dead };
    for (const done of [...waiting.values()]) done(fail);
    waiting.clear();
    for (const l of [...listeners]) l();
  };
  let rest: Buffer = Buffer.alloc(0);
  let token = 0;
  ctrl.on('data', (chunk: Buffer) => {
    const messages: string[] = [];
    try {
      rest = netstrings(Buffer.concat([rest, chunk]), messages);
    } catch (err) {
      die(String(err));
    }
    for (const text of messages) {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (m.response === true && typeof m.token === 'string') {
        waiting.get(m.token)?.({ ok: m.ok === true, data: String(m.data ?? '') });
        waiting.delete(m.token);
      } else if (m.event === true) {
        events.push({
          type: String(m.type),
          ...(typeof m.id === 'string' ? { id: m.id } : {}),
          ...(typeof m.peeruri === 'string' ? { peeruri: m.peeruri } : {}),
          ...(typeof m.param === 'string' ? { param: m.param } : {}),
          at: Date.now(),
        });
        for (const l of [...listeners]) l();
      }
    }
  });
  ctrl.on('error', () => undefined);
  // A phone that quits (or crashes) fails what waits on it at once, saying why, instead of
  // leaving each command to time out as if the phone were merely slow.
  ctrl.on('close', () => die(`ctrl_tcp closed; process ${phone.exitReason() ?? 'running'}`));
  void phone.exited.then(() => die(`process ${phone.exitReason() ?? 'exited'}`));

  const command = (cmd: string, params?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      if (dead) {
        reject(new Error(`${cmd}: ${dead}`));
        return;
      }
      const t = String(++token);
      const body = JSON.stringify({ command: cmd, ...(params ? { params } : {}), token: t });
      const timer = setTimeout(() => {
        waiting.delete(t);
        reject(new Error(`baresip ${opts.tel}: no reply to ${cmd}`));
      }, 15_000);
      waiting.set(t, (r) => {
        clearTimeout(timer);
        if (r.ok) resolve(r.data);
        else if (dead) reject(new Error(`${cmd}: ${dead}`));
        else reject(new Error(`baresip ${opts.tel}: ${cmd} ${params ?? ''} failed: ${r.data}`));
      });
      ctrl.write(`${Buffer.byteLength(body)}:${body},`);
    });

  const waitForEvent = (
    match: (e: PhoneEvent) => boolean,
    withinMs = 10_000,
    since = 0,
  ): Promise<PhoneEvent> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = events.slice(since).find(match);
        if (!hit && !dead) return false;
        listeners.delete(onEvent);
        clearTimeout(timer);
        if (hit) resolve(hit);
        else reject(new Error(`no matching event: ${dead ?? ''}`));
        return true;
      };
      const onEvent = (): void => void check();
      const timer = setTimeout(() => {
        listeners.delete(onEvent);
        reject(
          new Error(
            `baresip ${opts.tel}: no matching event within ${withinMs} ms; events: ${events
              .map((e) => `${e.type}(${e.param ?? ''})`)
              .join(', ')}`,
          ),
        );
      }, withinMs);
      listeners.add(onEvent);
      check();
    });

  return {
    tel: opts.tel,
    sipPort,
    rtpPorts,
    events,
    command,
    async dial(number) {
      await command('dial', `sip:${number}@${opts.pbx}`);
    },
    uri: (number) => `sip:${number}@${opts.pbx}`,
    waitForEvent,
    output: () => phone.output(),
    pid: phone.child.pid,
    async stop() {
      dead ??= `baresip ${opts.tel} was stopped by the test`;
      ctrl.destroy();
      await phone.stop();
    },
  };
}
