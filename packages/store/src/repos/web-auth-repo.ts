import type { Database } from '../database';
import { NotFoundError } from '../errors';
import { hashWebPassword, verifyWebPassword } from '../web-passwords';

/**
 * The web console's credentials (migration 0014): the administrator account(s) and each
 * station's CTI password. Only hashes are stored; `verify*` compares in constant time.
 */
export class WebAuthRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Sets (or creates) the administrator `name`'s console password. */
  async setAdminPassword(password: string, name = 'admin'): Promise<void> {
    const hash = await hashWebPassword(password);
    await this.db.run(
      `INSERT INTO web_admins (name, password_hash, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,
         updated_at = excluded.updated_at`,
      [name, hash, this.clock()],
    );
  }

  /** True when an administrator account exists. */
  async hasAdmin(name = 'admin'): Promise<boolean> {
    const row = await this.db.get<{ n: number }>(
      'SELECT count(*) AS n FROM web_admins WHERE name = ?',
      [name],
    );
    return (row?.n ?? 0) > 0;
  }

  /** True when `password` is the administrator `name`'s password. */
  async verifyAdmin(name: string, password: string): Promise<boolean> {
    const row = await this.db.get<{ password_hash: string }>(
      'SELECT password_hash FROM web_admins WHERE name = ?',
      [name],
    );
    return row ? verifyWebPassword(password, row.password_hash) : false;
  }

  /** Sets station `tel`'s CTI password; NotFoundError when there is no such station. */
  async setCtiPassword(tel: string, password: string): Promise<void> {
    const station = await this.db.get<{ tel: string }>('SELECT tel FROM stations WHERE tel = ?', [
      tel,
    ]);
    if (!station) throw new NotFoundError('station', tel);
    const hash = await hashWebPassword(password);
    await this.db.run(
      `INSERT INTO cti_passwords (tel, password_hash, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (tel) DO UPDATE SET password_hash = excluded.password_hash,
         updated_at = excluded.updated_at`,
      [tel, hash, this.clock()],
    );
  }

  /** Removes station `tel`'s CTI password (the station can no longer log in). */
  async clearCtiPassword(tel: string): Promise<boolean> {
    const r = await this.db.run('DELETE FROM cti_passwords WHERE tel = ?', [tel]);
    return r.changes > 0;
  }

  /** True when station `tel` has a CTI password. */
  async hasCtiPassword(tel: string): Promise<boolean> {
    const row = await this.db.get<{ n: number }>(
      'SELECT count(*) AS n FROM cti_passwords WHERE tel = ?',
      [tel],
    );
    return (row?.n ?? 0) > 0;
  }

  /** True when `password` is station `tel`'s CTI password. */
  async verifyCti(tel: string, password: string): Promise<boolean> {
    const row = await this.db.get<{ password_hash: string }>(
      'SELECT password_hash FROM cti_passwords WHERE tel = ?',
      [tel],
    );
    return row ? verifyWebPassword(password, row.password_hash) : false;
  }
}
