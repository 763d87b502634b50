/**
 * The media worker's entry: the real engine (`createMediaEngine`: ticker, RTP sockets, mixers,
 * players, recorders) in a worker thread with its own heap, so garbage collection and busy spells
 * of the control thread (ESL, SIP, the PBX) never delay a paced packet. It executes the control
 * side's commands (`protocol.ts`) and posts replies and the few events (DTMF, released ports,
 * silence, log lines); audio never crosses the thread boundary.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from '../../logger';
import { createMediaEngine } from '../engine';
import type { MediaEngineInternals } from '../engine';
import { MediaStateError } from '../errors';
import { GcPauses } from '../gc-pauses';
import type {
  AudioSource,
  ConferenceMixer,
  MixerMember,
  RtpSession,
  SessionBridge,
} from '../types';
import type { WavRecorder } from '../wav';
import type { Command, ReplyValue, WireError, WorkerEvent, WorkerInit } from './protocol';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/** Turns values a structured clone would lose (Error objects) into plain data. */
function plain(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    out[k] =
      v instanceof Error
        ? { type: v.name, message: v.message, stack: v.stack }
        : typeof v === 'bigint' || typeof v === 'function'
          ? String(v)
          : v;
  }
  return out;
}

/** A Logger that posts each line to the control thread, whose logger writes it. */
function postingLogger(
  port: MessagePort,
  minLevel: WorkerInit['logLevel'],
  bindings: Record<string, unknown>,
): Logger {
  const min = minLevel === 'silent' ? LEVELS.length : LEVELS.indexOf(minLevel);
  const at =
    (level: Level) =>
    (obj: object | string, msg?: string): void => {
      if (LEVELS.indexOf(level) < min) return;
      const ev: WorkerEvent =
        typeof obj === 'string'
          ? { type: 'log', level, bindings, obj: {}, msg: obj }
          : { type: 'log', level, bindings, obj: plain(obj as Record<string, unknown>), msg };
      try {
        port.postMessage(ev);
      } catch {
        // A value that cannot be cloned: the line is dropped rather than the media thread.
      }
    };
  return {
    child: (more) => postingLogger(port, minLevel, { ...bindings, ...more }),
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    isLevelEnabled: (level) => LEVELS.indexOf(level as Level) >= min,
  };
}

function wireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { code?: unknown; path?: unknown; min?: unknown; max?: unknown };
  return {
    name: e.name,
    message: e.message,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.path === 'string' ? { path: e.path } : {}),
    ...(typeof e.min === 'number' ? { min: e.min } : {}),
    ...(typeof e.max === 'number' ? { max: e.max } : {}),
  };
}

/** Executes commands against one engine. Exported for the unit test; the worker calls `run`. */
export class EngineHost {
  private readonly sessions = new Map<number, RtpSession & { released?: Promise<void> }>();
  private readonly mixers = new Map<
    number,
    { mixer: ConferenceMixer; members: Map<number, MixerMember> }
  >();
  private readonly bridges = new Map<number, SessionBridge>();
  private readonly sources = new Map<number, AudioSource>();
  private readonly recorders = new Map<number, WavRecorder>();
  private lateTicks = 0;
  private readonly lateTimer: NodeJS.Timeout;
  private readonly gcPauses = new GcPauses();

  constructor(
    private readonly engine: MediaEngineInternals,
    private readonly post: (ev: WorkerEvent) => void,
    private readonly log: Logger,
  ) {
    // Skipped frames are rare; the control side's synchronous stats() learns them within a second.
    this.lateTimer = setInterval(() => {
      const late = engine.ticker.lateTicks;
      if (late !== this.lateTicks) {
        this.lateTicks = late;
        post({ type: 'lateTicks', lateTicks: late });
      }
    }, 1000);
    this.lateTimer.unref();
  }

  handle(cmd: Command): void {
    try {
      this.dispatch(cmd);
    } catch (err) {
      if ('req' in cmd)
        this.post({ type: 'reply', req: cmd.req, ok: false, error: wireError(err) });
      else this.log.warn({ err, op: cmd.op }, 'media command failed');
    }
  }

  private reply(req: number, work: Promise<ReplyValue>): void {
    work.then(
      (value) => this.post({ type: 'reply', req, ok: true, value }),
      (err: unknown) => this.post({ type: 'reply', req, ok: false, error: wireError(err) }),
    );
  }

