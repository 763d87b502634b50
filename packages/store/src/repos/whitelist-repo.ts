import type { Database } from '../database';
import { ConflictError, NotFoundError } from '../errors';
import { AddressMatcher, parseWhitelistEntry, type WhitelistForm } from '../ip';

/** An entry of the Phone IP White List. */
export interface WhitelistRow {
  cidr: string;
  note: string;
  createdAt: number;
}

interface Row {
  cidr: string;
  note: string;
  created_at: number;
}

const toRow = (r: Row): WhitelistRow => ({ cidr: r.cidr, note: r.note, createdAt: r.created_at });

/** The `whitelist` table; entries are stored as CIDR blocks. */
export class WhitelistRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Adds an address, CIDR block or broadcast-form entry (see `parseWhitelistEntry`). Throws
   * InvalidAddressError for bad input and {@link ConflictError} when the block is listed.
   */
  async add(entry: string, note = ''): Promise<WhitelistRow & { form: WhitelistForm }> {
    const parsed = parseWhitelistEntry(entry);
    const row = (
      await this.db.all<Row>(
        'INSERT INTO whitelist (cidr, note, created_at) VALUES (?, ?, ?) ON CONFLICT (cidr) DO NOTHING RETURNING *',
        [parsed.cidr, note, this.clock()],
      )
    )[0];
    if (!row) throw new ConflictError(`${parsed.cidr} is already on the white list`);
    return { ...toRow(row), form: parsed.form };
  }

  /** Removes the entry `entry` normalises to; throws {@link NotFoundError} when absent. */
  async remove(entry: string): Promise<WhitelistRow> {
    const parsed = parseWhitelistEntry(entry);
    const row = (
      await this.db.all<Row>('DELETE FROM whitelist WHERE cidr = ? RETURNING *', [parsed.cidr])
    )[0];
    if (!row) throw new NotFoundError('white-list entry', parsed.cidr);
    return toRow(row);
  }

  async list(): Promise<WhitelistRow[]> {
    return (await this.db.all<Row>('SELECT * FROM whitelist ORDER BY created_at, cidr')).map(toRow);
  }

  /** A matcher over the current entries (load once, test many addresses). */
  async matcher(): Promise<AddressMatcher> {
    const rows = await this.db.all<{ cidr: string }>('SELECT cidr FROM whitelist');
    return new AddressMatcher(rows.map((r) => r.cidr));
  }

  /** True when `ip` is inside an entry. */
  async allows(ip: string): Promise<boolean> {
    return (await this.matcher()).has(ip);
  }
}
