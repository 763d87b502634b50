/**
 * Runs drachtio-srf's own integration tests (node_modules/drachtio-srf/test, tape) against the
 * embedded server instead of its docker testbed.
 *
 * At run time it copies the package's test folder into a temporary directory (nothing of
 * drachtio-srf is kept in our repository), replaces only `sipp.js` with ./sipp-shim.ts (local sipp
 * on 127.0.0.1), rewrites the testbed's container names and 172.29.x.x addresses to local
 * `127.0.0.1:<port>` values (./testbed.ts), writes a `config` file whose `drachtio-sut`,
 * `drachtio-uas` and `drachtio-uac` entries point at embedded servers started with
 * `startSipServer`, starts the long-running sipp UAS peers of the testbed, and runs each tape
 * file in its own `node` process with NODE_ENV=test and a time limit, parsing the TAP output.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

import pino from 'pino';
import ts from 'typescript';

import { startSipServer, type SipServer } from '../../src';
import { freePorts, startSippUas, type SippPeer } from '../helpers/sipp';
import { parseTap } from './tap';
import {
  escapeAttributeBrackets,
  localiseAddresses,
  TESTBED_SERVERS,
  TESTBED_SIPP,
  unknownTestbedReferences,
  type ShimPeers,
  type TestbedServer,
} from './testbed';

/** The tape files of drachtio-srf 5.0.29 that talk to a server, plus the client-only ones. */
export const SRF_TAPE_FILES = [
  'uac.js',
  'uas.js',
  'b2b.js',
  'proxy.js',
  'refer.js',
  'reinvite-tests.js',
  'utils.js',
] as const;

/**
 * Tape files that cannot pass against any server as shipped. Neither is listed in the package's
 * own test/index.js, so upstream never runs them.
 */
export const SRF_CANNOT_PASS: ReadonlyArray<{ file: string; reason: string }> = [
  {
    file: 'subscribe.js',
    reason:
      'its app ends the subscription with one NOTIFY (dialog.destroy) while uac-subscribe.xml waits for two, so tape times out after 20 s; uas.js runs the same SUBSCRIBE flow with two NOTIFYs',
  },
  {
    file: 'parser.js',
    reason: 'client-only and never calls t.end(): tape reports "test exited without ending"',
  },
];

/** Parts of the package's test folder this runner does not run, and why. */
export const SRF_NOT_RUN: ReadonlyArray<{ file: string; reason: string }> = [
  {
    file: 'index.js',
    reason: 'aggregator that requires every file in one process; each file runs on its own instead',
  },
  {
    file: 'docker_start.js / docker_stop.js',
    reason: 'docker-compose up/down of the testbed; replaced by local peers',
  },
  {
    file: 'unit-tests/*',
    reason: 'client-only mocha tests (no server involved); mocha is not installed',
  },
  { file: 'benchmark/*', reason: 'separate package with its own dependencies; not a test' },
];

/** Per-file time limits (the tape files' own t.timeoutAfter plus a margin for start-up). */
const FILE_TIMEOUT_MS: Record<string, number> = {
  'uac.js': 110_000,
  'uas.js': 110_000,
  'b2b.js': 200_000,
  default: 90_000,
};

export function fileTimeoutMs(file: string): number {
  return FILE_TIMEOUT_MS[file] ?? (FILE_TIMEOUT_MS.default as number);
}

export interface TapFileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  /** Descriptions of the failed assertions (plus a line for a crash, time-out or missing plan). */
  failures: string[];
  /** The plan was printed and every assertion reported. */
  complete: boolean;
  exitCode: number | null;
  signal: string | null;
  /** Killed at the time limit before it finished. */
  timedOut: boolean;
  /** Finished its tests but did not exit within 5 s, so it was stopped. */
  lingered: boolean;
  durationMs: number;
  /** The end of stdout and stderr, kept when something failed. */
  outputTail?: string;
  /** Where this file's TAP output and server logs were written, when a log folder was given. */
  logs?: string[];
}

export interface SrfSuiteSummary {
  drachtioSrfVersion: string;
  startedAt: string;
  durationMs: number;
  totals: { passed: number; failed: number; filesPassed: number; filesFailed: number };
  files: TapFileResult[];
  notRun: ReadonlyArray<{ file: string; reason: string }>;
  /** Files that cannot pass as shipped (not counted above unless run explicitly). */
  cannotPass: ReadonlyArray<{ file: string; reason: string }>;
  /** Scenario files that had to be changed because they hard-code a testbed address. */
  patchedScenarios: Array<{ file: string; change: string }>;
  /** Testbed name or docker address → the local address used in this run. */
  addressTable: Record<string, string>;
}

