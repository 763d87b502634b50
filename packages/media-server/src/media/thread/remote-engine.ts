/**
 * The media engine in a worker thread, behind the same `MediaEngine` contract the channel layer
 * already uses. Every object (session, mixer, member, bridge, source, recorder) is a handle with
 * an id; each call is one message to the worker (`protocol.ts`), each promise one reply. Audio,
 * pacing and sockets stay in the worker, whose heap is its own: a scavenge of the control
 * thread's heap (ESL, SIP, the PBX) no longer stops the ticker, and the worker's young generation
 * holds only media garbage.
 *
 * Sources and recorders are opaque here: they can be handed to `play`/`addSink` of this engine
 * but not read or written frame by frame on the control thread (that would be a message per
 * frame), so `readFrame`/`writeFrame` throw `MediaStateError`.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger';
import { silentLogger } from '../../logger';
import { MediaStateError, PortRangeExhaustedError } from '../errors';
import { MediaFileError } from '../types';
import { workerEntryFor, type WorkerEntry } from '@pbx/sip-server';
import type {
  AudioSink,
  AudioSource,
  ConferenceMixer,
  DtmfEvent,
  MediaEngine,
  MediaEngineOptions,
  MixerMember,
  MixerMemberOptions,
  PlaybackResult,
  RecorderOptions,
  RecordingResult,
  RemoteMedia,
  RtpSession,
  SessionBridge,
  SourceOptions,
} from '../types';
import type {
  Command,
  ReplyValue,
  ThreadStats,
  WireError,
  WorkerEvent,
  WorkerInit,
} from './protocol';

/** V8's default young generation on 64-bit: three semi-spaces of 16 MiB. */
export const DEFAULT_MEDIA_YOUNG_GENERATION_MB = 48;

/** Heap limits of the media worker (V8 `resourceLimits`). */
export interface MediaThreadOptions {
  /**
   * Young generation, MiB (V8 sizes it as three semi-spaces); when unset, 48: V8's default
   * semi-space of 16 MiB, whatever `--max-semi-space-size` the process was started with for the
   * signalling threads (the flag is process-wide).
   */
  youngGenerationMb?: number;
  /** Old generation ceiling, MiB (the worker is killed with an error beyond it); default 256. */
  oldGenerationMb?: number;
  /**
   * Nice value of the media thread alone (-20..19; Linux). Lower = the OS runs its paced sends
   * first; lowering it needs root or CAP_SYS_NICE (without, a warning and the default).
   */
  nice?: number;
}

/** A `MediaEngine` whose engine runs in a worker thread. */
export interface ThreadedMediaEngine extends MediaEngine {
  readonly threadId: number;
  /** The worker's ticker counters and heap (after a GC with `gc`, if exposed): bench, tests. */
  threadStats(options?: { gc?: boolean }): Promise<ThreadStats>;
  /**
   * Ends the worker at once, as a crash would: every session ends here, `onCrash` is called.
   * For tests of the recovery, and as an operator's last resort for a stuck engine.
   */
  terminateThread(): Promise<void>;
}

function rebuildError(e: WireError): Error {
  let err: Error;
  if (e.name === 'MediaFileError' && (e.code === 'not-found' || e.code === 'unsupported'))
    err = new MediaFileError(e.code, e.path ?? '');
  else if (e.name === 'PortRangeExhaustedError')
    err = new PortRangeExhaustedError(e.min ?? 0, e.max ?? 0);
  else if (e.name === 'MediaStateError') err = new MediaStateError(e.message);
  else {
    err = new Error(e.message);
    err.name = e.name;
  }
  err.message = e.message;
  return err;
}

/** Where the worker's code is: next to this file (dist), or the TypeScript source under jest. */
function workerEntry(): WorkerEntry {
  return workerEntryFor(
    path.join(__dirname, `engine-worker${path.extname(__filename)}`),
    path.resolve(__dirname, '../../../node_modules/.cache/media-worker-ts'),
  );
}

type Pending = { resolve: (v: ReplyValue) => void; reject: (e: Error) => void };

class Link {
  private nextReq = 1;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  dead: Error | undefined;

  constructor(private readonly worker: Worker) {}

  id(): number {
    return this.nextId++;
  }

