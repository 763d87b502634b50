/**
 * Arrange helpers for the call integration tests: a test PBX with call control, stations with
 * their settings, registrations made through the registrar (static bindings: the digest
 * exchange itself is the registrar tests' job), and sipp phones: a UAS phone registered on its own port, a UAC phone
 * calling from its registered port. Every phone records the messages it saw (`-trace_msg`).
 */
import type { StationSettings } from '@pbx/store';
import type { CallControl } from '../../src/call-control';
import {
  describeSippResult,
  freePort,
  runSipp,
  scenario,
  startSippUas,
  type SippPeer,
  type SippResult,
} from './sipp';
import { startTestPbx, type TestPbx, type TestPbxOptions } from './start-test-pbx';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `cond` until it holds; throws after `withinMs`. The default is generous: on a busy 2-core
 * CI machine a sipp phone's call and hold re-INVITE have taken more than 3 s (the old default).
 */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  withinMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface CallsPbx extends AsyncDisposable {
  pbx: TestPbx;
  cc: CallControl;
  /** Adds a station (password `secret<tel>`) and makes call control see it. */
  station(tel: string, settings?: Partial<StationSettings>): Promise<void>;
  /** Registers `tel` from `ip:port` (Contact the same address) through the registrar. */
  register(tel: string, port: number, ip?: string): Promise<void>;
  /** Removes every registration of `tel` through the registrar. */
  unregister(tel: string): Promise<void>;
  /** A sipp UAS phone for `tel`, registered on its own free port. */
  phone(tel: string, scenarioName: string, opts?: PhoneOptions): Promise<SippPeer>;
  /** Runs a sipp UAC phone for `tel` (registered from its port first) to completion. */
  call(tel: string, dial: string, scenarioName: string, opts?: CallOptions): Promise<SippResult>;
  /** Starts a UAC phone in the background. */
  startCall(
    tel: string,
    dial: string,
    scenarioName: string,
    opts?: CallOptions,
  ): Promise<{ port: number; done: Promise<SippResult> }>;
  /** Waits for call records and settings writes to reach the database. */
  settle(): Promise<void>;
}

export interface PhoneOptions {
  keys?: Record<string, string>;
  /** `-d`: the default pause of `<pause/>` (ms). */
  pauseMs?: number;
  timeoutMs?: number;
  ip?: string;
  /** Do not register (an unregistered phone, or one that registered by itself). */
  unregistered?: boolean;
  /** Use this SIP port (default: a free one). */
  port?: number;
}

export interface CallOptions extends PhoneOptions {
  /** Extra sipp arguments. */
  args?: string[];
}

export interface CallsPbxOptions extends TestPbxOptions {
  /**
   * Music on hold, park music and ringback from the media server (default off: the sipp
   * scenarios script the plain relay, and a re-INVITE onto the media server would surprise them).
   */
  musicOnHold?: boolean;
  /**
   * Voice mail for unreached calls and the access code (default off: the sipp scenarios expect
   * 486/480 for busy, DND, unregistered and unanswered stations, which the mailbox would answer).
   */
  voicemail?: boolean;
}

