import type { Database } from '../database';

/** An IP address blocked (by Comm Exclusive or by hand) until a time. */
export interface Block {
  ip: string;
  /** Epoch ms when the block ends. */
  blockedUntil: number;
  reason: string;
  /** Failed attempts that led to the block. */
  failures: number;
  blockedAt: number;
}

/** Input of {@link BlockRepo.block}. */
export interface BlockInput {
  ip: string;
  blockedUntil: number;
  reason?: string;
  failures?: number;
}

interface Row {
  ip: string;
  blocked_until: number;
  reason: string;
  failures: number;
  blocked_at: number;
}

const toBlock = (r: Row): Block => ({
  ip: r.ip,
  blockedUntil: r.blocked_until,
  reason: r.reason,
  failures: r.failures,
  blockedAt: r.blocked_at,
});

/** The `blocks` table. Expired rows stay until {@link purgeExpired}; readers pass a time. */
export class BlockRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Blocks `ip` until `blockedUntil`, replacing an earlier block of the same address. */
  async block(input: BlockInput): Promise<Block> {
    const row = (
      await this.db.all<Row>(
        `INSERT INTO blocks (ip, blocked_until, reason, failures, blocked_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (ip) DO UPDATE SET blocked_until = excluded.blocked_until, reason = excluded.reason,
         failures = excluded.failures, blocked_at = excluded.blocked_at
       RETURNING *`,
        [input.ip, input.blockedUntil, input.reason ?? '', input.failures ?? 0, this.clock()],
      )
    )[0];
    return toBlock(row as Row);
  }

  /** The block of `ip` still in force at `now`, if any. */
  async get(ip: string, now: number = this.clock()): Promise<Block | undefined> {
    const row = await this.db.get<Row>('SELECT * FROM blocks WHERE ip = ? AND blocked_until > ?', [
      ip,
      now,
    ]);
    return row ? toBlock(row) : undefined;
  }

  async isBlocked(ip: string, now: number = this.clock()): Promise<boolean> {
    return (await this.get(ip, now)) !== undefined;
  }

  /** Blocks in force at `activeAt` (default now), or every row with `{ all: true }`. */
  async list(options: { activeAt?: number; all?: boolean } = {}): Promise<Block[]> {
    const rows = options.all
      ? await this.db.all<Row>('SELECT * FROM blocks ORDER BY blocked_at, ip')
      : await this.db.all<Row>(
          'SELECT * FROM blocks WHERE blocked_until > ? ORDER BY blocked_at, ip',
          [options.activeAt ?? this.clock()],
        );
    return rows.map(toBlock);
  }

  /** Lifts the block of `ip` (expired or not); true when there was a row. */
  async remove(ip: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM blocks WHERE ip = ?', [ip])).changes > 0;
  }

  /** Deletes blocks that ended by `now`; returns how many. */
  async purgeExpired(now: number = this.clock()): Promise<number> {
    return (await this.db.run('DELETE FROM blocks WHERE blocked_until <= ?', [now])).changes;
  }
}
