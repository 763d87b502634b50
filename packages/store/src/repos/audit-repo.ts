import type { Database } from '../database';

/** One administrative change. Times are epoch ms. */
export interface AuditEntry {
  id: number;
  at: number;
  /** Who: the OS user of the command (or PBX_ACTOR). */
  actor: string;
  /** Through what: `cli`. */
  origin: string;
  /** The command: `ext add`, `config set`, ... */
  action: string;
  /** Arguments and options, secrets already replaced by `***`. */
  details: Record<string, unknown>;
  outcome: 'ok' | 'failed';
  /** First line of the error when it failed. */
  error: string;
}

/** Input of {@link AuditRepo.add}. */
export type AuditInput = Omit<AuditEntry, 'id' | 'at' | 'origin' | 'error'> &
  Partial<Pick<AuditEntry, 'at' | 'origin' | 'error'>>;

interface Row {
  id: number;
  at: number;
  actor: string;
  origin: string;
  action: string;
  details: string;
  outcome: 'ok' | 'failed';
  error: string;
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** The audit log of administrative changes (`pbx audit`). */
export class AuditRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  async add(e: AuditInput): Promise<void> {
    await this.db.run(
      `INSERT INTO audit_log (at, actor, origin, action, details, outcome, error)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        e.at ?? this.clock(),
        e.actor,
        e.origin ?? 'cli',
        e.action,
        JSON.stringify(e.details),
        e.outcome,
        e.error ?? '',
      ],
    );
  }

  /** The newest `limit` entries (default 200) at or after `since`, oldest first. */
  async list(
    filter: { since?: number; limit?: number; action?: string } = {},
  ): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.since !== undefined) {
      where.push('at >= ?');
      params.push(filter.since);
    }
    if (filter.action !== undefined) {
      where.push('action = ?');
      params.push(filter.action);
    }
    const rows = await this.db.all<Row>(
      `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT ?`,
      [...params, Math.max(0, Math.floor(filter.limit ?? 200))],
    );
    return rows.reverse().map((r) => ({ ...r, details: parseDetails(r.details) }));
  }

  /** Keeps the newest `keep` entries; returns how many went. */
  async prune(keep: number): Promise<number> {
    const r = await this.db.run(
      'DELETE FROM audit_log WHERE id <= (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?)',
      [Math.max(0, Math.floor(keep))],
    );
    return r.changes;
  }
}