export interface SrfSuiteOptions {
  /** Folder for TAP output and server logs (kept); default: none. */
  logDir?: string;
  /** Server log level when logDir is set; default 'debug'. */
  logLevel?: string;
  /** Called with progress lines. */
  progress?: (line: string) => void;
}

export interface SrfSuite extends AsyncDisposable {
  readonly dir: string;
  readonly addressTable: Record<string, string>;
  readonly patchedScenarios: Array<{ file: string; change: string }>;
  readonly drachtioSrfVersion: string;
  runFile(file: string): Promise<TapFileResult>;
  summarise(results: TapFileResult[], startedAt: Date): SrfSuiteSummary;
  dispose(): Promise<void>;
}

const SECRET = 'cymru';
const here = __dirname;
const repoRoot = join(here, '..', '..', '..', '..');
const srfRoot = dirname(require.resolve('drachtio-srf/package.json'));

interface ServerSlot {
  server: TestbedServer;
  sipPort: number;
  controlPort: number;
}

/** Transpiles one of our TypeScript files into the copied suite (CommonJS). */
async function emitJs(
  source: string,
  target: string,
  rewrite: (js: string) => string = (js) => js,
): Promise<void> {
  const text = await readFile(source, 'utf8');
  const out = ts.transpileModule(text, {
    fileName: source,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  await writeFile(target, rewrite(out.outputText));
}

async function listFiles(dir: string, ext: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path, ext)));
    else if (entry.name.endsWith(ext)) out.push(path);
  }
  return out;
}

