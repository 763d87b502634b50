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
  /**
   * Null while the message waits for its recipient to register. A group message carries the
   * time the PBX took it; each member's delivery is in {@link QueuedMessage}.
   */
  deliveredAt: number | null;
  /** The chat group (`toTel` is then its number); null for one-to-one messages. */
  groupId: number | null;
}

/** A message waiting for one recipient: one-to-one, or a group message for one member. */
export interface QueuedMessage extends StoredMessage {
  /** The station it waits for (`toTel` of a one-to-one message, the member for a group's). */
  recipient: string;
}

/**
 * Where one member's copy of a group message is: `delivered` (a phone took it), `waiting`
 * (offline, or not tried yet), `failed` (the phone answered an error; it stays queued and is
 * tried again when the phone registers).
 */
export type DeliveryState = 'delivered' | 'waiting' | 'failed';

/** One member's copy of a group message. */
export interface MemberDelivery {
  tel: string;
  state: DeliveryState;
  /** SIP status of the last attempt (null: not tried yet). */
  status: number | null;
  /** When it was delivered, or last tried (epoch ms); null when never tried. */
  at: number | null;
}

/** One page of a group's history. */
export interface GroupHistoryEntry extends StoredMessage {
  /** Members the message still waits for (offline since it was written, or failed). */
  waitingFor: string[];
  /** Every other member's copy, in numeric order of the station. */
  deliveries: MemberDelivery[];
}

/** The state of a delivery row (pure): see {@link DeliveryState}. */
export function deliveryState(row: {
  delivered_at: number | null;
  last_status: number | null;
}): DeliveryState {
  if (row.delivered_at !== null) return 'delivered';
  // 480: no phone registered to try (offline), which is waiting rather than refused.
  if (row.last_status !== null && row.last_status >= 300 && row.last_status !== 480)
    return 'failed';
  return 'waiting';
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
  group_id: number | null;
}

interface DeliveryRow {
  message_id: number;
  tel: string;
  delivered_at: number | null;
  last_status: number | null;
  last_try_at: number | null;
}