export async function startCallsPbx(options: CallsPbxOptions = {}): Promise<CallsPbx> {
  const pbx = await startTestPbx(options);
  const cc = pbx.calls;
  if (!options.musicOnHold) {
    cc.hooks.onMediaIdle = undefined;
    cc.hooks.waiting = undefined;
  }
  if (!options.voicemail) cc.hooks.voicemail = undefined;
  const peers: SippPeer[] = [];

  const station = async (tel: string, settings: Partial<StationSettings> = {}): Promise<void> => {
    await pbx.ctx.store.stations.create(
      { tel, password: `secret${tel}`, useWhitelist: false, ...settings },
      { realm: pbx.ctx.config.sip.domain },
    );
    await cc.stations.load();
  };
  const register = async (tel: string, port: number, ip = '127.0.0.1'): Promise<void> => {
    await pbx.registrar.registrar.addBinding({
      tel,
      contact: `sip:${tel}@${ip}:${port}`,
      sourceIp: ip,
      sourcePort: port,
      protocol: 'udp',
      expiresAt: Date.now() + 3_600_000,
      callId: `reg-${tel}-${port}@test`,
    });
  };
  const unregister = (tel: string): Promise<void> => pbx.registrar.registrar.removeBindings(tel);
  const keysFor = (tel: string, keys: Record<string, string> = {}): Record<string, string> => ({
    tel,
    name: `Phone ${tel}`,
    ...keys,
  });

  const startCall = async (
    tel: string,
    dial: string,
    scenarioName: string,
    opts: CallOptions = {},
  ) => {
    const ip = opts.ip ?? '127.0.0.1';
    const port = opts.port ?? (await freePort('udp', ip));
    if (!opts.unregistered) await register(tel, port, ip);
    const done = runSipp({
      scenario: scenario(scenarioName),
      target: pbx.target,
      service: dial,
      localPort: port,
      localIp: ip,
      timeoutMs: opts.timeoutMs ?? 15_000,
      traceMessages: true,
      keys: keysFor(tel, opts.keys),
      extraArgs: [
        ...(opts.pauseMs !== undefined ? ['-d', String(opts.pauseMs)] : []),
        ...(opts.args ?? []),
      ],
    });
    return { port, done };
  };

  return {
    pbx,
    cc,
    station,
    register,
    unregister,
    async phone(tel, scenarioName, opts = {}) {
      const ip = opts.ip ?? '127.0.0.1';
      const port = opts.port ?? (await freePort('udp', ip));
      const peer = await startSippUas({
        scenario: scenario(scenarioName),
        localPort: port,
        localIp: ip,
        timeoutMs: opts.timeoutMs ?? 15_000,
        traceMessages: true,
        keys: keysFor(tel, opts.keys),
        ...(opts.pauseMs !== undefined ? { extraArgs: ['-d', String(opts.pauseMs)] } : {}),
      });
      peers.push(peer);
      if (!opts.unregistered) await register(tel, port, ip);
      return peer;
    },
    startCall,
    async call(tel, dial, scenarioName, opts = {}) {
      return (await startCall(tel, dial, scenarioName, opts)).done;
    },
    async settle() {
      await cc.stations.flush();
      await cc.flushCdrs();
    },
    async [Symbol.asyncDispose]() {
      for (const p of peers) await p.stop();
      await pbx[Symbol.asyncDispose]();
    },
  };
}

/** Throws with sipp's account unless the phone's scenario succeeded. */
export function expectPhoneOk(r: SippResult, what: string): void {
  if (r.code !== 0 || r.killed) throw new Error(`${what} failed\n${describeSippResult(r)}`);
}

/** Messages a phone received (from its `-trace_msg`), split one per entry. */
export function received(r: SippResult): string[] {
  const text = r.messages ?? '';
  return text
    .split(/^-{10,}.*$/m)
    .map((m) => m.trim())
    .filter((m) => /message received/.test(m))
    .map((m) => m.replace(/^.*message received.*\n/m, '').trim());
}

/** Messages a phone sent (from its `-trace_msg`). */
export function sent(r: SippResult): string[] {
  const text = r.messages ?? '';
  return text
    .split(/^-{10,}.*$/m)
    .map((m) => m.trim())
    .filter((m) => /message sent/.test(m))
    .map((m) => m.replace(/^.*message sent.*\n/m, '').trim());
}

/** The first received message whose start line matches. */
export function findReceived(r: SippResult, startLine: RegExp): string | undefined {
  return received(r).find((m) => startLine.test(m.split(/\r?\n/)[0] ?? ''));
}

/** A header value of a SIP message text. */
export function headerOf(message: string | undefined, name: string): string | undefined {
  if (!message) return undefined;
  const head = message.split(/\r?\n\r?\n/)[0] ?? '';
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'im');
  return re.exec(head)?.[1]?.trim();
}

/** The body of a SIP message text. */
export function bodyOf(message: string | undefined): string {
  if (!message) return '';
  const i = message.search(/\r?\n\r?\n/);
  return i < 0 ? '' : message.slice(i).trim();
}

/** When (epoch ms, from the trace) a phone first received a message whose start line matches. */
export function receivedAt(r: SippResult, startLine: RegExp): number | undefined {
  const text = r.messages ?? '';
  const blocks = text.split(/^(?=-{10,} )/m);
  for (const block of blocks) {
    const stamp = /^-{10,} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.(\d+)/.exec(block);
    if (!stamp || !/message received/.test(block)) continue;
    const message = block.replace(/^.*\n.*message received.*\n/, '').trim();
    if (!startLine.test(message.split(/\r?\n/)[0] ?? '')) continue;
    const micros = (stamp[3] ?? '0').padEnd(6, '0').slice(0, 6);
    return new Date(`${stamp[1]}T${stamp[2]}`).getTime() + Number(micros) / 1000;
  }
  return undefined;
}