  send(cmd: Command): void {
    if (this.dead) return;
    this.worker.postMessage(cmd);
  }

  request<T extends ReplyValue>(make: (req: number) => Command): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const req = this.nextReq++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(req, { resolve: resolve as (v: ReplyValue) => void, reject });
      this.worker.postMessage(make(req));
    });
  }

  settle(ev: Extract<WorkerEvent, { type: 'reply' }>): void {
    const p = this.pending.get(ev.req);
    if (!p) return;
    this.pending.delete(ev.req);
    if (ev.ok) p.resolve(ev.value);
    else p.reject(rebuildError(ev.error));
  }

  /** The worker is gone: every waiting call fails with `err`. */
  fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

class RemoteSource implements AudioSource {
  taken = false;
  constructor(
    private readonly link: Link,
    readonly id: number,
  ) {}

  readFrame(): Int16Array | null {
    throw new MediaStateError('a media-thread source is read in the media thread only');
  }

  close(): void {
    if (this.taken) return;
    this.taken = true;
    this.link.send({ op: 'closeSource', src: this.id });
  }
}

class RemoteRecorder implements AudioSink {
  private closing: Promise<RecordingResult> | undefined;
  constructor(
    private readonly link: Link,
    readonly id: number,
  ) {}

  writeFrame(): void {
    throw new MediaStateError('a media-thread recorder is written in the media thread only');
  }

  close(): Promise<RecordingResult> {
    this.closing ??= this.link.request<RecordingResult>((req) => ({
      op: 'closeRecorder',
      req,
      rec: this.id,
    }));
    return this.closing;
  }
}

function sourceId(source: AudioSource): number {
  if (!(source instanceof RemoteSource) || source.taken)
    throw new MediaStateError('not an unused source of this media engine');
  source.taken = true;
  return source.id;
}

const HANGUP: PlaybackResult = { reason: 'hangup', ms: 0, samples: 0 };

class RemoteSession extends EventEmitter implements RtpSession {
  closed = false;
  /** The mixer or bridge feeding this session (checked here so addMember/bridge can throw). */
  owner: RemoteMixer | RemoteBridge | undefined;
  private markReleased: () => void = () => undefined;
  readonly released = new Promise<void>((resolve) => (this.markReleased = resolve));

  constructor(
    private readonly link: Link,
    readonly id: number,
    readonly localAddress: string,
    readonly localPort: number,
    private readonly onClosed: (s: RemoteSession) => void,
  ) {
    super();
  }

  setRemote(remote: RemoteMedia): void {
    if (!this.closed) this.link.send({ op: 'setRemote', sid: this.id, remote });
  }

  play(source: AudioSource): Promise<PlaybackResult> {
    if (this.closed) {
      source.close();
      return Promise.resolve(HANGUP);
    }
    const src = sourceId(source);
    return this.link
      .request<PlaybackResult>((req) => ({ op: 'play', req, sid: this.id, src }))
      .catch(() => HANGUP);
  }

  stopPlayback(): void {
    if (!this.closed) this.link.send({ op: 'stopPlayback', sid: this.id });
  }

  addSink(sink: AudioSink, tap: 'read' | 'write' | 'both' = 'read'): void {
    if (!(sink instanceof RemoteRecorder))
      throw new MediaStateError('only recorders of this media engine can tap a session');
    if (!this.closed) this.link.send({ op: 'addSink', sid: this.id, rec: sink.id, tap });
  }

  removeSink(sink: AudioSink): void {
    if (sink instanceof RemoteRecorder && !this.closed)
      this.link.send({ op: 'removeSink', sid: this.id, rec: sink.id });
  }

  sendDtmf(digits: string, msPerDigit?: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.link
      .request<undefined>((req) => ({ op: 'sendDtmf', req, sid: this.id, digits, msPerDigit }))
      .catch(() => undefined);
  }

  setMute(which: 'read' | 'write', on: boolean): void {
    if (!this.closed) this.link.send({ op: 'setMute', sid: this.id, which, on });
  }

  override on(event: 'dtmf', listener: (e: DtmfEvent) => void): this;
  override on(event: 'close', listener: () => void): this;
  override on(event: string, listener: (e: DtmfEvent) => void): this {
    return super.on(event, listener);
  }