function toDelivery(r: DeliveryRow): MemberDelivery {
  return {
    tel: r.tel,
    state: deliveryState(r),
    status: r.last_status,
    at: r.delivered_at ?? r.last_try_at,
  };
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
    groupId: r.group_id ?? null,
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
      groupId: null,
    };
  }

  /**
   * Stores a message to a chat group once (from `m.fromTel` to the group's number) and queues it
   * for each of `recipients` (the other members), in one transaction: the `messages` change
   * counter wakes a running PBX only once every delivery row is there.
   */
  async addToGroup(
    m: NewMessage & { groupId: number },
    recipients: readonly string[],
  ): Promise<StoredMessage> {
    const createdAt = m.createdAt ?? this.clock();
    const contentType = m.contentType ?? 'text/plain';
    return this.db.transaction(async (tx) => {
      const r = await tx.run(
        `INSERT INTO messages (from_tel, to_tel, content_type, body, created_at, delivered_at, group_id)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [m.fromTel, m.toTel, contentType, m.body, createdAt, createdAt, m.groupId],
      );
      for (const tel of recipients)
        await tx.run('INSERT INTO chat_deliveries (message_id, tel) VALUES (?, ?)', [
          r.lastId,
          tel,
        ]);
      return {
        id: r.lastId,
        fromTel: m.fromTel,
        toTel: m.toTel,
        contentType,
        body: m.body,
        createdAt,
        deliveredAt: createdAt,
        groupId: m.groupId,
      };
    });
  }

  /**
   * Everything waiting for `recipient` (every recipient when omitted), one-to-one and group
   * messages together, oldest first: the order they are delivered in.
   */
  async queue(recipient?: string): Promise<QueuedMessage[]> {
    const one = recipient === undefined ? '' : 'AND m.to_tel = ?';
    const many = recipient === undefined ? '' : 'AND d.tel = ?';
    const rows = await this.db.all<MessageRow & { recipient: string }>(
      `SELECT m.*, m.to_tel AS recipient FROM messages m
       WHERE m.delivered_at IS NULL AND m.group_id IS NULL ${one}
       UNION ALL
       SELECT m.*, d.tel AS recipient FROM chat_deliveries d JOIN messages m ON m.id = d.message_id
       WHERE d.delivered_at IS NULL ${many}
       ORDER BY id`,
      recipient === undefined ? [] : [recipient, recipient],
    );
    return rows.map((r) => ({ ...fromRow(r), recipient: r.recipient }));
  }

  /** Marks a queued message delivered to its recipient. */
  async markQueuedDelivered(
    q: QueuedMessage,
    at: number = this.clock(),
    status = 200,
  ): Promise<void> {
    if (q.groupId === null) return this.markDelivered(q.id, at);
    await this.db.run(
      `UPDATE chat_deliveries SET delivered_at = ?, last_status = ?, last_try_at = ?
       WHERE message_id = ? AND tel = ?`,
      [at, status, at, q.id, q.recipient],
    );
  }

  /**
   * Records a failed attempt at a member's copy of a group message (one-to-one messages keep no
   * attempts). Returns the member's delivery as it now is, or undefined for no such row.
   */
  async recordAttempt(
    q: QueuedMessage,
    status: number,
    at: number = this.clock(),
  ): Promise<MemberDelivery | undefined> {
    if (q.groupId === null) return undefined;
    await this.db.run(
      `UPDATE chat_deliveries SET last_status = ?, last_try_at = ?
       WHERE message_id = ? AND tel = ? AND delivered_at IS NULL`,
      [status, at, q.id, q.recipient],
    );
    return this.delivery(q.id, q.recipient);
  }

  /** One member's copy of a group message. */
  async delivery(messageId: number, tel: string): Promise<MemberDelivery | undefined> {
    const row = await this.db.get<DeliveryRow>(
      'SELECT * FROM chat_deliveries WHERE message_id = ? AND tel = ?',
      [messageId, tel],
    );
    return row ? toDelivery(row) : undefined;
  }

  /**
   * A group's history, newest first: at most `limit` messages, older than message `before` when
   * given (paging back), each with the members it still waits for.
   */
  async groupHistory(
    groupId: number,
    opts: { before?: number; limit?: number } = {},
  ): Promise<GroupHistoryEntry[]> {
    const rows = await this.db.all<MessageRow>(
      `SELECT * FROM messages WHERE group_id = ? ${opts.before !== undefined ? 'AND id < ?' : ''}
       ORDER BY id DESC LIMIT ?`,
      [groupId, ...(opts.before !== undefined ? [opts.before] : []), opts.limit ?? 100],
    );
    if (rows.length === 0) return [];
    const copies = await this.db.all<DeliveryRow>(
      `SELECT * FROM chat_deliveries
       WHERE message_id BETWEEN ? AND ? ORDER BY length(tel), tel`,
      [rows[rows.length - 1]!.id, rows[0]!.id],
    );
    const byMessage = new Map<number, MemberDelivery[]>();
    for (const c of copies) {
      const list = byMessage.get(c.message_id) ?? [];
      list.push(toDelivery(c));
      byMessage.set(c.message_id, list);
    }
    return rows.map((r) => {
      const deliveries = byMessage.get(r.id) ?? [];
      const waitingFor = deliveries.filter((d) => d.state !== 'delivered').map((d) => d.tel);
      return { ...fromRow(r), waitingFor, deliveries };
    });
  }

  /** How many messages each chat group holds, by group id (groups without any are absent). */
  async groupCounts(): Promise<Map<number, number>> {
    const rows = await this.db.all<{ group_id: number; n: number }>(
      `SELECT group_id, COUNT(*) AS n FROM messages WHERE group_id IS NOT NULL GROUP BY group_id`,
    );
    return new Map(rows.map((r) => [r.group_id, r.n]));
  }

  /**
   * Undelivered one-to-one messages to `toTel` (every recipient when omitted), oldest first.
   * Group messages wait per member: see {@link queue}.
   */
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
   * History, newest first: every message (group ones too) when `ext` is omitted, the one-to-one
   * messages from or to `ext`, or between `ext` and `peer`.
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
    if (opts.ext !== undefined) where.push('group_id IS NULL');
    const rows = await this.db.all<MessageRow>(
      `SELECT * FROM messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map(fromRow);
  }
}
