import type { Database } from '../database';

/**
 * Areas whose changes the running PBX reloads. Triggers bump `stations`, `whitelist`, `config`
 * (system options) and `blocks` on every write, `numplan` (feature codes, migration 0003) and
 * `groups` (ring groups and their members, 0004); later migrations may add areas.
 */
export type ChangeArea =
  'stations' | 'whitelist' | 'config' | 'blocks' | 'numplan' | 'groups' | (string & {});

/** The `change_counter` table. */
export class ChangeRepo {
  constructor(private readonly db: Database) {}

  /** Current counter of each area. */
  async counters(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of await this.db.all<{ area: string; counter: number }>(
      'SELECT area, counter FROM change_counter',
    )) {
      out[r.area] = r.counter;
    }
    return out;
  }

  /** Bumps an area by hand (for writes no trigger covers); creates the area when new. */
  async bump(area: ChangeArea): Promise<void> {
    await this.db.run(
      `INSERT INTO change_counter (area, counter) VALUES (?, 1)
       ON CONFLICT (area) DO UPDATE SET counter = counter + 1`,
      [area],
    );
  }
}