  override off(event: 'dtmf', listener: (e: DtmfEvent) => void): this;
  override off(event: 'close', listener: () => void): this;
  override off(event: string, listener: (e: DtmfEvent) => void): this {
    return super.off(event, listener);
  }

  close(): void {
    if (this.closed) return;
    this.link.send({ op: 'closeSession', sid: this.id });
    this.closedHere();
  }

  /** Local bookkeeping of a close (ours, or the worker's when it is gone). */
  closedHere(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner?.sessionClosed(this);
    this.onClosed(this);
    this.emit('close');
    this.removeAllListeners();
  }

  releasedHere(): void {
    this.closedHere();
    this.markReleased();
  }
}

class RemoteMember implements MixerMember {
  constructor(
    private readonly mixer: RemoteMixer,
    readonly session: RemoteSession,
  ) {}

  setMute(on: boolean): void {
    this.mixer.setMember(this, 'mute', on);
  }

  setDeaf(on: boolean): void {
    this.mixer.setMember(this, 'deaf', on);
  }
}

class RemoteMixer implements ConferenceMixer {
  private readonly members = new Map<RemoteSession, RemoteMember>();
  private closed = false;

  constructor(
    private readonly link: Link,
    readonly id: number,
    private readonly onClosed: (m: RemoteMixer) => void,
  ) {
    link.send({ op: 'createMixer', mid: id });
  }

  get size(): number {
    return this.members.size;
  }

  addMember(session: RtpSession, options: MixerMemberOptions = {}): MixerMember {
    if (this.closed) throw new MediaStateError('mixer is closed');
    if (!(session instanceof RemoteSession))
      throw new MediaStateError('not a session of this engine');
    if (session.closed) throw new MediaStateError('session is closed');
    if (session.owner)
      throw new MediaStateError(
        `session is already in a ${session.owner instanceof RemoteMixer ? 'mixer' : 'bridge'}`,
      );
    const m = new RemoteMember(this, session);
    session.owner = this;
    this.members.set(session, m);
    this.link.send({
      op: 'addMember',
      mid: this.id,
      sid: session.id,
      mute: options.mute === true,
      deaf: options.deaf === true,
    });
    return m;
  }

  removeMember(member: MixerMember): void {
    if (!(member instanceof RemoteMember) || this.members.get(member.session) !== member) return;
    this.members.delete(member.session);
    if (member.session.owner === this) member.session.owner = undefined;
    this.link.send({ op: 'removeMember', mid: this.id, sid: member.session.id });
  }

  /** The worker's mixer drops a closed session by itself; this mirrors it. */
  sessionClosed(s: RemoteSession): void {
    this.members.delete(s);
    if (s.owner === this) s.owner = undefined;
  }

  setMember(member: RemoteMember, what: 'mute' | 'deaf', on: boolean): void {
    if (this.members.get(member.session) === member)
      this.link.send({ op: 'setMember', mid: this.id, sid: member.session.id, what, on });
  }

  play(source: AudioSource, to?: MixerMember): Promise<PlaybackResult> {
    const target = to instanceof RemoteMember ? to : undefined;
    if (this.closed || (to !== undefined && (!target || !this.members.has(target.session)))) {
      source.close();
      return Promise.resolve(HANGUP);
    }
    const src = sourceId(source);
    return this.link
      .request<PlaybackResult>((req) => ({
        op: 'mixerPlay',
        req,
        mid: this.id,
        src,
        ...(target ? { to: target.session.id } : {}),
      }))
      .catch(() => HANGUP);
  }

  stopPlayback(): void {
    if (!this.closed) this.link.send({ op: 'mixerStop', mid: this.id });
  }

  async startRecording(file: string): Promise<void> {
    if (this.closed) throw new MediaStateError('mixer is closed');
    await this.link.request<undefined>((req) => ({
      op: 'startRecording',
      req,
      mid: this.id,
      path: file,
    }));
  }

