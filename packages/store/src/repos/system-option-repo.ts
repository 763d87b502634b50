import type { Database } from '../database';

/** A stored system option (set with `pbx config set`). */
export interface SystemOption {
  key: string;
  value: unknown;
  updatedAt: number;
}

interface Row {
  key: string;
  value: string;
  updated_at: number;
}

function decode(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The CHECK constraint keeps this from happening; hand the raw text to validation if it does.
    return text;
  }
}

/**
 * The `system_options` table: dotted option names (`sip.expireTime`) to JSON values. Validation
 * is packages/config's job; this repository stores what it is given.
 */
export class SystemOptionRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(key: string): Promise<unknown> {
    const row = await this.db.get<Row>('SELECT * FROM system_options WHERE key = ?', [key]);
    return row ? decode(row.value) : undefined;
  }

  /** Sets several options in one transaction (one change for the PBX to see). */
  async setMany(values: Readonly<Record<string, unknown>>): Promise<void> {
    const now = this.clock();
    await this.db.transaction(async (tx) => {
      for (const [key, value] of Object.entries(values)) {
        if (value === undefined) {
          await tx.run('DELETE FROM system_options WHERE key = ?', [key]);
          continue;
        }
        await tx.run(
          `INSERT INTO system_options (key, value, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          [key, JSON.stringify(value), now],
        );
      }
    });
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.setMany({ [key]: value });
  }

  /** Removes an option so its default (or file/environment value) applies; true when it existed. */
  async unset(key: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM system_options WHERE key = ?', [key])).changes > 0;
  }

  /** Every stored option as `{ key: value }` (the `dbOptions` of loadConfig). */
  async all(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const row of await this.db.all<Row>('SELECT * FROM system_options ORDER BY key')) {
      out[row.key] = decode(row.value);
    }
    return out;
  }

  async list(): Promise<SystemOption[]> {
    const rows = await this.db.all<Row>('SELECT * FROM system_options ORDER BY key');
    return rows.map((r) => ({ key: r.key, value: decode(r.value), updatedAt: r.updated_at }));
  }
}
