import type { Database } from '../database';
import { NotFoundError } from '../errors';

/** An external contact: shared (`ownerTel` null, the administrator's) or a station's own. */
export interface ContactRow {
  id: number;
  /** The station whose personal contact this is; null for a shared contact. */
  ownerTel: string | null;
  name: string;
  /** What is dialled to call it (a station number, or trunk access code + digits). */
  number: string;
  notes: string;
  createdAt: number;
  updatedAt: number;
}

/** The fields a contact is created or changed with. */
export interface ContactInput {
  name: string;
  number: string;
  notes?: string;
}

interface Row {
  id: number;
  owner_tel: string | null;
  name: string;
  number: string;
  notes: string;
  created_at: number;
  updated_at: number;
}

const toRow = (r: Row): ContactRow => ({
  id: r.id,
  ownerTel: r.owner_tel,
  name: r.name,
  number: r.number,
  notes: r.notes,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Escapes LIKE wildcards so a search for `50%` means those characters. */
const likeOf = (q: string): string => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The `contacts` table (migration 0017). */
export class ContactRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The contacts a station user sees: the shared ones and `viewer`'s own (every contact when
   * `viewer` is null: the administrator). `q` matches name, number or notes, case-insensitively.
   */
  async list(options: {
    viewer: string | null;
    q?: string;
    limit?: number;
  }): Promise<ContactRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.viewer !== null) {
      where.push('(owner_tel IS NULL OR owner_tel = ?)');
      params.push(options.viewer);
    }
    if (options.q) {
      where.push(
        "(name LIKE ? ESCAPE '\\' OR number LIKE ? ESCAPE '\\' OR notes LIKE ? ESCAPE '\\')",
      );
      const like = likeOf(options.q);
      params.push(like, like, like);
    }
    params.push(options.limit ?? 500);
    const rows = await this.db.all<Row>(
      `SELECT * FROM contacts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY name COLLATE NOCASE, id LIMIT ?`,
      params,
    );
    return rows.map(toRow);
  }

  async get(id: number): Promise<ContactRow | undefined> {
    const row = await this.db.get<Row>('SELECT * FROM contacts WHERE id = ?', [id]);
    return row ? toRow(row) : undefined;
  }

  /** Adds a contact; `ownerTel` null for a shared one. */
  async add(ownerTel: string | null, input: ContactInput): Promise<ContactRow> {
    const now = this.clock();
    const row = (
      await this.db.all<Row>(
        `INSERT INTO contacts (owner_tel, name, number, notes, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
        [ownerTel, input.name, input.number, input.notes ?? '', now, now],
      )
    )[0];
    if (!row) throw new Error('contact not inserted');
    return toRow(row);
  }

  /** Changes the given fields; throws {@link NotFoundError} when there is no such contact. */
  async update(id: number, change: Partial<ContactInput>): Promise<ContactRow> {
    const old = await this.get(id);
    if (!old) throw new NotFoundError('contact', String(id));
    const row = (
      await this.db.all<Row>(
        'UPDATE contacts SET name = ?, number = ?, notes = ?, updated_at = ? WHERE id = ? RETURNING *',
        [
          change.name ?? old.name,
          change.number ?? old.number,
          change.notes ?? old.notes,
          this.clock(),
          id,
        ],
      )
    )[0];
    if (!row) throw new NotFoundError('contact', String(id));
    return toRow(row);
  }

  /** Removes a contact; throws {@link NotFoundError} when there is no such contact. */
  async remove(id: number): Promise<ContactRow> {
    const row = (await this.db.all<Row>('DELETE FROM contacts WHERE id = ? RETURNING *', [id]))[0];
    if (!row) throw new NotFoundError('contact', String(id));
    return toRow(row);
  }
}
