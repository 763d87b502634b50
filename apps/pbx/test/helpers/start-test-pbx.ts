/**
 * Starts the real PBX (embedded SIP server, drachtio-srf, modules) for an integration test: a
 * temporary data directory with the database in it, SIP on 127.0.0.1, free ports, a silent
 * logger unless PBX_TEST_LOG is set (then its value is the pino level). `stop()` stops the PBX
 * and keeps the directory (restart tests start another PBX on it); `await using` (dispose) stops
 * it and removes the directory it created.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { PbxConfig } from '@pbx/config';
import type { ChangeArea } from '@pbx/store';
import { startPbx, type RunningPbx } from '../../src/pbx';
import { freePort } from './sipp';

export interface TestPbxOptions {
  /** Changes to the configuration after it is loaded (timers, licence, ...). */
  overrides?: (config: PbxConfig) => void;
  /** Reuse this data directory (a restart); it is then left in place on dispose. */
  dataDir?: string;
  /** Extra environment (PBX_DOMAIN, ...). */
  env?: Record<string, string>;
  /** The PBX's logger (default: silent unless PBX_TEST_LOG is set). */
  logger?: pino.Logger;
}

export interface TestPbx extends RunningPbx {
  dataDir: string;
  dbPath: string;
  /** `host:port` for sipp. */
  target: string;
  /**
   * Resolves once every write to `area` made so far is live in the PBX (its change watcher saw
   * it and the modules reloaded); rejects after `withinMs`.
   */
  changeApplied(area: ChangeArea, withinMs?: number): Promise<void>;
}

function testLogger(): pino.Logger {
  const level = process.env.PBX_TEST_LOG;
  const opts = { level: level ? (level === '1' || level === 'true' ? 'debug' : level) : 'silent' };
  // PBX_TEST_LOG_FILE: the log goes to that file instead of jest's output (long runs).
  const file = process.env.PBX_TEST_LOG_FILE;
  return file ? pino(opts, pino.destination({ dest: file, sync: true })) : pino(opts);
}

export async function startTestPbx(opts: TestPbxOptions = {}): Promise<TestPbx> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'pbx-test-')));
  const dbPath = path.join(dataDir, 'pbx.sqlite');
  let lastErr: unknown;
  // The SIP server binds UDP and TCP on the port it is given, each on its own when that is 0;
  // so take a port free for both, and try another if someone grabs it meanwhile.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort('both', '127.0.0.1');
    try {
      const pbx = await startPbx({
        env: {
          PBX_DB: dbPath,
          PBX_SIP_HOST: '127.0.0.1',
          PBX_SIP_PORT: String(port),
          // PBX_SIP_THREAD=worker|main chooses where the test PBXs' SIP server runs (default: main).
          ...(process.env.PBX_SIP_THREAD ? { PBX_SIP_THREAD: process.env.PBX_SIP_THREAD } : {}),
          ...opts.env,
        },
        overrides: (c) => {
          c.control.host = '127.0.0.1';
          c.control.port = 0;
          c.media.sipPort = 0;
          c.media.eslPort = 0;
          c.http.port = 0;
          opts.overrides?.(c);
        },
        logger: opts.logger ?? testLogger(),
      });
      const dispose = async (): Promise<void> => {
        await pbx.stop();
        if (ownDir) await rm(dataDir, { recursive: true, force: true });
      };
      const changeApplied = async (area: ChangeArea, withinMs?: number): Promise<void> => {
        const counter = (await pbx.ctx.store.changes.counters())[area] ?? 0;
        await pbx.changes.waitFor(area, counter, withinMs);
      };
      return {
        ...pbx,
        changeApplied,
        dataDir,
        dbPath,
        target: `${pbx.sip.host}:${pbx.sip.port}`,
        [Symbol.asyncDispose]: dispose,
      };
    } catch (err) {
      lastErr = err;
    }
  }
  if (ownDir) await rm(dataDir, { recursive: true, force: true });
  throw lastErr;
}