  stopRecording(file: string): Promise<RecordingResult | undefined> {
    return this.link.request<RecordingResult | undefined>((req) => ({
      op: 'stopRecording',
      req,
      mid: this.id,
      path: file,
    }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.members.keys()) if (s.owner === this) s.owner = undefined;
    this.members.clear();
    this.link.send({ op: 'closeMixer', mid: this.id });
    this.onClosed(this);
  }
}

class RemoteBridge implements SessionBridge {
  private closed = false;
  constructor(
    private readonly link: Link,
    readonly id: number,
    private readonly legs: [RemoteSession, RemoteSession],
  ) {
    for (const s of legs) s.owner = this;
    link.send({ op: 'bridge', bid: id, a: legs[0].id, b: legs[1].id });
  }

  /** Closing either leg ends the bridge (as in the worker). */
  sessionClosed(): void {
    this.closeHere();
  }

  private closeHere(): boolean {
    if (this.closed) return false;
    this.closed = true;
    for (const s of this.legs) if (s.owner === this) s.owner = undefined;
    return true;
  }

  close(): void {
    if (this.closeHere()) this.link.send({ op: 'closeBridge', bid: this.id });
  }
}

const LEVEL_ORDER = ['trace', 'debug', 'info', 'warn', 'error'] as const;

function lowestLevel(log: Logger): WorkerInit['logLevel'] {
  for (const l of LEVEL_ORDER) if (log.isLevelEnabled(l)) return l;
  return 'silent';
}

/**
 * Starts the media engine in a worker thread and resolves once its engine is up. `close()` closes
 * every session in the worker, then terminates the thread. Rejects with the worker's start error.
 */
export async function createThreadedMediaEngine(
  options: MediaEngineOptions & {
    thread?: MediaThreadOptions;
    /** Called once if the worker ends without `close()` (crash, heap limit, terminateThread). */
    onCrash?: (err: Error) => void;
  },
): Promise<ThreadedMediaEngine> {
  const log = (options.logger ?? silentLogger).child({ component: 'media' });
  const init: WorkerInit = {
    address: options.address,
    rtpPortMin: options.rtpPortMin,
    rtpPortMax: options.rtpPortMax,
    ...(options.tickSlots !== undefined ? { tickSlots: options.tickSlots } : {}),
    ...(options.thread?.nice !== undefined ? { nice: options.thread.nice } : {}),
    logLevel: lowestLevel(log),
  };
  const entry = workerEntry();
  const limits = options.thread ?? {};
  const worker = new Worker(entry.file, {
    eval: entry.eval,
    workerData: init,
    resourceLimits: {
      maxOldGenerationSizeMb: limits.oldGenerationMb ?? 256,
      maxYoungGenerationSizeMb: limits.youngGenerationMb ?? DEFAULT_MEDIA_YOUNG_GENERATION_MB,
    },
    // The worker's own stdout/stderr would bypass the logger; it logs through messages only.
    stdout: false,
    stderr: false,
  });
  const link = new Link(worker);
  const sessions = new Map<number, RemoteSession>();
  const mixers = new Set<RemoteMixer>();
  const recorders = new Map<number, { onSilence?: () => void }>();
  let lateTicks = 0;
  let unreleased = 0;
  let closed = false;
  let closing: Promise<void> | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (ev: WorkerEvent) => {
      switch (ev.type) {
        case 'ready':
          return resolve();
        case 'reply':
          if (ev.req === 0 && !ev.ok) return reject(rebuildError(ev.error));
          return link.settle(ev);
        case 'dtmf': {
          const s = sessions.get(ev.sid);
          if (!s) return;
          try {
            s.emit('dtmf', ev.event);
          } catch (err) {
            log.error({ err }, 'dtmf listener threw');
          }
          return;
        }
        case 'released': {
          const s = sessions.get(ev.sid);
          if (!s) return;
          sessions.delete(ev.sid);
          unreleased--;
          s.releasedHere();
          return;
        }
        case 'silence':
          return recorders.get(ev.rec)?.onSilence?.();
        case 'lateTicks':
          lateTicks = ev.lateTicks;
          return;
        case 'log': {
          const target = Object.keys(ev.bindings).length > 0 ? log.child(ev.bindings) : log;
          target[ev.level](ev.obj, ev.msg);
          return;
        }
        default:
          return assertNever(ev);
      }
    });
    worker.on('error', (err) => {
      log.error({ err }, 'media worker failed');
      reject(err);
      gone(err);
    });
    worker.on('exit', (code) => {
      const err = new MediaStateError(`media worker exited (${code})`);
      reject(err);
      gone(err);
    });
  });

  let started = false;
  let crashed = false;
  /** The worker is gone (crash or terminate): every session ends here too. */
  const gone = (err: Error): void => {
    link.fail(err);
    closed = true;
    if (started && closing === undefined && !crashed) {
      crashed = true;
      log.error({ err }, 'media worker ended unexpectedly: its sessions are gone');
      queueMicrotask(() => options.onCrash?.(err));
    }
    for (const s of [...sessions.values()]) {
      sessions.delete(s.id);
      s.releasedHere();
    }
    unreleased = 0;
  };

  try {
    await ready;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  started = true;

  const engine: ThreadedMediaEngine = {
    threadId: worker.threadId,
    async openSession(): Promise<RtpSession> {
      if (closed) throw new MediaStateError('media engine is closed');
      const sid = link.id();
      const at = await link.request<{ port: number; address: string }>((req) => ({
        op: 'openSession',
        req,
        sid,
      }));
      unreleased++;
      const s = new RemoteSession(link, sid, at.address, at.port, () => undefined);
      sessions.set(sid, s);
      if (closed) s.close();
      return s;
    },
    createMixer(): ConferenceMixer {
      if (closed) throw new MediaStateError('media engine is closed');
      const m = new RemoteMixer(link, link.id(), (x) => mixers.delete(x));
      mixers.add(m);
      return m;
    },
    bridge(a: RtpSession, b: RtpSession): SessionBridge {
      if (!(a instanceof RemoteSession) || !(b instanceof RemoteSession))
        throw new MediaStateError('not an open session of this engine');
      if (a === b) throw new MediaStateError('cannot bridge a session to itself');
      for (const s of [a, b]) {
        if (s.closed) throw new MediaStateError('session is closed');
        if (s.owner)
          throw new MediaStateError(
            `session is already in a ${s.owner instanceof RemoteMixer ? 'mixer' : 'bridge'}`,
          );
      }
      return new RemoteBridge(link, link.id(), [a, b]);
    },
    async openSource(spec: string, opts: SourceOptions = {}): Promise<AudioSource> {
      const src = link.id();
      await link.request<undefined>((req) => ({
        op: 'openSource',
        req,
        src,
        spec,
        loop: opts.loop === true,
        skipFrames: Math.max(0, Math.floor(opts.skipFrames ?? 0)),
      }));
      return new RemoteSource(link, src);
    },
    async openRecorder(
      file: string,
      opts: RecorderOptions = {},
    ): Promise<AudioSink & { close(): Promise<RecordingResult> }> {
      const rec = link.id();
      const silence = opts.silence;
      await link.request<undefined>((req) => ({
        op: 'openRecorder',
        req,
        rec,
        path: file,
        ...(silence ? { silence: { threshold: silence.threshold, frames: silence.frames } } : {}),
      }));
      recorders.set(rec, { onSilence: silence?.onSilence });
      const r = new RemoteRecorder(link, rec);
      const close = r.close.bind(r);
      r.close = () => close().finally(() => recorders.delete(rec));
      return r;
    },
    stats() {
      let open = 0;
      for (const s of sessions.values()) if (!s.closed) open++;
      return { sessions: open, portsInUse: unreleased, lateTicks };
    },
    threadStats(o: { gc?: boolean } = {}): Promise<ThreadStats> {
      return link.request<ThreadStats>((req) => ({ op: 'threadStats', req, gc: o.gc === true }));
    },
    async terminateThread(): Promise<void> {
      await worker.terminate();
    },
    close(): Promise<void> {
      closing ??= (async () => {
        if (!link.dead) {
          closed = true;
          await link
            .request<undefined>((req) => ({ op: 'close', req }))
            .catch((err: unknown) => {
              log.warn({ err }, 'media worker did not close cleanly');
            });
        }
        await worker.terminate();
      })();
      return closing;
    },
  };
  return engine;
}

function assertNever(x: never): never {
  throw new Error(`unexpected media worker message ${JSON.stringify(x)}`);
}
