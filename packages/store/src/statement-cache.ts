/**
 * Prepared statements kept per SQL text, so a statement run thousands of times a second (the
 * registration upsert, call records) is compiled once instead of at every call: node-sqlite3's
 * `Database#run/all` prepare, run and finalize a new statement each time, and preparing the
 * upsert cost more worker time than running it.
 *
 * Only statements that always step to completion are cached: `all` (reads every row) and `run`
 * of INSERT/UPDATE/DELETE/REPLACE without RETURNING. A statement left in the middle of its rows
 * keeps SQLite's implicit transaction open (see Database.get), so `get` and anything else go the
 * uncached way. node-sqlite3 queues the calls made on one statement, so concurrent callers can
 * share it.
 */
import type sqlite3 from 'sqlite3';

/** Statements kept at most; the least recently used one is finalized beyond that. */
const DEFAULT_MAX = 128;

const WRITE = /^\s*(?:INSERT|UPDATE|DELETE|REPLACE)\b/i;
const RETURNING = /\bRETURNING\b/i;

/** Whether `run(sql)` always steps to SQLITE_DONE (no rows), so its statement may be cached. */
export function cacheableRun(sql: string): boolean {
  return WRITE.test(sql) && !RETURNING.test(sql);
}

export class StatementCache {
  private readonly statements = new Map<string, Promise<sqlite3.Statement>>();
  /** The statements prepared so far, for callers that need no promise ({@link ready}). */
  private readonly prepared = new Map<string, sqlite3.Statement>();
  /** The SQL of the last hit: already the most recently used, no reordering needed. */
  private last: string | undefined;

  constructor(
    private readonly raw: sqlite3.Database,
    private readonly max = DEFAULT_MAX,
  ) {}

  /** The prepared statement of `sql`, prepared on first use. Rejects when `sql` does not compile. */
  get(sql: string): Promise<sqlite3.Statement> {
    const hit = this.statements.get(sql);
    if (hit) {
      this.touch(sql, hit);
      return hit;
    }
    const prepared = new Promise<sqlite3.Statement>((resolve, reject) => {
      const stmt: sqlite3.Statement = this.raw.prepare(sql, (err: Error | null) => {
        if (err) {
          // Not kept: the next call reports the error again.
          this.statements.delete(sql);
          reject(err);
        } else {
          // Unless evicted meanwhile.
          if (this.statements.get(sql) === prepared) this.prepared.set(sql, stmt);
          resolve(stmt);
        }
      });
    });
    this.statements.set(sql, prepared);
    this.last = sql;
    if (this.statements.size > this.max) {
      const oldest = this.statements.keys().next().value as string;
      const evicted = this.statements.get(oldest);
      this.statements.delete(oldest);
      this.prepared.delete(oldest);
      // Finalize runs after the calls already queued on the statement.
      void evicted?.then(
        (s) => s.finalize(),
        () => undefined,
      );
    }
    return prepared;
  }

  /**
   * The statement of `sql` when it is already prepared, without a promise (the hot path: a
   * statement run thousands of times a second); undefined otherwise ({@link get} prepares it).
   */
  ready(sql: string): sqlite3.Statement | undefined {
    const stmt = this.prepared.get(sql);
    if (stmt !== undefined) this.touch(sql, this.statements.get(sql)!);
    return stmt;
  }

  /** Makes `sql` the most recently used. */
  private touch(sql: string, hit: Promise<sqlite3.Statement>): void {
    if (sql === this.last) return;
    this.statements.delete(sql);
    this.statements.set(sql, hit);
    this.last = sql;
  }

  /** Finalizes every statement (before closing the connection). */
  async clear(): Promise<void> {
    const all = [...this.statements.values()];
    this.statements.clear();
    this.prepared.clear();
    this.last = undefined;
    await Promise.all(
      all.map((p) =>
        p.then(
          (s) => new Promise<void>((resolve) => s.finalize(() => resolve())),
          () => undefined,
        ),
      ),
    );
  }
}
