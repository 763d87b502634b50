import type { Database } from '../database';
import { NotFoundError } from '../errors';

/** A station's mailbox as message-waiting reads it (RFC 3842 `Voice-Message: new/old`). */
export interface Mailbox {
  tel: string;
  newMessages: number;
  oldMessages: number;
  /** Send message-summary NOTIFYs without a subscription (phones that do not SUBSCRIBE). */
  unsolicited: boolean;
  updatedAt: number;
}

interface MailboxRow {
  tel: string;
  new_messages: number;
  old_messages: number;
  unsolicited: number;
  updated_at: number;
}

function fromRow(r: MailboxRow): Mailbox {
  return {
    tel: r.tel,
    newMessages: r.new_messages,
    oldMessages: r.old_messages,
    unsolicited: r.unsolicited === 1,
    updatedAt: r.updated_at,
  };
}

function count(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000)
    throw new RangeError(`${what} must be an integer from 0 to 1000000`);
  return n;
}

/**
 * The `mailboxes` table: one row per station that has had a count or an option set (a station
 * without a row has an empty mailbox, subscription-only). Writes bump the `mailboxes` change
 * counter, so the running PBX notifies the phone at once. The voice-mail issue writes counts here.
 */
export class MailboxRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(tel: string): Promise<Mailbox | undefined> {
    const r = await this.db.get<MailboxRow>('SELECT * FROM mailboxes WHERE tel = ?', [tel]);
    return r ? fromRow(r) : undefined;
  }

  async list(): Promise<Mailbox[]> {
    const rows = await this.db.all<MailboxRow>('SELECT * FROM mailboxes ORDER BY length(tel), tel');
    return rows.map(fromRow);
  }

  /** Sets the counts; throws {@link NotFoundError} when `tel` is not a station. */
  async setCounts(tel: string, newMessages: number, oldMessages: number): Promise<Mailbox> {
    count(newMessages, 'new messages');
    count(oldMessages, 'old messages');
    await this.upsert(
      tel,
      `INSERT INTO mailboxes (tel, new_messages, old_messages, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (tel) DO UPDATE SET new_messages = excluded.new_messages,
         old_messages = excluded.old_messages, updated_at = excluded.updated_at`,
      [tel, newMessages, oldMessages, this.clock()],
    );
    return (await this.get(tel))!;
  }

  /** Turns unsolicited message-summary NOTIFYs on or off for the station. */
  async setUnsolicited(tel: string, on: boolean): Promise<Mailbox> {
    await this.upsert(
      tel,
      `INSERT INTO mailboxes (tel, unsolicited, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (tel) DO UPDATE SET unsolicited = excluded.unsolicited,
         updated_at = excluded.updated_at`,
      [tel, on ? 1 : 0, this.clock()],
    );
    return (await this.get(tel))!;
  }

  private async upsert(tel: string, sql: string, params: unknown[]): Promise<void> {
    const station = await this.db.get('SELECT 1 AS x FROM stations WHERE tel = ?', [tel]);
    if (!station) throw new NotFoundError('station', tel);
    await this.db.run(sql, params);
  }
}