  private session(sid: number): RtpSession {
    const s = this.sessions.get(sid);
    if (!s) throw new MediaStateError(`no session ${sid}`);
    return s;
  }

  private mixer(mid: number): { mixer: ConferenceMixer; members: Map<number, MixerMember> } {
    const m = this.mixers.get(mid);
    if (!m) throw new MediaStateError(`no mixer ${mid}`);
    return m;
  }

  private source(src: number): AudioSource {
    const s = this.sources.get(src);
    if (!s) throw new MediaStateError(`no source ${src}`);
    this.sources.delete(src);
    return s;
  }

  private dispatch(cmd: Command): void {
    switch (cmd.op) {
      case 'openSession':
        return this.reply(cmd.req, this.openSession(cmd.sid));
      case 'setRemote':
        return this.session(cmd.sid).setRemote(cmd.remote);
      case 'play':
        return this.reply(cmd.req, this.session(cmd.sid).play(this.source(cmd.src)));
      case 'stopPlayback':
        return this.session(cmd.sid).stopPlayback();
      case 'addSink': {
        const r = this.recorders.get(cmd.rec);
        if (!r) throw new MediaStateError(`no recorder ${cmd.rec}`);
        return this.session(cmd.sid).addSink(r, cmd.tap);
      }
      case 'removeSink': {
        const r = this.recorders.get(cmd.rec);
        if (r) this.sessions.get(cmd.sid)?.removeSink(r);
        return;
      }
      case 'sendDtmf':
        return this.reply(
          cmd.req,
          this.session(cmd.sid)
            .sendDtmf(cmd.digits, cmd.msPerDigit)
            .then(() => undefined),
        );
      case 'setMute':
        return this.session(cmd.sid).setMute(cmd.which, cmd.on);
      case 'closeSession':
        // Unknown: already closed by the engine (its close) — nothing to do.
        return this.sessions.get(cmd.sid)?.close();
      case 'createMixer':
        this.mixers.set(cmd.mid, { mixer: this.engine.createMixer(), members: new Map() });
        return;
      case 'addMember': {
        const m = this.mixer(cmd.mid);
        const member = m.mixer.addMember(this.session(cmd.sid), {
          mute: cmd.mute,
          deaf: cmd.deaf,
        });
        m.members.set(cmd.sid, member);
        return;
      }
      case 'removeMember': {
        const m = this.mixers.get(cmd.mid);
        const member = m?.members.get(cmd.sid);
        if (!m || !member) return;
        m.members.delete(cmd.sid);
        return m.mixer.removeMember(member);
      }
      case 'setMember': {
        const member = this.mixers.get(cmd.mid)?.members.get(cmd.sid);
        if (!member) return;
        if (cmd.what === 'mute') member.setMute(cmd.on);
        else member.setDeaf(cmd.on);
        return;
      }
      case 'mixerPlay': {
        const m = this.mixer(cmd.mid);
        const to = cmd.to === undefined ? undefined : m.members.get(cmd.to);
        const source = this.source(cmd.src);
        if (cmd.to !== undefined && !to) {
          source.close();
          return this.reply(cmd.req, Promise.resolve({ reason: 'hangup', ms: 0, samples: 0 }));
        }
        return this.reply(cmd.req, m.mixer.play(source, to));
      }
      case 'mixerStop':
        return this.mixers.get(cmd.mid)?.mixer.stopPlayback();
      case 'startRecording':
        return this.reply(
          cmd.req,
          this.mixer(cmd.mid)
            .mixer.startRecording(cmd.path)
            .then(() => undefined),
        );
      case 'stopRecording': {
        const m = this.mixers.get(cmd.mid);
        return this.reply(
          cmd.req,
          m ? m.mixer.stopRecording(cmd.path) : Promise.resolve(undefined),
        );
      }
      case 'closeMixer': {
        const m = this.mixers.get(cmd.mid);
        this.mixers.delete(cmd.mid);
        return m?.mixer.close();
      }
      case 'bridge':
        this.bridges.set(cmd.bid, this.engine.bridge(this.session(cmd.a), this.session(cmd.b)));
        return;
      case 'closeBridge': {
        const b = this.bridges.get(cmd.bid);
        this.bridges.delete(cmd.bid);
        return b?.close();
      }
      case 'openSource':
        return this.reply(cmd.req, this.openSource(cmd));
      case 'closeSource': {
        // A source handed to play() was taken out of the map: the player closes it.
        const s = this.sources.get(cmd.src);
        this.sources.delete(cmd.src);
        return s?.close();
      }
      case 'openRecorder':
        return this.reply(cmd.req, this.openRecorder(cmd));
      case 'closeRecorder': {
        const r = this.recorders.get(cmd.rec);
        this.recorders.delete(cmd.rec);
        return this.reply(
          cmd.req,
          r ? r.close() : Promise.reject(new MediaStateError(`no recorder ${cmd.rec}`)),
        );
      }
      case 'threadStats': {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (cmd.gc && gc) {
          gc();
          gc();
        }
        const mem = process.memoryUsage();
        return this.reply(
          cmd.req,
          Promise.resolve({
            lateTicks: this.engine.ticker.lateTicks,
            frames: this.engine.ticker.frames,
            heapUsed: mem.heapUsed,
            external: mem.external,
            gc: this.gcPauses.take(),
          }),
        );
      }
      case 'close':
        clearInterval(this.lateTimer);
        this.gcPauses.stop();
        for (const s of this.sources.values()) s.close();
        this.sources.clear();
        return this.reply(
          cmd.req,
          (async () => {
            await Promise.all([...this.recorders.values()].map((r) => r.close().catch(() => null)));
            this.recorders.clear();
            await this.engine.close();
            return undefined;
          })(),
        );
      default:
        return assertNever(cmd);
    }
  }

