/**
 * Registration upserts written in groups: every upsert made during one event-loop turn (and,
 * while a group is written, every one that arrives until it is done) is written by one
 * `INSERT … SELECT … FROM json_each(?) … ON CONFLICT` statement (up to {@link MAX_ROWS} rows),
 * returning only what the caller does not already know: the row id and the time of the first
 * registration. The rows travel as ONE JSON text parameter, which SQLite unpacks on the
 * threadpool: binding twelve parameters per row cost the main thread more than the rest of the
 * write, and one statement is one round trip instead of BEGIN, statements and COMMIT.
 *
 * Durability is that of a write run alone: a statement outside BEGIN … COMMIT commits by itself,
 * atomically, and an upsert resolves only after the statement holding it has; a registrar that
 * answers 200 once it resolves never acknowledges a binding a restart would not restore. A row
 * that breaks a constraint (e.g. its station was just deleted) rejects alone: its statement is
 * undone by SQLite and its rows are written again one at a time, so only the bad one fails; any
 * other failure (the write lock not taken, a full disk) rejects every upsert of the statement.
 */
import type { Database } from '../database';
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

/** Rows written by one statement at most (its JSON text stays well under a megabyte). */
const MAX_ROWS = 512;

/**
 * The upsert statement: its one parameter is a JSON array of rows, each an array of the values of
 * {@link COLUMNS} without the last (`updated_at` is `registered_at`, the upsert's time). `extra`
 * travels as a JSON string, so the stored text is exactly `JSON.stringify` of it.
 */
export const UPSERT_SQL = `INSERT INTO registrations (${COLUMNS.join(', ')})
  SELECT ${COLUMNS.map((_, i) => `value ->> ${Math.min(i, COLUMNS.length - 2)}`).join(', ')}
  FROM json_each(?) WHERE true
  ON CONFLICT (tel, contact) DO UPDATE SET
    source_ip = excluded.source_ip, source_port = excluded.source_port,
    protocol = excluded.protocol, user_agent = excluded.user_agent,
    expires_at = excluded.expires_at, call_id = excluded.call_id, cseq = excluded.cseq,
    extra = excluded.extra, updated_at = excluded.updated_at
  RETURNING id, tel, contact, registered_at`;

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
      for (let at = 0; at < group.length; at += MAX_ROWS) {
        await this.writeRows(group, at, Math.min(MAX_ROWS, group.length - at), results, errors);
      }
    } finally {
      this.flushing = false;
      // Upserts that came while this group was written form the next one.
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

  /**
   * Writes `group[at .. at+n)` with one statement; a statement that breaks a constraint is
   * written again row by row, any other failure is every row's.
   */
  private async writeRows(
    group: readonly Pending[],
    at: number,
    n: number,
    results: Array<UpsertResult | undefined>,
    errors: unknown[],
  ): Promise<void> {
    const values: unknown[][] = new Array<unknown[]>(n);
    for (let i = 0; i < n; i++) {
      const { row, at: time } = group[at + i]!;
      // In the order of COLUMNS (the statement reads registered_at for updated_at too).
      values[i] = [
        row.tel,
        row.contact,
        row.sourceIp,
        row.sourcePort,
        row.protocol,
        row.userAgent ?? '',
        row.expiresAt,
        row.callId,
        row.cseq,
        JSON.stringify(row.extra ?? {}),
        time,
      ];
    }
    let rows: Returned[];
    try {
      rows = await this.db.all<Returned>(UPSERT_SQL, [JSON.stringify(values)]);
    } catch (err) {
      if (n === 1 || !isConstraintError(err)) {
        for (let i = at; i < at + n; i++) errors[i] = err;
        return;
      }
      // SQLite undid this statement only: each of its rows alone, so only the bad one fails.
      for (let i = at; i < at + n; i++) await this.writeRows(group, i, 1, results, errors);
      return;
    }
    const byKey = new Map<string, Returned>();
    for (const r of rows) byKey.set(keyOf(r.tel, r.contact), r);
    for (let i = at; i < at + n; i++) {
      const { row, at: time } = group[i]!;
      const r = byKey.get(keyOf(row.tel, row.contact));
      if (r !== undefined)
        results[i] = { id: r.id, registeredAt: r.registered_at, updatedAt: time };
    }
  }
}

/** Whether `err` is SQLite refusing a row (a constraint), not the write as a whole. */
function isConstraintError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
}
