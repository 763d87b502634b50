/**
 * Keeps a media engine in a worker thread running: when the worker dies (an uncaught error, its
 * heap limit, `terminateThread`), the calls it carried lose their media (their sessions close,
 * and the channel layer hangs those calls up) but the next call gets a fresh worker. Restarts
 * back off (250 ms, doubling up to 10 s for each failed start and for crashes that follow a
 * restart within a minute) so a worker that dies at start-up or at once does not spin.
 */
import type { Logger } from '../../logger';
import { silentLogger } from '../../logger';
import { MediaStateError } from '../errors';
import type {
  AudioSink,
  AudioSource,
  ConferenceMixer,
  MediaEngine,
  RecorderOptions,
  RecordingResult,
  RtpSession,
  SessionBridge,
  SourceOptions,
} from '../types';
import type { ThreadedMediaEngine } from './remote-engine';

/** Starts one engine; `onCrash` must be passed on to `createThreadedMediaEngine`. */
export type StartEngine = (onCrash: (err: Error) => void) => Promise<ThreadedMediaEngine>;

export interface SupervisedMediaEngine extends MediaEngine {
  /** The engine now serving (undefined while a restart is under way). */
  readonly current: ThreadedMediaEngine | undefined;
  /** Workers started again after a crash so far. */
  readonly restarts: number;
  /** Resolves when an engine serves again (at once when one does); rejects once closed. */
  whenRunning(): Promise<ThreadedMediaEngine>;
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;
/** A crash this long after the last restart counts as a fresh one (back-off starts over). */
const CALM_MS = 60_000;

/** Starts the first engine (its start error is thrown) and supervises it and its successors. */
export async function createSupervisedMediaEngine(
  start: StartEngine,
  options: { logger?: Logger; now?: () => number } = {},
): Promise<SupervisedMediaEngine> {
  const log = (options.logger ?? silentLogger).child({ component: 'media-supervisor' });
  const now = options.now ?? Date.now;
  let current: ThreadedMediaEngine | undefined;
  let restarting: Promise<ThreadedMediaEngine> | undefined;
  let restarts = 0;
  let delay = FIRST_DELAY_MS;
  let lastRestartAt = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  /** Fails the restart under way (close). */
  let abandon: ((err: Error) => void) | undefined;

  const onCrash = (crashed: ThreadedMediaEngine | undefined) => (err: Error) => {
    if (closed || current !== crashed) return;
    current = undefined;
    if (now() - lastRestartAt > CALM_MS) delay = FIRST_DELAY_MS;
    log.error({ err, retryInMs: delay }, 'media worker crashed: starting a new one');
    restarting = new Promise<ThreadedMediaEngine>((resolve, reject) => {
      abandon = reject;
      const attempt = (): void => {
        timer = undefined;
        if (closed) {
          reject(new MediaStateError('media engine is closed'));
          return;
        }
        let engine: ThreadedMediaEngine | undefined;
        start((e) => onCrash(engine)(e))
          .then((e) => {
            engine = e;
            if (closed) {
              void e.close();
              reject(new MediaStateError('media engine is closed'));
              return;
            }
            current = e;
            restarting = undefined;
            abandon = undefined;
            restarts++;
            lastRestartAt = now();
            log.warn({ restarts, threadId: e.threadId }, 'media worker started again');
            resolve(e);
          })
          .catch((startErr: unknown) => {
            log.error({ err: startErr, retryInMs: delay }, 'media worker did not start again');
            timer = setTimeout(attempt, delay);
            delay = Math.min(delay * 2, MAX_DELAY_MS);
          });
      };
      timer = setTimeout(attempt, delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    });
    // Callers waiting in whenRunning() hold their own handlers; this one keeps a rejection at
    // close from being unhandled.
    restarting.catch(() => undefined);
  };

  const first: { engine?: ThreadedMediaEngine } = {};
  first.engine = await start((e) => onCrash(first.engine)(e));
  current = first.engine;

  const need = (): ThreadedMediaEngine => {
    if (closed) throw new MediaStateError('media engine is closed');
    if (!current) throw new MediaStateError('media engine restarting after a crash');
    return current;
  };

  const whenRunning = async (): Promise<ThreadedMediaEngine> => {
    if (closed) throw new MediaStateError('media engine is closed');
    if (current) return current;
    if (restarting) return restarting;
    throw new MediaStateError('media engine restarting after a crash');
  };

  return {
    get current() {
      return current;
    },
    get restarts() {
      return restarts;
    },
    whenRunning,
    // Session opens wait for a restart under way: a call arriving during one gets media late
    // rather than not at all.
    async openSession(): Promise<RtpSession> {
      return (await whenRunning()).openSession();
    },
    createMixer(): ConferenceMixer {
      return need().createMixer();
    },
    bridge(a: RtpSession, b: RtpSession): SessionBridge {
      return need().bridge(a, b);
    },
    async openSource(spec: string, opts?: SourceOptions): Promise<AudioSource> {
      return (await whenRunning()).openSource(spec, opts);
    },
    async openRecorder(
      path: string,
      opts?: RecorderOptions,
    ): Promise<AudioSink & { close(): Promise<RecordingResult> }> {
      return (await whenRunning()).openRecorder(path, opts);
    },
    stats() {
      return current?.stats() ?? { sessions: 0, portsInUse: 0, lateTicks: 0 };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      abandon?.(new MediaStateError('media engine is closed'));
      await current?.close();
      current = undefined;
    },
  };
}
