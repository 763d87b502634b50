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

/**
 * Port blocks for phones, chosen at random in windows below the kernel's ephemeral range (32768
 * up): a port taken from there (`bind(0)`) and released is soon handed to someone else's bind or
 * outgoing connection, and a phone whose ctrl_tcp port was taken that way ran without its control
 * socket while the driver talked to whatever held the port. Each jest worker gets its own quarter
 * of every window and a process never hands out a block twice while its phone runs, so two phones of one run never
 * share ports; baresip is still checked to have bound them (`startBaresipPhone` retries).
 */
const handedOut = new Set<string>();
const release = (kind: string, base: number): boolean => handedOut.delete(`${kind}:${base}`);
const worker = Number(process.env.JEST_WORKER_ID ?? 1) % 4;

async function portBlock(
  kind: string,
  first: number,
  last: number,
  size: number,
  free: (base: number) => Promise<boolean>,
): Promise<number> {
  const blocks = Math.floor((last + 1 - first) / size / 4);
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = first + size * (worker * blocks + Math.floor(Math.random() * blocks));
    const key = `${kind}:${base}`;
    // Marked before the (awaited) check: phones started at once must not pick the same block.
    if (handedOut.has(key)) continue;
    handedOut.add(key);
    if (await free(base)) return base;
    handedOut.delete(key);
  }
  throw new Error(`no free ${kind} ports for a baresip phone`);
}

/** SIP on `base` (UDP, TCP), TLS on `base + 1` (baresip binds it), ctrl_tcp on `base + 2`. */
function signallingPorts(): Promise<number> {
  return portBlock('sip', 12000, 19999, 4, async (base) => {
    for (const port of [base, base + 1])
      if (!(await isFree(port, 'udp')) || !(await isFree(port, 'tcp'))) return false;
    return isFree(base + 2, 'tcp');
  });
}

/**
 * Twenty RTP ports between the media server's default 20000-20999 and the ephemeral range (what
 * the phone hears is captured by this range, so no other phone of the run may use it).
 */
async function rtpRange(): Promise<[number, number]> {
  const base = await portBlock(
    'rtp',
    21000,
    32599,
    20,
    async (b) => (await isFree(b, 'udp')) && (await isFree(b + 10, 'udp')),
  );
  return [base, base + 19];
}

/** What baresip prints when a port it was given is taken after all. */
const BIND_FAILED = /Address already in use|failed to listen|init failed/i;

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
  const rtpPorts = await rtpRange();
  let found: Baresip | undefined;
  let sipPort = 0;
  let ctrlPort = 0;
  const failures: string[] = [];
  for (let attempt = 0; attempt < 5 && !found; attempt++) {
    sipPort = await signallingPorts();
    ctrlPort = sipPort + 2;
    await opts.beforeStart?.(sipPort);
    const started = startBaresip({
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
    // Modules (ctrl_tcp among them) are loaded before "ready"; a taken SIP port ends the process.
    const ready = await started.waitFor(/baresip is ready/, 20_000).then(
      () => true,
      () => false,
    );
    if (ready && !BIND_FAILED.test(started.output())) {
      found = started;
    } else {
      await started.stop();
      failures.push(`ports ${sipPort}-${ctrlPort}: ${started.exitReason() ?? 'not ready'}`);
      release('sip', sipPort);
      if (!BIND_FAILED.test(started.output())) {
        release('rtp', rtpPorts[0]);
        throw new Error(`baresip ${opts.tel} did not start:\n${started.output()}`);
      }
    }
  }
  if (!found) {
    release('rtp', rtpPorts[0]);
    throw new Error(`baresip ${opts.tel}: ports taken: ${failures.join('; ')}`);
  }
  const phone = found;
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
    release('sip', sipPort);
    release('rtp', rtpPorts[0]);
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
  // The socket closes a moment before the process is reaped: give the exit a moment to be known.
  ctrl.on('close', () => {
    const reaped = new Promise((r) => setTimeout(r, 2_000).unref());
    void Promise.race([phone.exited, reaped]).then(() =>
      die(`ctrl_tcp closed; process ${phone.exitReason() ?? 'still running'}`),
    );
  });
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
      release('sip', sipPort);
      release('rtp', rtpPorts[0]);
    },
  };
}
