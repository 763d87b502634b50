/**
 * Registration upserts written in groups: every upsert made during one event-loop turn (and,
 * while a group commits, every one that arrives until it is done) is written by one
 * `BEGIN IMMEDIATE … COMMIT`, as few multi-row `INSERT … ON CONFLICT` statements as its size
 * allows (64, 16, 4 or 1 rows each), each returning only what the caller does not already know:
 * the row id and the time of the first registration.
 *
 * Durability is that of a write run alone: an upsert resolves only after the COMMIT of its group,
 * so a registrar that answers 200 once it resolves never acknowledges a binding a restart would
 * not restore. A row that fails (e.g. its station was just deleted) rejects alone: its statement
 * is undone by SQLite and its rows are written again one at a time, so only the bad one fails; a
 * group whose BEGIN or COMMIT fails rejects every upsert of the group.
 */
import type { Database, Queryable } from '../database';
import { StoreError } from '../errors';

/**
 * One row to write: a binding as the registrar keeps it in memory (a `Registration` is one), read
 * only when its group is written, so nothing is copied per upsert. It must not change until the
 * upsert resolves.
 */
export interface UpsertRow {
  readonly tel: string;
  readonly contact: string;
  readonly sourceIp: string;
  readonly sourcePort: number;
  readonly protocol: string;
  readonly userAgent?: string;
  readonly expiresAt: number;
  readonly callId: string;
  readonly cseq: number;
  /** Stored as JSON; `{}` when absent. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** What the database adds to a written row. */
export interface UpsertResult {
  id: number;
  registeredAt: number;
  /** The time written as the row's `updated_at` (the upsert's). */
  updatedAt: number;
}

interface Pending {
  row: UpsertRow;
  /** Time of the upsert (epoch ms): `registered_at` of a new row, `updated_at` of any. */
  at: number;
  resolve: (r: UpsertResult) => void;
  reject: (err: unknown) => void;
}

/** The columns of one row, in the order of the statement's values. */
export const COLUMNS = [
  'tel',
  'contact',
  'source_ip',
  'source_port',
  'protocol',
  'user_agent',
  'expires_at',
  'call_id',
  'cseq',
  'extra',
  'registered_at',
  'updated_at',
] as const;

/** Rows per statement, largest first: few distinct statements, so each stays prepared. */
const CHUNKS = [64, 16, 4, 1] as const;

const ROW = `(${COLUMNS.map(() => '?').join(', ')})`;
const sqlBySize = new Map<number, string>();

/** The upsert of `rows` rows (the statement text is made once per size). */
export function upsertSql(rows: number): string {
  let sql = sqlBySize.get(rows);
  if (sql === undefined) {
    sql = `INSERT INTO registrations (${COLUMNS.join(', ')})
       VALUES ${Array.from({ length: rows }, () => ROW).join(', ')}
       ON CONFLICT (tel, contact) DO UPDATE SET
         source_ip = excluded.source_ip, source_port = excluded.source_port,
         protocol = excluded.protocol, user_agent = excluded.user_agent,
         expires_at = excluded.expires_at, call_id = excluded.call_id, cseq = excluded.cseq,
         extra = excluded.extra, updated_at = excluded.updated_at
       RETURNING id, tel, contact, registered_at`;
    sqlBySize.set(rows, sql);
  }
  return sql;
}

interface Returned {
  id: number;
  tel: string;
  contact: string;
  registered_at: number;
}

/** Map key of a binding (a tel number never contains a NUL). */
const keyOf = (tel: string, contact: string): string => `${tel}\u0000${contact}`;

export class RegistrationUpserts {
  private pending: Pending[] = [];
  private flushing = false;

  constructor(private readonly db: Database) {}

  /** Writes `row` as of time `at`; resolves after the commit that made it durable. */
  write(row: UpsertRow, at: number): Promise<UpsertResult> {
    return new Promise<UpsertResult>((resolve, reject) => {
      this.pending.push({ row, at, resolve, reject });
      if (this.pending.length === 1 && !this.flushing) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    const group = this.pending;
    this.pending = [];
    const results: Array<UpsertResult | undefined> = new Array<UpsertResult | undefined>(
      group.length,
    );
    const errors: unknown[] = new Array<unknown>(group.length);
    try {
      if (group.length === 1) {
        // Alone: its own statement commits it, no BEGIN … COMMIT round trips.
        await this.writeRows(this.db, group, 0, 1, results, errors);
      } else {
        await this.db.transaction(async (tx) => {
          for (let at = 0; at < group.length;) {
            const left = group.length - at;
            const n = CHUNKS.find((c) => c <= left) ?? 1;
            await this.writeRows(tx, group, at, n, results, errors);
            at += n;
          }
        });
      }
    } catch (err) {
      // BEGIN or COMMIT failed: nothing of the group is durable.
      for (let i = 0; i < group.length; i++) {
        errors[i] ??= err;
        results[i] = undefined;
      }
    } finally {
      this.flushing = false;
      // Upserts that came while this group committed form the next one.
      if (this.pending.length > 0) setImmediate(() => void this.flush());
    }
    for (let i = 0; i < group.length; i++) {
      const p = group[i]!;
      const r = results[i];
      if (r !== undefined) p.resolve(r);
      else
        p.reject(
          errors[i] ?? new StoreError('registration upsert returned no row', 'SQLITE_INTERNAL'),
        );
    }
  }

  /** Writes `group[at .. at+n)` with one statement; a failed statement is retried row by row. */
  private async writeRows(
    q: Queryable,
    group: readonly Pending[],
    at: number,
    n: number,
    results: Array<UpsertResult | undefined>,
    errors: unknown[],
  ): Promise<void> {
    const params: unknown[] = new Array<unknown>(n * COLUMNS.length);
    let k = 0;
    for (let i = at; i < at + n; i++) {
      const { row, at: time } = group[i]!;
      // In the order of COLUMNS.
      params[k++] = row.tel;
      params[k++] = row.contact;
      params[k++] = row.sourceIp;
      params[k++] = row.sourcePort;
      params[k++] = row.protocol;
      params[k++] = row.userAgent ?? '';
      params[k++] = row.expiresAt;
      params[k++] = row.callId;
      params[k++] = row.cseq;
      params[k++] = JSON.stringify(row.extra ?? {});
      params[k++] = time;
      params[k++] = time;
    }
    let rows: Returned[];
    try {
      rows = await q.all<Returned>(upsertSql(n), params);
    } catch (err) {
      if (n === 1) {
        errors[at] = err;
        return;
      }
      // SQLite undid this statement only: each of its rows alone, so only the bad one fails.
      for (let i = at; i < at + n; i++) await this.writeRows(q, group, i, 1, results, errors);
      return;
    }
    const byKey = new Map<string, Returned>();
    for (const r of rows) byKey.set(keyOf(r.tel, r.contact), r);
    for (let i = at; i < at + n; i++) {
      const { tel, contact } = group[i]!.row;
      const r = byKey.get(keyOf(tel, contact));
      if (r !== undefined)
        results[i] = { id: r.id, registeredAt: r.registered_at, updatedAt: group[i]!.at };
    }
  }
}