  private async openSession(sid: number): Promise<ReplyValue> {
    const s = (await this.engine.openSession()) as RtpSession & { released?: Promise<void> };
    this.sessions.set(sid, s);
    s.on('dtmf', (event) => this.post({ type: 'dtmf', sid, event }));
    void (s.released ?? Promise.resolve()).then(() => {
      this.sessions.delete(sid);
      this.post({ type: 'released', sid });
    });
    return { port: s.localPort, address: s.localAddress };
  }

  private async openSource(cmd: Extract<Command, { op: 'openSource' }>): Promise<ReplyValue> {
    const s = await this.engine.openSource(cmd.spec, {
      loop: cmd.loop,
      skipFrames: cmd.skipFrames,
    });
    this.sources.set(cmd.src, s);
    return undefined;
  }

  private async openRecorder(cmd: Extract<Command, { op: 'openRecorder' }>): Promise<ReplyValue> {
    const { rec, silence } = cmd;
    const r = await this.engine.openRecorder(
      cmd.path,
      silence
        ? { silence: { ...silence, onSilence: () => this.post({ type: 'silence', rec }) } }
        : undefined,
    );
    this.recorders.set(rec, r);
    return undefined;
  }
}

function assertNever(x: never): never {
  throw new Error(`unknown media command ${JSON.stringify(x)}`);
}

/**
 * Gives this thread alone the nice value `nice` (Linux: setpriority on the thread's id, read from
 * /proc/thread-self), so the paced sends win the CPU over the control thread and other processes.
 * Without the privilege (EACCES) it logs and the engine runs at the process's priority.
 */
function setThreadNice(nice: number, log: Logger): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) throw new Error('no thread id in /proc/thread-self');
    setPriority(tid, nice);
    log.info({ tid, nice: getPriority(tid) }, 'media thread priority set');
  } catch (err) {
    log.warn({ err, nice }, 'cannot set the media thread priority; running at the default');
  }
}

/** The worker's main: engine up, then `ready`; commands until `close`, after which it exits. */
async function run(port: MessagePort, init: WorkerInit): Promise<void> {
  const log = postingLogger(port, init.logLevel, {});
  if (init.nice !== undefined) setThreadNice(init.nice, log.child({ component: 'media' }));
  const engine = await createMediaEngine({
    address: init.address,
    rtpPortMin: init.rtpPortMin,
    rtpPortMax: init.rtpPortMax,
    logger: log,
    ...(init.tickSlots !== undefined ? { tickSlots: init.tickSlots } : {}),
  });
  const host = new EngineHost(engine, (ev) => port.postMessage(ev), log);
  port.on('message', (cmd: Command) => host.handle(cmd));
  port.postMessage({ type: 'ready' } satisfies WorkerEvent);
}

if (parentPort) {
  const port = parentPort;
  run(port, workerData as WorkerInit).catch((err: unknown) => {
    // The control side rejects its start with this error and ends the worker.
    port.postMessage({
      type: 'reply',
      req: 0,
      ok: false,
      error: wireError(err),
    } satisfies WorkerEvent);
  });
}
