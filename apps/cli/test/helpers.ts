import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '@pbx/store';
import { run, type CliStdin } from '../src/main';

/** What one `pbx` run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A temporary database and a runner for `pbx --db <it> ...`, in-process. The database is
 * created before the first `pbx()` run, as the PBX does when it starts; `raw()` runs without
 * that, for tests of the database choice.
 */
export class CliFixture {
  readonly dir: string;
  readonly db: string;
  now: number | undefined;
  private created: Promise<void> | undefined;

  constructor(readonly env: Record<string, string | undefined> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'pbx-cli-'));
    this.db = join(this.dir, 'pbx.sqlite');
  }

  /** Runs `pbx --db <db> ...args` (creating the database first). */
  async pbx(...args: string[]): Promise<CliResult> {
    await this.createDb();
    return this.raw(['--db', this.db, ...args]);
  }

  /** Runs `pbx --db <db> ...args` with `stdin` as standard input. */
  async withStdin(stdin: CliStdin, ...args: string[]): Promise<CliResult> {
    await this.createDb();
    return this.raw(['--db', this.db, ...args], this.env, stdin);
  }

  /** Creates and migrates the database, once. */
  createDb(): Promise<void> {
    this.created ??= Store.open({ path: this.db }).then((s) => s.close());
    return this.created;
  }

  /** Runs `pbx ...args` without `--db` and without creating the database. */
  async raw(
    args: string[],
    env: Record<string, string | undefined> = this.env,
    stdin?: CliStdin,
  ): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const code = await run(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env,
      now: this.now === undefined ? undefined : () => this.now as number,
      stdin,
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

/** Standard input that is a pipe carrying `text`. */
export function pipedStdin(text: string): CliStdin {
  return {
    isTTY: false,
    readAll: () => Promise.resolve(text),
    promptSecret: () => Promise.reject(new Error('not a terminal: the prompt must not be used')),
  };
}

/** A terminal where the user types `answers`, one per prompt; `prompts` records what was asked. */
export function terminalStdin(answers: string[]): CliStdin & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    isTTY: true,
    prompts,
    readAll: () => Promise.reject(new Error('a terminal is not read to its end')),
    promptSecret: (prompt: string) => {
      prompts.push(prompt);
      const answer = answers.shift();
      return answer === undefined
        ? Promise.reject(new Error(`unexpected prompt ${prompt}`))
        : Promise.resolve(answer);
    },
  };
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
