import type { Database } from '../database';

/** One instant message (RFC 3428), stored for history and offline delivery. */
export interface StoredMessage {
  id: number;
  /** A station number, or `pbx` for messages the PBX sends itself. */
  fromTel: string;
  toTel: string;
  contentType: string;
  body: string;
  createdAt: number;
  /** Null while the message waits for its recipient to register. */
  deliveredAt: number | null;
}

/** Input of {@link MessageRepo.add}. */
export interface NewMessage {
  fromTel: string;
  toTel: string;
  contentType?: string;
  body: string;
  /** Epoch ms; defaults to the repository's clock. */
  createdAt?: number;
  deliveredAt?: number | null;
}

interface MessageRow {
  id: number;
  from_tel: string;
  to_tel: string;
  content_type: string;
  body: string;
  created_at: number;
  delivered_at: number | null;
}

function fromRow(r: MessageRow): StoredMessage {
  return {
    id: r.id,
    fromTel: r.from_tel,
    toTel: r.to_tel,
    contentType: r.content_type,
    body: r.body,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  };
}

/**
 * The `messages` table: history of instant messages and the queue of undelivered ones. Inserts
 * bump the `messages` change counter (the running PBX delivers what `pbx message send` queued).
 */
export class MessageRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  async add(m: NewMessage): Promise<StoredMessage> {
    const createdAt = m.createdAt ?? this.clock();
    const r = await this.db.run(
      `INSERT INTO messages (from_tel, to_tel, content_type, body, created_at, delivered_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [m.fromTel, m.toTel, m.contentType ?? 'text/plain', m.body, createdAt, m.deliveredAt ?? null],
    );
    return {
      id: r.lastId,
      fromTel: m.fromTel,
      toTel: m.toTel,
      contentType: m.contentType ?? 'text/plain',
      body: m.body,
      createdAt,
      deliveredAt: m.deliveredAt ?? null,
    };
  }

  /** Undelivered messages to `toTel` (every recipient when omitted), oldest first. */
  async pending(toTel?: string): Promise<StoredMessage[]> {
    const rows =
      toTel === undefined
        ? await this.db.all<MessageRow>(
            'SELECT * FROM messages WHERE delivered_at IS NULL ORDER BY id',
          )
        : await this.db.all<MessageRow>(
            'SELECT * FROM messages WHERE delivered_at IS NULL AND to_tel = ? ORDER BY id',
            [toTel],
          );
    return rows.map(fromRow);
  }

  async markDelivered(id: number, at: number = this.clock()): Promise<void> {
    await this.db.run('UPDATE messages SET delivered_at = ? WHERE id = ?', [at, id]);
  }

  /**
   * History, newest first: every message when `ext` is omitted, those from or to `ext`, or
   * between `ext` and `peer`.
   */
  async list(opts: { ext?: string; peer?: string; limit?: number } = {}): Promise<StoredMessage[]> {
    const limit = opts.limit ?? 100;
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.ext !== undefined && opts.peer !== undefined) {
      where.push('((from_tel = ? AND to_tel = ?) OR (from_tel = ? AND to_tel = ?))');
      params.push(opts.ext, opts.peer, opts.peer, opts.ext);
    } else if (opts.ext !== undefined) {
      where.push('(from_tel = ? OR to_tel = ?)');
      params.push(opts.ext, opts.ext);
    }
    const rows = await this.db.all<MessageRow>(
      `SELECT * FROM messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map(fromRow);
  }
}
