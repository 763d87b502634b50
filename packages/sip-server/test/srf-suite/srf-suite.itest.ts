/**
 * drachtio-srf's own integration tests (tape) against the embedded server: one jest test per
 * tape file. The machine-readable summary is written to $SRF_SUITE_SUMMARY (default
 * <tmpdir>/srf-suite-summary.json), server logs and TAP output to $SRF_SUITE_LOG_DIR when set.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  fileSucceeded,
  fileTimeoutMs,
  formatSrfSummary,
  prepareSrfSuite,
  SRF_CANNOT_PASS,
  SRF_TAPE_FILES,
  type SrfSuite,
  type TapFileResult,
} from './run-srf-suite';

const summaryPath = process.env.SRF_SUITE_SUMMARY ?? join(tmpdir(), 'srf-suite-summary.json');

describe('drachtio-srf test suite against the embedded server', () => {
  let suite: SrfSuite | undefined;
  const results: TapFileResult[] = [];
  const startedAt = new Date();

  beforeAll(async () => {
    suite = await prepareSrfSuite({
      ...(process.env.SRF_SUITE_LOG_DIR ? { logDir: process.env.SRF_SUITE_LOG_DIR } : {}),
    });
  }, 60_000);

  afterAll(async () => {
    if (!suite) return;
    const summary = suite.summarise(results, startedAt);
    await writeFile(summaryPath, JSON.stringify(summary, null, 2));
    process.stdout.write(`${formatSrfSummary(summary)}\nsummary: ${summaryPath}\n`);
    await suite.dispose();
  }, 30_000);

  it.each([...SRF_TAPE_FILES])(
    '%s passes',
    async (file) => {
      if (!suite) throw new Error('suite not prepared');
      const result = await suite.runFile(file);
      results.push(result);
      if (!fileSucceeded(result)) {
        throw new Error(
          `${file}: ${result.passed} passed, ${result.failed} failed\n` +
            `${result.failures.map((f) => `  not ok: ${f}`).join('\n')}\n--- output tail ---\n${result.outputTail ?? ''}`,
        );
      }
      expect(result.failed).toBe(0);
      expect(result.passed).toBeGreaterThan(0);
    },
    Math.max(...SRF_TAPE_FILES.map(fileTimeoutMs)) + 30_000,
  );

  // Listed with their reason in the summary; run them with runSrfSuite({ files }) to see them fail.
  it.skip.each(SRF_CANNOT_PASS.map((c) => [c.file, c.reason]))(
    '%s cannot pass: %s',
    () => undefined,
  );
});
