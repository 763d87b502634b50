/**
 * Runs the real `sipp` binary (Debian `sip-tester`) as a SIP peer on loopback.
 *
 * Every run gets `-i/-mi <localIp> -nostdin -timeout <s>s -timeout_error -trace_err` and its own
 * temporary directory (error file, optional message file, anything else sipp writes), removed
 * when the run ends. A run that outlives its time limit is killed by PID; nothing else is touched.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** sipp transport modes we use: UDP or TCP, one socket each. */
export type SippTransport = 'u1' | 't1';

export interface SippOptions {
  /** Path to an XML scenario, or the name of a built-in one (`uac`, `uas`, ...). */
  scenario: string;
  /** Remote `host:port` (omit for a UAS waiting for calls). */
  target?: string;
  /** Local SIP port; default: a port found free for the transport. */
  localPort?: number;
  /** Local address for SIP and media; default 127.0.0.1. */
  localIp?: string;
  transport?: SippTransport;
  /** `-s`: the user part of the Request-URI (`[service]`), default sipp's `service`. */
  service?: string;
  /** `-m`: calls to complete before exiting; default 1. 'unlimited' serves calls until stopped. */
  calls?: number | 'unlimited';
  /** `-r`: calls per second. */
  rate?: number;
  extraArgs?: readonly string[];
  /** Default 20 000 ms; sipp gets `-timeout` and is killed 5 s after that if still alive. */
  timeoutMs?: number;
  /** `-key name value` pairs, read in scenarios as `[name]`. */
  keys?: Readonly<Record<string, string>>;
  /** `-inf` CSV injection file. */
  injectionFile?: string;
  /** Also record every message sent and received (`-trace_msg`) into `result.messages`. */
  traceMessages?: boolean;
  /** Working directory for relative scenario paths; default process.cwd(). */
  cwd?: string;
}

export interface SippResult {
  /** sipp's exit status (0: every call succeeded), or null when it died from a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when we killed it (time limit or `stop()`). */
  killed: boolean;
  stdout: string;
  stderr: string;
  /** Content of the `-trace_err` file (empty when sipp saw no error). */
  errors: string;
  /** Content of the `-trace_msg` file, when `traceMessages` was set. */
  messages?: string;
  /** The argument list sipp was started with. */
  args: string[];
  localPort: number;
}

/** A sipp peer running in the background, typically a UAS waiting for calls. */
export interface SippPeer extends AsyncDisposable {
  readonly port: number;
  readonly pid: number;
  /** Settles when sipp exits (never rejects). */
  readonly done: Promise<SippResult>;
  /** Terminates sipp (SIGTERM, SIGKILL after 2 s) and waits for its result. */
  stop(): Promise<SippResult>;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const KILL_GRACE_MS = 5_000;
const OUTPUT_LIMIT = 256 * 1024;
const BUILT_IN = /^[a-z0-9_-]+$/i;

/** Whether `port` can be bound on `host` for the protocol right now. */
export async function canBind(
  protocol: 'udp' | 'tcp',
  port: number,
  host = '127.0.0.1',
): Promise<boolean> {
  if (protocol === 'tcp') {
    return new Promise((done) => {
      const server = net.createServer();
      server.once('error', () => done(false));
      server.listen({ port, host, exclusive: true }, () => server.close(() => done(true)));
    });
  }
  return new Promise((done) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    socket.once('error', () => {
      socket.close();
      done(false);
    });
    socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => done(true)));
  });
}

async function bindAny(protocol: 'udp' | 'tcp', host: string): Promise<number> {
  if (protocol === 'tcp') {
    return new Promise((done, fail) => {
      const server = net.createServer();
      server.once('error', fail);
      server.listen({ port: 0, host, exclusive: true }, () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => done(port));
      });
    });
  }
  return new Promise((done, fail) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', fail);
    socket.bind({ port: 0, address: host, exclusive: true }, () => {
      const { port } = socket.address();
      socket.close(() => done(port));
    });
  });
}

/**
 * A port that is free on `host` for `protocol` ('both': free for UDP and TCP alike), found by
 * binding port 0 and checking the other protocol. Tries at most 50 candidates.
 */
export async function freePort(
  protocol: 'udp' | 'tcp' | 'both' = 'both',
  host = '127.0.0.1',
): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = protocol === 'tcp' ? 'tcp' : 'udp';
    const port = await bindAny(first, host);
    if (protocol !== 'both' || (await canBind('tcp', port, host))) return port;
  }
  throw new Error(`no free ${protocol} port found on ${host}`);
}

