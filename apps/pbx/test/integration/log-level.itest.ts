/**
 * `pbx config set log.level` takes effect in the running PBX (and after a restart), not only the
 * LOG_LEVEL variable: debug lines from the PBX's modules and its SIP server appear once the
 * change is applied. Logs are captured through a pino destination stream.
 */
import pino from 'pino';
import { run as runCli } from '../../../cli/src/main';
import { expectSippSuccess, runSipp, scenario } from '../helpers/sipp';
import { startTestPbx, type TestPbx } from '../helpers/start-test-pbx';

jest.setTimeout(90_000);

interface LogLine {
  level: number;
  msg?: string;
  component?: string;
}

function capture(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  );
  return { logger, lines };
}

async function cli(pbx: TestPbx, ...argv: string[]): Promise<number> {
  return runCli(['--db', pbx.dbPath, ...argv], {
    stdout: { write: () => true },
    stderr: { write: () => true },
    env: {},
  });
}

async function options(pbx: TestPbx): Promise<void> {
  expectSippSuccess(
    await runSipp({
      scenario: scenario('uac-options-expect-200.xml'),
      target: pbx.target,
      timeoutMs: 10_000,
    }),
    'OPTIONS',
  );
}

const DEBUG = 20;

test('`pbx config set log.level debug` turns on debug lines in the running PBX, and they stay on after a restart', async () => {
  const first = capture();
  const pbx = await startTestPbx({ logger: first.logger });
  let dataDir: string | undefined;
  try {
    dataDir = pbx.dataDir;
    await options(pbx);
    expect(first.lines.filter((l) => l.level === DEBUG)).toEqual([]);

    expect(await cli(pbx, 'config', 'set', 'log.level', 'debug')).toBe(0);
    await pbx.changeApplied('config');
    const before = first.lines.length;
    await options(pbx);
    // The SIP server's transaction layer logs at debug through a child of the PBX's logger.
    const debug = first.lines.slice(before).filter((l) => l.level === DEBUG);
    expect(debug.length).toBeGreaterThan(0);
    expect(debug.some((l) => l.component === 'transaction')).toBe(true);

    expect(await cli(pbx, 'config', 'set', 'log.level', 'warn')).toBe(0);
    await pbx.changeApplied('config');
    const quiet = first.lines.length;
    await options(pbx);
    expect(first.lines.slice(quiet).filter((l) => l.level < 40)).toEqual([]);
    expect(await cli(pbx, 'config', 'set', 'log.level', 'debug')).toBe(0);
    await pbx.changeApplied('config');
  } finally {
    await pbx.stop();
  }

  // A restart on the same database starts at the stored level.
  const second = capture();
  const again = await startTestPbx({ dataDir, logger: second.logger });
  try {
    await options(again);
    expect(second.lines.filter((l) => l.level === DEBUG).length).toBeGreaterThan(0);
  } finally {
    await again[Symbol.asyncDispose]();
    const { rm } = await import('node:fs/promises');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
});
