/**
 * The main-thread side of a SIP server running in a worker thread (sip-worker.ts): starts the
 * worker, waits for its listeners, and turns the handle's calls into messages. Log lines and SIP
 * traffic come back as messages; everything else stays in the worker.
 */
import { Worker } from 'node:worker_threads';
import { TransportError } from '../errors';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import type {
  FromWorker,
  ReplyValue,
  SipServerStats,
  ThreadSipServerOptions,
  ToWorker,
  WireError,
  WorkerInit,
  WorkerLogTarget,
} from './protocol';
import type { SipServerHandle, TrafficListener } from './sip-server-handle';
import { forEachMessage } from './traffic-batcher';
import { sipWorkerEntry } from './worker-entry';

/** How long a stopping worker may take before it is terminated. */
const STOP_GRACE_MS = 5_000;

function rebuildError(e: WireError): Error {
  const err = e.name === 'TransportError' ? new TransportError(e.message) : new Error(e.message);
  err.name = e.name;
  if (e.code) (err as Error & { code?: string }).code = e.code;
  return err;
}

type Pending = { resolve: (v: ReplyValue) => void; reject: (e: Error) => void };

/**
 * Starts the server in a worker; rejects with its start-up error (the worker is gone then).
 * `onWorker` (tests) is given the Worker, e.g. to end it as a crash would.
 */
export function startSipServerThread(
  options: ThreadSipServerOptions,
  logTarget: WorkerLogTarget,
  logger: Logger = silentLogger,
  onWorker?: (worker: Worker) => void,
): Promise<SipServerHandle> {
  const log = logger.child({ component: 'sip-server' });
  const entry = sipWorkerEntry();
  const init: WorkerInit = { options, log: logTarget };
  const worker = new Worker(entry.file, { eval: entry.eval, workerData: init });
  onWorker?.(worker);
  const pending = new Map<number, Pending>();
  const listeners = new Set<TrafficListener>();
  const failureListeners: Array<(err: Error) => void> = [];
  let failure: Error | undefined;
  let nextReq = 1;
  let dead: Error | undefined;
  let stopping: Promise<void> | undefined;
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));

  const request = <T extends ReplyValue>(cmd: (req: number) => ToWorker): Promise<T> => {
    if (dead) return Promise.reject(dead);
    const req = nextReq++;
    return new Promise<T>((resolve, reject) => {
      pending.set(req, { resolve: resolve as (v: ReplyValue) => void, reject });
      worker.postMessage(cmd(req));
    });
  };
  const send = (cmd: ToWorker): void => {
    if (!dead) worker.postMessage(cmd);
  };
  const fail = (err: Error): void => {
    dead ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  return new Promise<SipServerHandle>((resolve, reject) => {
    let started = false;
    worker.on('message', (ev: FromWorker) => {
      switch (ev.type) {
        case 'traffic':
          for (const l of listeners) forEachMessage(ev, l);
          break;
        case 'log':
          log[ev.level](ev.obj, ev.msg);
          break;
        case 'reply': {
          const p = pending.get(ev.req);
          if (!p) break;
          pending.delete(ev.req);
          if (ev.ok) p.resolve(ev.value);
          else p.reject(rebuildError(ev.error));
          break;
        }
        case 'failed': {
          const err = rebuildError(ev.error);
          fail(err);
          // The worker closes its port and exits; start-up fails only once it has.
          void exited.then(() => reject(err));
          break;
        }
        case 'started':
          started = true;
          resolve(handle(ev));
          break;
        default:
          assertNever(ev);
      }
    });
    worker.on('error', (err) => {
      log.error({ err }, 'sip-server worker failed');
      fail(err);
      if (!started) reject(err);
    });
    void exited.then((code) => {
      fail(new Error(`sip-server worker exited (code ${code})`));
      if (!started) reject(dead ?? new Error(`sip-server worker exited (code ${code})`));
      else if (!stopping) {
        failure = new Error(`sip-server worker exited unexpectedly (code ${code})`);
        log.error({ code }, 'sip-server worker exited unexpectedly: no SIP service from now on');
        for (const l of failureListeners.splice(0)) l(failure);
      }
    });
  });

  function handle(ev: Extract<FromWorker, { type: 'started' }>): SipServerHandle {
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        listeners.clear();
        const grace = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
        try {
          await request((req) => ({ op: 'stop', req }));
        } catch (err) {
          // Gone already, or failed to stop: the thread is ended below either way.
          if (!dead) log.warn({ err }, 'sip-server worker did not stop cleanly');
          void worker.terminate();
        }
        await exited;
        clearTimeout(grace);
      })();
      return stopping;
    };
    return {
      thread: 'worker',
      control: ev.control,
      sipAddresses: ev.sipAddresses,
      stats: (o) => request<SipServerStats>((req) => ({ op: 'stats', req, gc: o?.gc === true })),
      flushTraffic: () => request<undefined>((req) => ({ op: 'flushTraffic', req })),
      onTraffic: (listener) => {
        listeners.add(listener);
        if (listeners.size === 1) send({ op: 'trace', on: true });
        return () => {
          if (!listeners.delete(listener) || listeners.size > 0) return;
          send({ op: 'trace', on: false });
        };
      },
      updateBlockedSources: (update) => send({ op: 'blocks', update }),
      reloadTls: (credentials) =>
        request<undefined>((req) => ({ op: 'reloadTls', req, credentials })).then(() => undefined),
      whenRouted: (verbs, withinMs = 5_000) =>
        request<undefined>((req) => ({ op: 'whenRouted', req, verbs, withinMs })).then(
          () => undefined,
        ),
      onFailure: (listener) => {
        const f = failure;
        if (f) queueMicrotask(() => listener(f));
        else if (!stopping) failureListeners.push(listener);
      },
      setLogLevel: (level) => send({ op: 'logLevel', level }),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected message ${JSON.stringify(x)}`);
}