/** Several distinct free ports at once (each free for UDP and TCP). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count && attempt < count * 20; attempt++) {
    ports.add(await freePort('both', host));
  }
  if (ports.size < count) throw new Error(`found only ${ports.size} of ${count} free ports`);
  return [...ports];
}

function buildArgs(
  opts: SippOptions,
  localPort: number,
  errorFile: string,
  messageFile: string | undefined,
): string[] {
  const localIp = opts.localIp ?? '127.0.0.1';
  const timeoutS = Math.max(1, Math.ceil((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000));
  const args: string[] = [];
  const looksLikeFile = !BUILT_IN.test(opts.scenario) || opts.scenario.endsWith('.xml');
  if (looksLikeFile) {
    const base = opts.cwd ?? process.cwd();
    args.push('-sf', isAbsolute(opts.scenario) ? opts.scenario : resolve(base, opts.scenario));
  } else {
    args.push('-sn', opts.scenario);
  }
  if (opts.target !== undefined) args.push(opts.target);
  args.push('-i', localIp, '-mi', localIp, '-p', String(localPort));
  args.push('-t', opts.transport ?? 'u1');
  if (opts.calls !== 'unlimited') args.push('-m', String(opts.calls ?? 1));
  if (opts.service !== undefined) args.push('-s', opts.service);
  if (opts.rate !== undefined) args.push('-r', String(opts.rate));
  args.push('-nostdin', '-timeout', `${timeoutS}s`, '-timeout_error');
  args.push('-trace_err', '-error_file', errorFile);
  if (messageFile !== undefined) args.push('-trace_msg', '-message_file', messageFile);
  if (opts.injectionFile !== undefined)
    args.push('-inf', resolve(opts.cwd ?? process.cwd(), opts.injectionFile));
  for (const [key, value] of Object.entries(opts.keys ?? {})) args.push('-key', key, value);
  args.push(...(opts.extraArgs ?? []));
  return args;
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'latin1');
  } catch {
    return '';
  }
}

function appendCapped(current: string, chunk: Buffer): string {
  const next = current + chunk.toString('latin1');
  return next.length > OUTPUT_LIMIT ? next.slice(next.length - OUTPUT_LIMIT) : next;
}

interface Launched {
  pid: number;
  localPort: number;
  done: Promise<SippResult>;
  kill(): void;
}

async function launch(opts: SippOptions): Promise<Launched> {
  const protocol = opts.transport === 't1' ? 'tcp' : 'udp';
  const localIp = opts.localIp ?? '127.0.0.1';
  const localPort = opts.localPort ?? (await freePort(protocol, localIp));
  const dir = await mkdtemp(join(tmpdir(), 'sipp-'));
  const errorFile = join(dir, 'errors.log');
  const messageFile = opts.traceMessages ? join(dir, 'messages.log') : undefined;
  const args = buildArgs(opts, localPort, errorFile, messageFile);
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout = appendCapped(stdout, chunk)));
  child.stderr.on('data', (chunk: Buffer) => (stderr = appendCapped(stderr, chunk)));

  const kill = (): void => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    killed = true;
    child.kill('SIGTERM');
    const hard = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, 2_000);
    hard.unref();
  };
  const limit = setTimeout(kill, (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) + KILL_GRACE_MS);

  const done = new Promise<SippResult>((settle) => {
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    child.once('close', (code, signal) => {
      clearTimeout(limit);
      void (async () => {
        const errors = await readOptional(errorFile);
        const messages = messageFile === undefined ? undefined : await readOptional(messageFile);
        await rm(dir, { recursive: true, force: true });
        settle({
          code: spawnError ? -1 : code,
          signal,
          killed,
          stdout,
          stderr: spawnError ? `${stderr}\nspawn failed: ${spawnError.message}` : stderr,
          errors,
          ...(messages === undefined ? {} : { messages }),
          args,
          localPort,
        });
      })();
    });
  });
  return { pid: child.pid ?? -1, localPort, done, kill };
}

/** Runs sipp to completion and returns what it did. Never rejects for a failed scenario. */
export async function runSipp(opts: SippOptions): Promise<SippResult> {
  const launched = await launch(opts);
  return launched.done;
}

/** Whether some process listens on `port` (TCP LISTEN / bound UDP), read from /proc/net without touching it. */
async function isListening(protocol: 'udp' | 'tcp', port: number): Promise<boolean> {
  const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const file of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    const table = await readOptional(file);
    for (const line of table.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local?.endsWith(portHex) && (protocol === 'udp' || state === '0A')) return true;
    }
  }
  return false;
}

async function waitUntilListening(
  protocol: 'udp' | 'tcp',
  port: number,
  exited: () => boolean,
  withinMs: number,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline && !exited()) {
    if (await isListening(protocol, port)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/**
 * Starts sipp in the background (usually a UAS scenario waiting for calls) and resolves once it
 * has bound its SIP port, so a call placed right after cannot arrive too early.
 */
export async function startSippUas(opts: SippOptions): Promise<SippPeer> {
  const protocol = opts.transport === 't1' ? 'tcp' : 'udp';
  const host = opts.localIp ?? '127.0.0.1';
  const launched = await launch(opts);
  let exited = false;
  const done = launched.done.then((result) => {
    exited = true;
    return result;
  });
  const bound = await waitUntilListening(protocol, launched.localPort, () => exited, 5_000);
  if (!bound) {
    launched.kill();
    const result = await done;
    throw new Error(
      `sipp did not listen on ${protocol} ${host}:${launched.localPort}\n${describeSippResult(result)}`,
    );
  }
  const stop = async (): Promise<SippResult> => {
    launched.kill();
    return done;
  };
  return {
    port: launched.localPort,
    pid: launched.pid,
    done,
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}

/** A readable account of a run for assertion messages: exit status, error trace, output tail. */
export function describeSippResult(result: SippResult): string {
  const tail = (text: string, lines: number): string => text.split('\n').slice(-lines).join('\n');
  return [
    `sipp ${result.args.join(' ')}`,
    `exit code ${String(result.code)}${result.signal ? ` (signal ${result.signal})` : ''}${result.killed ? ' (killed)' : ''}`,
    result.errors.trim() ? `error trace:\n${result.errors.trim()}` : 'error trace: (empty)',
    result.stderr.trim() ? `stderr:\n${tail(result.stderr.trim(), 20)}` : '',
    result.stdout.trim() ? `stdout (end):\n${tail(result.stdout.trimEnd(), 15)}` : '',
    result.messages ? `messages:\n${tail(result.messages, 200)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** Throws with the full account unless sipp exited 0 on its own. */
export function expectSippSuccess(result: SippResult, what = 'sipp scenario'): void {
  if (result.code !== 0 || result.killed) {
    throw new Error(`${what} failed\n${describeSippResult(result)}`);
  }
}