/** Sets up the copied suite, the address table and the long-running sipp peers. */
export async function prepareSrfSuite(opts: SrfSuiteOptions = {}): Promise<SrfSuite> {
  const progress = opts.progress ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'srf-suite-'));
  const pkgDir = join(dir, 'drachtio-srf');
  const testDir = join(pkgDir, 'test');
  const configDir = join(dir, 'config');
  const peers: Map<string, SippPeer> = new Map();
  try {
    const drachtioSrfVersion = (
      JSON.parse(await readFile(join(srfRoot, 'package.json'), 'utf8')) as { version: string }
    ).version;
    await mkdir(configDir, { recursive: true });
    await cp(join(srfRoot, 'test'), testDir, {
      recursive: true,
      filter: (src) => !src.includes(`${join(srfRoot, 'test', 'benchmark')}`),
    });
    // `require('..')` in the tests and `require('../..')` in test/scripts reach the real package.
    await writeFile(
      join(pkgDir, 'index.js'),
      `module.exports = require(${JSON.stringify(srfRoot)});\n`,
    );

    // One address per testbed container and server, fixed for the whole run.
    const ports = await freePorts(TESTBED_SIPP.length + TESTBED_SERVERS.length * 2);
    const names = new Map<string, string>();
    const addresses = new Map<string, string>();
    const addressTable: Record<string, string> = {};
    TESTBED_SIPP.forEach((peer, i) => {
      const local = `127.0.0.1:${ports[i] as number}`;
      names.set(peer.name, local);
      addressTable[peer.name] = local;
      if (peer.dockerIp) {
        addresses.set(peer.dockerIp, local);
        addressTable[peer.dockerIp] = local;
      }
    });
    const slots: ServerSlot[] = TESTBED_SERVERS.map((server, i) => {
      const sipPort = ports[TESTBED_SIPP.length + i * 2] as number;
      const controlPort = ports[TESTBED_SIPP.length + i * 2 + 1] as number;
      addressTable[`${server.configKey} (sip)`] = `127.0.0.1:${sipPort}`;
      addressTable[`${server.configKey} (control)`] = `127.0.0.1:${controlPort}`;
      if (server.dockerIp) {
        addresses.set(server.dockerIp, `127.0.0.1:${sipPort}`);
        addressTable[server.dockerIp] = `127.0.0.1:${sipPort}`;
      }
      return { server, sipPort, controlPort };
    });

    // Rewrite the test files (JS) and, where they hard-code an address, the scenarios.
    const unknown: string[] = [];
    for (const file of await listFiles(testDir, '.js')) {
      if (basename(file) === 'sipp.js' && dirname(file) === testDir) continue;
      const text = await readFile(file, 'utf8');
      unknown.push(
        ...unknownTestbedReferences(text, names, addresses).map((ref) => `${ref} in ${file}`),
      );
      const localised = localiseAddresses(text, names, addresses);
      if (localised !== text) await writeFile(file, localised);
    }
    const patchedScenarios: Array<{ file: string; change: string }> = [];
    for (const file of await listFiles(join(testDir, 'scenarios'), '.xml')) {
      const text = await readFile(file, 'latin1');
      unknown.push(
        ...unknownTestbedReferences(text, names, addresses).map((ref) => `${ref} in ${file}`),
      );
      const localised = localiseAddresses(text, new Map(), addresses);
      const escaped = escapeAttributeBrackets(localised);
      if (escaped !== text) {
        await writeFile(file, escaped, 'latin1');
        const changes = [...addresses.keys()]
          .filter((ip) => text.includes(ip))
          .map((ip) => `hard-coded ${ip} → ${addresses.get(ip) as string}`);
        if (escaped !== localised)
          changes.push('`<`/`>` in attribute values escaped (sipp 3.6.1 rejects them)');
        patchedScenarios.push({
          file: `test/scenarios/${basename(file)}`,
          change: changes.join('; '),
        });
      }
    }
    if (unknown.length > 0) {
      throw new Error(
        `testbed references missing from testbed.ts:\n${[...new Set(unknown)].join('\n')}`,
      );
    }

    // Our sipp.js: the shim plus a copy of our sipp helper it imports.
    await emitJs(join(here, '..', 'helpers', 'sipp.ts'), join(testDir, 'local-sipp-helper.js'));
    await emitJs(join(here, 'sipp-shim.ts'), join(testDir, 'sipp.js'), (js) =>
      js.replace(/require\((["'])\.\.\/helpers\/sipp\1\)/g, "require('./local-sipp-helper')"),
    );

    // The testbed's long-running UAS containers become long-running local sipp processes.
    const scenarioDir = join(testDir, 'scenarios');
    const startPeer = async (name: string): Promise<void> => {
      const peer = TESTBED_SIPP.find((p) => p.name === name);
      if (!peer?.scenario) return;
      const [host, port] = (names.get(name) as string).split(':');
      peers.set(
        name,
        await startSippUas({
          scenario: join(scenarioDir, peer.scenario),
          localIp: host,
          localPort: Number(port),
          calls: 'unlimited',
          timeoutMs: 60 * 60_000,
        }),
      );
    };
    const exited = new Set<string>();
    const watch = (name: string): void => {
      void peers.get(name)?.done.then(() => exited.add(name));
    };
    for (const peer of TESTBED_SIPP) {
      if (!peer.scenario) continue;
      await startPeer(peer.name);
      watch(peer.name);
    }
    progress(`srf suite prepared in ${dir}; ${peers.size} sipp peers running`);

    const logDir = opts.logDir;
    if (logDir) await mkdir(logDir, { recursive: true });

    const runFile = async (file: string): Promise<TapFileResult> => {
      // A peer that died during an earlier file is restarted, so files stay independent.
      for (const name of exited) {
        exited.delete(name);
        await startPeer(name);
        watch(name);
      }
      const source = await readFile(join(testDir, file), 'utf8');
      const scriptText = await Promise.all(
        [...source.matchAll(/require\('\.\/scripts\/([\w-]+)(?:\.js)?'\)/g)].map((m) =>
          readFile(join(testDir, 'scripts', `${m[1] as string}.js`), 'utf8'),
        ),
      );
      const allText = [source, ...scriptText].join('\n');
      // Files that never connect (utils.js, parser.js) get no server.
      const needsServer = (key: TestbedServer['configKey']): boolean =>
        allText.includes(`'${key}'`) || (key === 'drachtio-sut' && allText.includes('sippUac('));
      const logs: string[] = [];
      const servers: SipServer[] = [];
      let routedServer: Server | undefined;
      const destinations: Array<{ end(): void }> = [];
      const started = Date.now();
      try {
        for (const slot of slots) {
          if (!needsServer(slot.server.configKey)) continue;
          const logFile = logDir ? join(logDir, `${file}.${slot.server.configKey}.log`) : undefined;
          if (logFile) logs.push(logFile);
          let logger = pino({ level: 'silent' });
          if (logFile) {
            const destination = pino.destination({ dest: logFile, sync: true });
            destinations.push(destination);
            logger = pino({ level: opts.logLevel ?? 'debug' }, destination);
          }
          servers.push(
            await startSipServer({
              sip: { host: '127.0.0.1', port: slot.sipPort, protocols: ['udp', 'tcp'] },
              control: { host: '127.0.0.1', port: slot.controlPort, secret: SECRET },
              logger,
            }),
          );
        }
        await writeFile(join(configDir, 'test.json'), JSON.stringify(suiteConfig(slots), null, 2));
        const sutSlot = slots.find((s) => s.server.configKey === 'drachtio-sut') as ServerSlot;
        const sut = needsServer('drachtio-sut') ? servers[0] : undefined;
        if (sut) routedServer = await startRoutedEndpoint(sut);
        const routedAddress = routedServer?.address();
        const shimPeers: ShimPeers = {
          sut: `127.0.0.1:${sutSlot.sipPort}`,
          scenarioDir,
          named: Object.fromEntries(names),
          timeoutMs: 60_000,
          ...(routedAddress && typeof routedAddress === 'object'
            ? { routedUrl: `http://127.0.0.1:${routedAddress.port}/routed` }
            : {}),
        };
        progress(`running ${file}`);
        const run = await runTapFile(join(testDir, file), testDir, fileTimeoutMs(file), {
          NODE_ENV: 'test',
          NODE_CONFIG_DIR: configDir,
          SUPPRESS_NO_CONFIG_WARNING: '1',
          NODE_PATH: join(repoRoot, 'node_modules'),
          SRF_SUITE_PEERS: JSON.stringify(shimPeers),
        });
        if (logDir) {
          const tapFile = join(logDir, `${file}.tap`);
          await writeFile(tapFile, `${run.stdout}\n--- stderr ---\n${run.stderr}`);
          logs.push(tapFile);
        }
        const tap = parseTap(run.stdout);
        const failures = [...tap.failures];
        if (run.timedOut) failures.push(`killed after ${fileTimeoutMs(file)} ms without finishing`);
        else if (!tap.complete)
          failures.push(
            `no complete TAP plan (exit ${String(run.exitCode)}, signal ${String(run.signal)})`,
          );
        const failed = tap.failed + (failures.length > tap.failures.length ? 1 : 0);
        const result: TapFileResult = {
          file,
          passed: tap.passed,
          failed,
          skipped: tap.skipped,
          failures,
          complete: tap.complete,
          exitCode: run.exitCode,
          signal: run.signal,
          timedOut: run.timedOut,
          lingered: run.lingered,
          durationMs: Date.now() - started,
          ...(logs.length ? { logs } : {}),
        };
        if (failed > 0 || tap.passed === 0) {
          result.outputTail = tail(`${run.stdout}\n--- stderr ---\n${run.stderr}`, 120);
        }
        progress(`${file}: ${tap.passed} passed, ${failed} failed`);
        return result;
      } finally {
        if (routedServer) await new Promise((done) => routedServer?.close(done));
        for (const server of servers.reverse()) await server.stop().catch(() => undefined);
        for (const destination of destinations) destination.end();
      }
    };

    const dispose = async (): Promise<void> => {
      await Promise.all([...peers.values()].map((peer) => peer.stop()));
      peers.clear();
      await rm(dir, { recursive: true, force: true });
    };

    return {
      dir,
      addressTable,
      patchedScenarios,
      drachtioSrfVersion,
      runFile,
      dispose,
      [Symbol.asyncDispose]: dispose,
      summarise: (results, startedAt) => ({
        drachtioSrfVersion,
        startedAt: startedAt.toISOString(),
        durationMs: Date.now() - startedAt.getTime(),
        totals: {
          passed: results.reduce((n, r) => n + r.passed, 0),
          failed: results.reduce((n, r) => n + r.failed, 0),
          filesPassed: results.filter((r) => fileSucceeded(r)).length,
          filesFailed: results.filter((r) => !fileSucceeded(r)).length,
        },
        files: results,
        notRun: SRF_NOT_RUN,
        cannotPass: SRF_CANNOT_PASS,
        patchedScenarios,
        addressTable,
      }),
    };
  } catch (err) {
    await Promise.all([...peers.values()].map((peer) => peer.stop()));
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A file passed when every assertion passed, the plan completed and it was not killed early. */
export function fileSucceeded(result: TapFileResult): boolean {
  return result.failed === 0 && result.passed > 0 && result.complete && !result.timedOut;
}

/** The `config` file the suite reads (NODE_CONFIG_DIR/test.json), pointing at our servers. */
function suiteConfig(slots: ServerSlot[]): Record<string, unknown> {
  const entry = (key: TestbedServer['configKey']): Record<string, unknown> => {
    const slot = slots.find((s) => s.server.configKey === key) as ServerSlot;
    return { host: '127.0.0.1', port: slot.controlPort, secret: SECRET };
  };
  return {
    logger: { level: 'fatal' },
    'drachtio-uac': entry('drachtio-uac'),
    'drachtio-sut': { ...entry('drachtio-sut'), enablePing: true, pingInterval: 5000 },
    'drachtio-uas': entry('drachtio-uas'),
  };
}

interface ChildRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  lingered: boolean;
}

/**
 * Runs one tape file in its own process group (so the sipp processes it starts go with it) and
 * stops the group at the time limit, or 5 s after tape printed its closing summary.
 */
function runTapFile(
  file: string,
  cwd: string,
  timeoutMs: number,
  env: Record<string, string>,
): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let lingered = false;
    let lingerTimer: NodeJS.Timeout | undefined;
    const stopGroup = (): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 2_000).unref();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      // tape prints "# ok" or "# fail N" once every test has ended.
      if (!lingerTimer && /^# (ok|fail\s+\d+)\s*$/m.test(stdout)) {
        lingerTimer = setTimeout(() => {
          lingered = true;
          stopGroup();
        }, 5_000);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const limit = setTimeout(() => {
      timedOut = true;
      stopGroup();
    }, timeoutMs);
    child.once('close', (exitCode, signal) => {
      clearTimeout(limit);
      if (lingerTimer) clearTimeout(lingerTimer);
      // Anything left in the group (a sipp the test started) goes too.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Nothing left.
      }
      resolve({ stdout, stderr, exitCode, signal, timedOut, lingered });
    });
  });
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Runs every file in order and returns the summary. */
export async function runSrfSuite(
  opts: SrfSuiteOptions & { files?: readonly string[] } = {},
): Promise<SrfSuiteSummary> {
  const startedAt = new Date();
  const suite = await prepareSrfSuite(opts);
  try {
    const results: TapFileResult[] = [];
    for (const file of opts.files ?? SRF_TAPE_FILES) results.push(await suite.runFile(file));
    return suite.summarise(results, startedAt);
  } finally {
    await suite.dispose();
  }
}

/** A short plain-text table of a summary, for the README or a closing note. */
export function formatSrfSummary(summary: SrfSuiteSummary): string {
  const rows = summary.files.map((r) => {
    const status = fileSucceeded(r) ? 'pass' : 'FAIL';
    const notes = [r.timedOut ? 'timed out' : '', r.lingered ? 'did not exit by itself' : '']
      .filter(Boolean)
      .join(', ');
    return `| ${r.file} | ${status} | ${r.passed} | ${r.failed} | ${r.failures.join('; ')}${notes ? ` (${notes})` : ''} |`;
  });
  return [
    `drachtio-srf ${summary.drachtioSrfVersion} test suite against the embedded server: ` +
      `${summary.totals.passed} assertions passed, ${summary.totals.failed} failed ` +
      `(${summary.totals.filesPassed}/${summary.files.length} files pass)`,
    '',
    '| file | result | passed | failed | failing assertions |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    ...summary.patchedScenarios.map((p) => `patched scenario ${p.file}: ${p.change}`),
    ...summary.cannotPass.map((n) => `cannot pass: ${n.file}: ${n.reason}`),
    ...summary.notRun.map((n) => `not run: ${n.file}: ${n.reason}`),
  ].join('\n');
}

/**
 * `GET /routed?method=<verb>&within=<ms>` answers 200 once an application connected to `sut`
 * routes that verb, 504 if none does in time. The sipp shim asks it before each UAC scenario:
 * a test starts its application and sipp together, and drachtio-srf's own suite relies on sipp's
 * 250 ms start-up pause for the application to connect and route, which a busy machine can
 * outlast (the request is then answered 503: nothing routes it).
 */
function startRoutedEndpoint(sut: SipServer): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (url.searchParams.get('method') ?? '').toLowerCase();
    const within = Math.min(Number(url.searchParams.get('within')) || 3000, 10_000);
    if (url.pathname !== '/routed' || !/^[a-z]+$/.test(method)) {
      res.writeHead(400).end();
      return;
    }
    sut.whenRouted([method], within).then(
      () => res.writeHead(200).end(),
      () => res.writeHead(504).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
