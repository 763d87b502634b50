import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '@pbx/store';
import { run } from '../src/main';

/** What one `pbx` run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temporary database and a runner for `pbx --db <it> ...`, in-process. */
export class CliFixture {
  readonly dir: string;
  readonly db: string;
  now: number | undefined;

  constructor(readonly env: Record<string, string | undefined> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'pbx-cli-'));
    this.db = join(this.dir, 'pbx.sqlite');
  }

  /** Runs `pbx --db <db> ...args`. */
  pbx(...args: string[]): Promise<CliResult> {
    return this.raw(['--db', this.db, ...args]);
  }

  /** Runs `pbx ...args` without `--db`. */
  async raw(args: string[], env: Record<string, string | undefined> = this.env): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const code = await run(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env,
      now: this.now === undefined ? undefined : () => this.now as number,
    });
    return { code, stdout, stderr };
  }

  /** Runs and expects success; returns stdout. */
  async ok(...args: string[]): Promise<string> {
    const r = await this.pbx(...args);
    if (r.code !== 0) throw new Error(`pbx ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** Runs `... --json` and parses stdout. */
  async json<T = unknown>(...args: string[]): Promise<T> {
    return JSON.parse(await this.ok(...args, '--json')) as T;
  }

  /** Opens the fixture's database directly (close it after use). */
  store(): Promise<Store> {
    return Store.open({ path: this.db });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Asserts a failed run: its exit code and a single `error: …` line matching `message`. */
export function expectFailure(r: CliResult, code: number, message: string | RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  if (typeof message === 'string') expect(lines[0]).toBe(`error: ${message}`);
  else expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
