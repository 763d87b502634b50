/**
 * The SIP server as the PBX uses it, in either thread: `main` runs it in the caller's thread
 * (as before), `worker` in a worker thread of its own (the second core). The handle is the same
 * for both; what cannot cross a thread is data here (blocked sources instead of an admission
 * callback) and what needs the other thread answers by promise (stats, TLS reload).
 */
import type { Logger } from '../logger';
import { startSipServer, type SipServerOptions } from '../server';
import type { SourceBlocksUpdate } from '../source-blocks';
import type { TlsCredentials } from '../transport/tls-server-options';
import type { TransportProtocol } from '../transport/types';
import type { SipServerStats, WorkerLogTarget } from './protocol';
import { startSipServerThread } from './threaded-server';

/** Where the SIP server runs. */
export type SipServerThread = 'main' | 'worker';

/** Listener of every SIP message received (parsed) and sent. */
export type TrafficListener = (
  direction: 'in' | 'out',
  data: Buffer,
  peer: { address: string; port: number },
) => void;

export interface SipServerHandle extends AsyncDisposable {
  readonly thread: SipServerThread;
  readonly control: { host: string; port: number };
  readonly sipAddresses: Array<{ protocol: TransportProtocol; address: string; port: number }>;
  /**
   * Counts for tests and the bench (see `SipServer.stats`); from a worker also its heap in use
   * (`workerHeapUsed`, after full collections with `gc` under --expose-gc).
   */
  stats(o?: { gc?: boolean }): Promise<SipServerStats>;
  /**
   * Observes every SIP message (see `SipServer.onTraffic`). From a worker the messages come in
   * batches, one per turn of its event loop, in order; only while someone listens.
   */
  onTraffic(listener: TrafficListener): () => void;
  /**
   * Resolves once every message the server handled so far has reached the traffic listeners: a
   * worker's batch (up to 20 ms of messages) is handed over at once. For readers that must see
   * the latest messages (a call's ladder right after its hang-up).
   */
  flushTraffic(): Promise<void>;
  /** Changes the sources dropped before parsing (see `SipServer.updateBlockedSources`). */
  updateBlockedSources(update: SourceBlocksUpdate): void;
  /** Installs a new certificate for new connections; rejects, changing nothing, when unusable. */
  reloadTls(credentials: TlsCredentials): Promise<void>;
  /** Resolves once a control client has routed every verb; rejects after `withinMs`. */
  whenRouted(verbs: string[], withinMs?: number): Promise<void>;
  /**
   * Calls `listener` once if the server ends without `stop()`: its worker thread died (an
   * uncaught error in it, or terminated). SIP is gone then; never called in `main`, where such an
   * error is the process's own.
   */
  onFailure(listener: (err: Error) => void): void;
  /** The logger's level changed (a worker filters its lines itself). */
  setLogLevel(level: string): void;
  stop(): Promise<void>;
}

export interface SipServerHandleOptions extends Omit<SipServerOptions, 'admission'> {
  thread: SipServerThread;
  /**
   * Worker only: where its log lines go (default: posted to `logger` at its level). `stdout`:
   * the worker's own pino writes them to fd 1, as a PBX logging to stdout does.
   */
  workerLog?: WorkerLogTarget;
}

/** Starts the SIP server in the chosen thread; rejects with the server's start-up error. */
export async function startSipServerIn(opts: SipServerHandleOptions): Promise<SipServerHandle> {
  const { thread, workerLog, logger, ...options } = opts;
  if (thread === 'worker')
    return startSipServerThread(
      options,
      workerLog ?? { to: 'post', level: levelOf(logger) },
      logger,
    );
  const server = await startSipServer({ ...options, ...(logger ? { logger } : {}) });
  return {
    thread,
    control: server.control,
    sipAddresses: server.sipAddresses,
    stats: () => Promise.resolve(server.stats()),
    // In the same thread every message reaches the listeners as it is handled.
    flushTraffic: () => Promise.resolve(),
    onTraffic: (listener) => server.onTraffic(listener),
    updateBlockedSources: (update) => server.updateBlockedSources(update),
    reloadTls: (credentials) => Promise.resolve().then(() => server.reloadTls(credentials)),
    whenRouted: (verbs, withinMs) => server.whenRouted(verbs, withinMs),
    onFailure: () => undefined,
    // The server logs through children of the caller's logger, which follow its level.
    setLogLevel: () => undefined,
    stop: () => server.stop(),
    [Symbol.asyncDispose]: () => server.stop(),
  };
}

/** The level a pino-like logger is at (`level` property), else what it enables. */
function levelOf(logger: Logger | undefined): string {
  if (!logger) return 'silent';
  const level = (logger as Logger & { level?: unknown }).level;
  if (typeof level === 'string') return level;
  for (const l of ['trace', 'debug', 'info', 'warn', 'error'])
    if (logger.isLevelEnabled(l)) return l;
  return 'silent';
}
