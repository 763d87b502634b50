/**
 * Messages between the PBX's thread and the SIP server's worker thread. Everything here is plain
 * data (structured clone); functions of the PBX never cross, so the worker decides per packet on
 * its own (blocked sources are mirrored into it as data).
 */
import type { SipServerOptions } from '../server';
import type { SourceBlocksUpdate } from '../source-blocks';
import type { TlsCredentials } from '../transport/tls-server-options';
import type { TransportProtocol } from '../transport/types';

/** The server's options that can cross the thread boundary (no logger, no admission callback). */
export type ThreadSipServerOptions = Omit<SipServerOptions, 'logger' | 'admission'>;

/** Where the worker's log lines go. */
export type WorkerLogTarget =
  /** Posted to the PBX's thread, whose logger writes them (tests capture logs this way). */
  | { to: 'post'; level: string }
  /** A pino logger of the worker writing to this process's stdout, as the PBX's own does. */
  | { to: 'stdout'; level: string; redact?: string[] };

export interface WorkerInit {
  options: ThreadSipServerOptions;
  log: WorkerLogTarget;
}

export interface SipServerStats {
  dialogs: number;
  incoming: number;
  outgoing: number;
  serverTransactions: number;
  completedTransactions: number;
  /** Bytes of the answer ring those take (off the JS heap). */
  completedTransactionBytes: number;
  clientTransactions: number;
  connections: number;
  refusals: Record<string, number>;
  /**
   * The worker thread's own V8 heap in use, bytes (after full collections when asked with `gc`
   * and the process runs with --expose-gc); absent in `main`, whose heap is the process's.
   */
  workerHeapUsed?: number;
}

/** An error as data (name and message survive; the class is rebuilt for known names). */
export interface WireError {
  name: string;
  message: string;
  code?: string;
}

export type ToWorker =
  | { op: 'stats'; req: number; gc?: boolean }
  | { op: 'reloadTls'; req: number; credentials: TlsCredentials }
  | { op: 'whenRouted'; req: number; verbs: string[]; withinMs: number }
  | { op: 'stop'; req: number }
  | { op: 'flushTraffic'; req: number }
  | { op: 'blocks'; update: SourceBlocksUpdate }
  | { op: 'trace'; on: boolean }
  | { op: 'logLevel'; level: string };

export type ReplyValue = SipServerStats | undefined;

/**
 * SIP messages of one event-loop turn of the worker, in order: their bytes back to back in
 * `bytes` (transferred, not copied), and per message its direction, length and peer.
 */
export interface TrafficBatch {
  type: 'traffic';
  bytes: ArrayBuffer;
  /** Per message: 'i' or 'o', byte length, peer address, peer port (flattened). */
  meta: Array<string | number>;
}

export type FromWorker =
  | {
      type: 'started';
      control: { host: string; port: number };
      sipAddresses: Array<{ protocol: TransportProtocol; address: string; port: number }>;
    }
  | { type: 'failed'; error: WireError }
  | { type: 'reply'; req: number; ok: true; value: ReplyValue }
  | { type: 'reply'; req: number; ok: false; error: WireError }
  | TrafficBatch
  | {
      type: 'log';
      level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
      obj: Record<string, unknown>;
      msg?: string;
    };
