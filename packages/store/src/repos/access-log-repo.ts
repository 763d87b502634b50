import type { Database } from '../database';

/** A row of Access Information: a refused or failed registration, or a blocked IP. */
export interface AccessLogEntry {
  id: number;
  /** Epoch ms. */
  at: number;
  ip: string;
  port: number | null;
  /** The tel number or user the request named (may be empty). */
  callerId: string;
  reason: string;
}

/** Input of {@link AccessLogRepo.add}. */
export interface AccessLogInput {
  at?: number;
  ip: string;
  port?: number | null;
  callerId?: string;
  reason: string;
}

interface Row {
  id: number;
  at: number;
  ip: string;
  port: number | null;
  caller_id: string;
  reason: string;
}

const toEntry = (r: Row): AccessLogEntry => ({
  id: r.id,
  at: r.at,
  ip: r.ip,
  port: r.port,
  callerId: r.caller_id,
  reason: r.reason,
});

/** The `access_log` table (Access Information, DM 5.2.21). */
export class AccessLogRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  async add(input: AccessLogInput): Promise<AccessLogEntry> {
    const row = (
      await this.db.all<Row>(
        'INSERT INTO access_log (at, ip, port, caller_id, reason) VALUES (?, ?, ?, ?, ?) RETURNING *',
        [
          input.at ?? this.clock(),
          input.ip,
          input.port ?? null,
          input.callerId ?? '',
          input.reason,
        ],
      )
    )[0];
    return toEntry(row as Row);
  }

  /**
   * Entries oldest first. `since`/`until` bound the time (epoch ms, inclusive/exclusive); with
   * `limit`, the newest `limit` entries of that range.
   */
  async list(
    options: { since?: number; until?: number; limit?: number; ip?: string } = {},
  ): Promise<AccessLogEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.since !== undefined) {
      where.push('at >= ?');
      params.push(options.since);
    }
    if (options.until !== undefined) {
      where.push('at < ?');
      params.push(options.until);
    }
    if (options.ip !== undefined) {
      where.push('ip = ?');
      params.push(options.ip);
    }
    let sql = `SELECT * FROM access_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC`;
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(Math.max(0, Math.floor(options.limit)));
    }
    return (await this.db.all<Row>(sql, params)).map(toEntry).reverse();
  }

  async count(): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM access_log'))?.n ?? 0;
  }

  /**
   * Bounds the table: deletes entries older than `before` and/or all but the newest `keep`.
   * Returns how many rows went.
   */
  async prune(options: { before?: number; keep?: number }): Promise<number> {
    let removed = 0;
    if (options.before !== undefined) {
      removed += (await this.db.run('DELETE FROM access_log WHERE at < ?', [options.before]))
        .changes;
    }
    if (options.keep !== undefined) {
      removed += (
        await this.db.run(
          'DELETE FROM access_log WHERE id <= (SELECT id FROM access_log ORDER BY id DESC LIMIT 1 OFFSET ?)',
          [Math.max(0, Math.floor(options.keep))],
        )
      ).changes;
    }
    return removed;
  }
}
