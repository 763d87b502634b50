import type { Database } from '../database';
import { ConflictError, StoreError } from '../errors';

/** One stored change to the feature-code plan. */
export interface NumberPlanEntry {
  /** The dialplan feature id (`forward.all`, `dnd`, ...). */
  feature: string;
  /** The code in force; `null` when the administrator unassigned the feature. */
  code: string | null;
  updatedAt: number;
}

interface Row {
  feature: string;
  code: string | null;
  updated_at: number;
}

const toEntry = (r: Row): NumberPlanEntry => ({
  feature: r.feature,
  code: r.code,
  updatedAt: r.updated_at,
});

/**
 * The `number_plan` table: the feature codes that differ from the defaults. A feature without a
 * row uses the code table's default (packages/dialplan), so new defaults reach old databases; a
 * row with a `null` code means "unassigned". This repository does not know the defaults or the
 * clash rules (the store imports nothing of ours): callers merge the rows over
 * `defaultCodes()` and check a change with dialplan's `checkCodeChange` before writing. Writes
 * bump the `numplan` change counter.
 */
export class NumberPlanRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Every stored change, by feature id. */
  async list(): Promise<NumberPlanEntry[]> {
    return (await this.db.all<Row>('SELECT * FROM number_plan ORDER BY feature')).map(toEntry);
  }

  /** The stored changes as `feature → code | null`; merge over the defaults. */
  async overrides(): Promise<Record<string, string | null>> {
    const out: Record<string, string | null> = {};
    for (const r of await this.list()) out[r.feature] = r.code;
    return out;
  }

  async get(feature: string): Promise<NumberPlanEntry | undefined> {
    const row = await this.db.get<Row>('SELECT * FROM number_plan WHERE feature = ?', [feature]);
    return row ? toEntry(row) : undefined;
  }

  /**
   * Stores a feature's code (`null` unassigns it). Throws {@link ConflictError} when another
   * stored feature has the same code; a clash with a default code is the caller's check.
   */
  async set(feature: string, code: string | null): Promise<NumberPlanEntry> {
    try {
      const row = (
        await this.db.all<Row>(
          `INSERT INTO number_plan (feature, code, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (feature) DO UPDATE SET code = excluded.code, updated_at = excluded.updated_at
           RETURNING *`,
          [feature, code, this.clock()],
        )
      )[0];
      return toEntry(row as Row);
    } catch (err) {
      if (
        err instanceof StoreError &&
        err.code === 'SQLITE_CONSTRAINT' &&
        /UNIQUE/.test(err.message)
      ) {
        const other = await this.db.get<Row>(
          'SELECT * FROM number_plan WHERE code = ? AND feature <> ?',
          [code, feature],
        );
        throw new ConflictError(
          `code ${String(code)} is already used by ${other?.feature ?? 'another feature'}`,
          {
            cause: err,
          },
        );
      }
      throw err;
    }
  }

  /** Forgets a feature's stored code, so it uses the default again. False when none was stored. */
  async reset(feature: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM number_plan WHERE feature = ?', [feature])).changes > 0;
  }
}
