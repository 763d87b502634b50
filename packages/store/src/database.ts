import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite3 from 'sqlite3';
import { StoreError } from './errors';
import { cacheableRun, StatementCache } from './statement-cache';

/** Bound parameters: positional (`?`) or named (`$name`, with the `$` in the key). */
export type Params = readonly unknown[] | Readonly<Record<string, unknown>>;

/** What one write statement changed. */
export interface RunResult {
  changes: number;
  lastId: number;
}

/** The query surface shared by a {@link Database} and the handle passed to a transaction. */
export interface Queryable {
  run(sql: string, params?: Params): Promise<RunResult>;
  get<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T | undefined>;
  all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

/** Options for {@link Database.open}. */
export interface OpenOptions {
  /** How long a statement waits for another process's write lock before failing (ms). */
  busyTimeoutMs?: number;
  /** Create the parent directory of the file when missing (default true). */
  createDir?: boolean;
}

/** Milliseconds to wait for the CLI or the PBX to release the write lock. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

type Waiter = { exclusive: boolean; grant: () => void };

/**
 * FIFO gate: plain statements share it, a transaction holds it alone. A transaction waits for
 * statements already running and later statements wait for the transaction, so nothing runs
 * inside someone else's BEGIN … COMMIT on the one connection.
 */
class Gate {
  private shared = 0;
  private exclusive = false;
  private readonly queue: Waiter[] = [];

  acquire(exclusive: boolean): Promise<void> {
    if (this.queue.length === 0 && this.canGrant(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.queue.push({ exclusive, grant: resolve });
    });
  }

  /** Takes the gate shared when that needs no wait (nobody queued, no transaction). */
  tryAcquireShared(): boolean {
    if (this.queue.length > 0 || this.exclusive) return false;
    this.shared += 1;
    return true;
  }

  release(exclusive: boolean): void {
    if (exclusive) this.exclusive = false;
    else this.shared -= 1;
    for (let head = this.queue[0]; head && this.canGrant(head.exclusive); head = this.queue[0]) {
      this.queue.shift();
      this.take(head.exclusive);
      head.grant();
    }
  }

  private canGrant(exclusive: boolean): boolean {
    return exclusive ? !this.exclusive && this.shared === 0 : !this.exclusive;
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.exclusive = true;
    else this.shared += 1;
  }
}

function wrapError(err: Error & { code?: string }, sql: string): StoreError {
  const head = sql.trim().split(/\s+/).slice(0, 4).join(' ');
  return new StoreError(`${err.message} (in "${head} …")`, err.code, { cause: err });
}

function rawRun(db: sqlite3.Database, sql: string, params: Params): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
      if (err) reject(wrapError(err, sql));
      else resolve({ changes: this.changes, lastId: this.lastID });
    });
  });
}

/** {@link rawRun} on the statement cached for `sql` when it can be (see statement-cache.ts). */
async function cachedRun(
  cache: StatementCache,
  db: sqlite3.Database,
  sql: string,
  params: Params,
): Promise<RunResult> {
  if (!cacheableRun(sql)) return rawRun(db, sql, params);
  let stmt: sqlite3.Statement;
  try {
    stmt = await cache.get(sql);
  } catch (err) {
    throw wrapError(err as Error, sql);
  }
  return new Promise((resolve, reject) => {
    stmt.run(params, function (this: sqlite3.RunResult, err: Error | null) {
      if (err) reject(wrapError(err, sql));
      else resolve({ changes: this.changes, lastId: this.lastID });
    });
  });
}

/** Every row of `sql`, run on the statement cached for it. */
function cachedAll<T>(cache: StatementCache, sql: string, params: Params): Promise<T[]> {
  const ready = cache.ready(sql);
  if (ready !== undefined) return stepAll<T>(ready, sql, params);
  return cache.get(sql).then(
    (stmt) => stepAll<T>(stmt, sql, params),
    (err: unknown) => {
      throw wrapError(err as Error, sql);
    },
  );
}

function stepAll<T>(stmt: sqlite3.Statement, sql: string, params: Params): Promise<T[]> {
  return new Promise((resolve, reject) => {
    stmt.all(params, (err: Error | null, rows: T[]) => {
      if (err) reject(wrapError(err, sql));
      else resolve(rows);
    });
  });
}

function rawGet<T>(db: sqlite3.Database, sql: string, params: Params): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    db.get(sql, params, (err: Error | null, row: T | undefined) => {
      if (err) reject(wrapError(err, sql));
      else resolve(row);
    });
  });
}

function rawExec(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    db.exec(sql, (err: Error | null) => {
      if (err) reject(wrapError(err, sql));
      else resolve();
    });
  });
}

/** node-sqlite3's Backup object (present at run time, missing from its typings). */
interface SqliteBackup {
  step(pages: number, cb: (err: Error | null) => void): void;
  finish(cb?: (err: Error | null) => void): void;
  readonly completed: boolean;
  readonly failed: boolean;
  /** SQLite result codes on which step() is simply tried again. */
  retryErrors: number[];
}

/** Runs SQLite's online backup of `raw` into the file `dest` to completion. */
export function onlineBackup(raw: sqlite3.Database, dest: string): Promise<void> {
  const withBackup = raw as unknown as {
    backup(file: string, cb: (err: Error | null) => void): SqliteBackup;
  };
  return new Promise<void>((resolve, reject) => {
    const fail = (err: Error): void =>
      reject(
        new StoreError(
          `backup to ${dest} failed: ${err.message}`,
          (err as { code?: string }).code,
          { cause: err },
        ),
      );
    const backup = withBackup.backup(dest, (err) => {
      if (err) return fail(err);
      // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another connection is writing; step again.
      backup.retryErrors = [5, 6];
      const step = (): void =>
        backup.step(-1, (stepErr) => {
          if (stepErr) {
            backup.finish();
            return fail(stepErr);
          }
          if (!backup.completed) return void setTimeout(step, 10);
          backup.finish((finishErr) => (finishErr ? fail(finishErr) : resolve()));
        });
      step();
    });
  });
}

