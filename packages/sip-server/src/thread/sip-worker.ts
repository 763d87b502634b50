/**
 * The SIP server's worker entry: the whole embedded server (sockets, parsing, transactions,
 * timers, the drachtio control listener) on a thread of its own, so its work runs on the second
 * core while the PBX's thread runs drachtio-srf and call control. drachtio-srf still connects to
 * the control listener over TCP exactly as before. Commands come as `ToWorker` messages; the
 * worker answers with `FromWorker` messages (see protocol.ts).
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import pino from 'pino';
import type { Logger } from '../logger';
import { startSipServer, type SipServer } from '../server';
import type {
  FromWorker,
  ReplyValue,
  ToWorker,
  WireError,
  WorkerInit,
  WorkerLogTarget,
} from './protocol';
import { TrafficBatcher } from './traffic-batcher';

/**
 * How long SIP trace messages are collected before they go to the PBX's thread as one batch: the
 * trace and the message counters it feeds lag at most this much.
 */
const TRACE_BATCH_MS = 20;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];
const levelIndex = (level: string): number =>
  level === 'silent' ? LEVELS.length : Math.max(0, LEVELS.indexOf(level as Level));

/** Turns values a structured clone would lose (Error objects) into plain data. */
function plain(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj))
    out[k] =
      v instanceof Error
        ? { type: v.name, message: v.message, stack: v.stack }
        : typeof v === 'bigint' || typeof v === 'function'
          ? String(v)
          : v;
  return out;
}

/** A logger posting each line (at or above the shared minimum level) to the PBX's thread. */
function postingLogger(
  port: MessagePort,
  min: { index: number },
  bindings: Record<string, unknown>,
): Logger {
  const at =
    (level: Level) =>
    (obj: object | string, msg?: string): void => {
      if (LEVELS.indexOf(level) < min.index) return;
      const ev: FromWorker =
        typeof obj === 'string'
          ? { type: 'log', level, obj: { ...bindings }, msg: obj }
          : {
              type: 'log',
              level,
              obj: { ...bindings, ...plain(obj as Record<string, unknown>) },
              msg,
            };
      try {
        port.postMessage(ev);
      } catch {
        // A value that cannot be cloned: the line is dropped, not the server.
      }
    };
  return {
    child: (more) => postingLogger(port, min, { ...bindings, ...more }),
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    isLevelEnabled: (level) => levelIndex(level) >= min.index,
  };
}

/** The worker's logger and how to change its level later. */
function makeLogger(
  port: MessagePort,
  target: WorkerLogTarget,
): { log: Logger; setLevel(level: string): void } {
  if (target.to === 'stdout') {
    // Same destination as the PBX's own pino logger (fd 1, written synchronously), same redaction.
    const log = pino(
      {
        level: target.level,
        ...(target.redact ? { redact: { paths: target.redact, censor: '***' } } : {}),
      },
      pino.destination({ dest: 1, sync: true }),
    );
    return { log, setLevel: (level) => (log.level = level) };
  }
  const min = { index: levelIndex(target.level) };
  return {
    log: postingLogger(port, min, {}),
    setLevel: (level) => (min.index = levelIndex(level)),
  };
}

function wireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as Error & { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
}

async function run(port: MessagePort, init: WorkerInit): Promise<void> {
  const post = (ev: FromWorker, transfer?: ArrayBuffer[]): void =>
    port.postMessage(ev, transfer ?? []);
  const logging = makeLogger(port, init.log);
  let server: SipServer;
  try {
    server = await startSipServer({ ...init.options, logger: logging.log });
  } catch (err) {
    post({ type: 'failed', error: wireError(err) });
    port.close();
    return;
  }
  const traffic = new TrafficBatcher((batch) => post(batch, [batch.bytes]), TRACE_BATCH_MS);
  let stopTrace: (() => void) | undefined;
  const reply = (req: number, work: () => ReplyValue | Promise<ReplyValue>): void => {
    Promise.resolve()
      .then(work)
      .then(
        (value) => post({ type: 'reply', req, ok: true, value }),
        (err: unknown) => post({ type: 'reply', req, ok: false, error: wireError(err) }),
      );
  };
  port.on('message', (cmd: ToWorker) => {
    switch (cmd.op) {
      case 'stats':
        reply(cmd.req, () => ({ ...server.stats(), workerHeapUsed: heapUsed(cmd.gc === true) }));
        break;
      case 'reloadTls':
        reply(cmd.req, () => {
          server.reloadTls(cmd.credentials);
          return undefined;
        });
        break;
      case 'whenRouted':
        reply(cmd.req, () => server.whenRouted(cmd.verbs, cmd.withinMs).then(() => undefined));
        break;
      case 'blocks':
        server.updateBlockedSources(cmd.update);
        break;
      case 'trace':
        if (cmd.on)
          stopTrace ??= server.onTraffic((dir, data, peer) => traffic.add(dir, data, peer));
        else {
          stopTrace?.();
          stopTrace = undefined;
          traffic.flush();
        }
        break;
      case 'flushTraffic':
        // The batch is posted before the reply, on the same port: it arrives first.
        traffic.flush();
        reply(cmd.req, () => undefined);
        break;
      case 'logLevel':
        logging.setLevel(cmd.level);
        break;
      case 'stop':
        stopTrace?.();
        reply(cmd.req, () =>
          server.stop().then(() => {
            traffic.flush();
            // Nothing keeps the thread alive once the port is closed: the worker exits.
            setImmediate(() => port.close());
            return undefined;
          }),
        );
        break;
      default:
        assertNever(cmd);
    }
  });
  post({ type: 'started', control: server.control, sipAddresses: server.sipAddresses });
}

function assertNever(x: never): never {
  throw new Error(`unexpected command ${JSON.stringify(x)}`);
}

if (parentPort) void run(parentPort, workerData as WorkerInit);

/** This thread's heap in use; after two full collections when `gc` (needs --expose-gc). */
function heapUsed(gc: boolean): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (gc && collect) {
    collect();
    collect();
  }
  return getHeapStatistics().used_heap_size;
}