/**
 * One SQLite connection with a promise API. WAL, `foreign_keys=ON` and a busy timeout are set at
 * open, because the CLI and the running PBX share the file.
 */
export class Database implements Queryable {
  private readonly gate = new Gate();
  private closed = false;
  private readonly statements: StatementCache;

  private constructor(
    private readonly raw: sqlite3.Database,
    /** The file this connection opened (`:memory:` for an in-memory database). */
    readonly path: string,
  ) {
    this.statements = new StatementCache(raw);
  }

  /** Opens (creating when missing) the database file and applies the connection settings. */
  static async open(path: string, options: OpenOptions = {}): Promise<Database> {
    if (path !== ':memory:' && path !== '' && options.createDir !== false) {
      mkdirSync(dirname(path), { recursive: true });
    }
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const db: sqlite3.Database = new sqlite3.Database(path, (err: Error | null) => {
        if (err)
          reject(
            new StoreError(
              `cannot open database ${path}: ${err.message}`,
              (err as { code?: string }).code,
              { cause: err },
            ),
          );
        else resolve(db);
      });
    });
    const db = new Database(raw, path);
    try {
      const busy = Math.max(0, Math.floor(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS));
      await db.exec(`PRAGMA busy_timeout = ${busy}`);
      await db.get('PRAGMA journal_mode = WAL');
      await db.exec('PRAGMA foreign_keys = ON');
      // WAL makes NORMAL durable across application crashes; only a power cut can lose the tail.
      await db.exec('PRAGMA synchronous = NORMAL');
    } catch (err) {
      await db.close();
      throw err;
    }
    return db;
  }

  async run(sql: string, params: Params = []): Promise<RunResult> {
    return this.shared(() => cachedRun(this.statements, this.raw, sql, params));
  }

  /**
   * The first row. @NOTE For `INSERT/UPDATE/DELETE … RETURNING` use {@link all}: sqlite3's `get`
   * keeps the statement open after one row, which holds the write's implicit transaction open
   * while other statements run and made concurrent upserts about ten times slower.
   */
  async get<T = Record<string, unknown>>(sql: string, params: Params = []): Promise<T | undefined> {
    return this.shared(() => rawGet<T>(this.raw, sql, params));
  }

  async all<T = Record<string, unknown>>(sql: string, params: Params = []): Promise<T[]> {
    return this.shared(() => cachedAll<T>(this.statements, sql, params));
  }

  async exec(sql: string): Promise<void> {
    return this.shared(() => rawExec(this.raw, sql));
  }

  /**
   * Runs `fn` inside `BEGIN IMMEDIATE … COMMIT` (ROLLBACK when it throws). Calls are serialised:
   * other statements and transactions on this connection wait until it ends. Use only the `tx`
   * handle inside `fn`; calling the database itself from there would wait forever.
   */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen();
    await this.gate.acquire(true);
    const raw = this.raw;
    const cache = this.statements;
    let active = true;
    const guard = (): void => {
      if (!active)
        throw new StoreError('transaction handle used after the transaction ended', undefined);
    };
    const tx: Queryable = {
      run: async (sql, params = []) => (guard(), cachedRun(cache, raw, sql, params)),
      get: async <R>(sql: string, params: Params = []) => (guard(), rawGet<R>(raw, sql, params)),
      all: async <R>(sql: string, params: Params = []) => (
        guard(),
        cachedAll<R>(cache, sql, params)
      ),
      exec: async (sql) => (guard(), rawExec(raw, sql)),
    };
    try {
      await rawExec(raw, 'BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        active = false;
        await rawExec(raw, 'ROLLBACK').catch(() => undefined);
        throw err;
      }
      active = false;
      try {
        await rawExec(raw, 'COMMIT');
      } catch (err) {
        await rawExec(raw, 'ROLLBACK').catch(() => undefined);
        throw err;
      }
      return result;
    } finally {
      active = false;
      this.gate.release(true);
    }
  }

  /**
   * Copies the whole database into `dest` with SQLite's online backup API: a consistent snapshot
   * taken while this connection (and others, e.g. the running PBX) keep reading and writing.
   * `dest` is overwritten.
   */
  async backupTo(dest: string): Promise<void> {
    this.assertOpen();
    await this.gate.acquire(false);
    try {
      await onlineBackup(this.raw, dest);
    } finally {
      this.gate.release(false);
    }
  }

  /** Closes the connection after the statements already queued. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.gate.acquire(true);
    try {
      // SQLite refuses to close a connection with statements still prepared.
      await this.statements.clear();
      await new Promise<void>((resolve, reject) => {
        this.raw.close((err: Error | null) => (err ? reject(wrapError(err, 'close')) : resolve()));
      });
    } finally {
      this.gate.release(true);
    }
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Runs `op` holding the gate shared. Without async/await: a statement on a free gate (nearly
   * always) costs one promise of its own, not four.
   */
  private shared<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('database is closed', undefined));
    if (this.gate.tryAcquireShared()) return this.runShared(op);
    return this.gate.acquire(false).then(() => this.runShared(op));
  }

  /** `op` with the shared gate already held; releases it when `op` settles. */
  private runShared<T>(op: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = op();
    } catch (err) {
      this.gate.release(false);
      return Promise.reject(err as Error);
    }
    return running.then(
      (value) => {
        this.gate.release(false);
        return value;
      },
      (err: unknown) => {
        this.gate.release(false);
        throw err;
      },
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('database is closed', undefined);
  }
}
