import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Database, Queryable } from '../database';
import { NotFoundError } from '../errors';
import { readPaged } from '../paged-read';

/** A station's voice-mail options (defaults for a station without a row). */
export interface VoicemailBox {
  tel: string;
  /** Calls that find no one go to the mailbox (and the access code lets the owner in). */
  enabled: boolean;
  /** True when a PIN is set (the hash itself never leaves the repository's callers' hands). */
  hasPin: boolean;
  /** The salted scrypt hash of the PIN, `''` when none is set. */
  pinHash: string;
  /** Which unreached calls go to voice mail. */
  onNoAnswer: boolean;
  onBusy: boolean;
  onDnd: boolean;
  onUnregistered: boolean;
  /** The station's own greeting (file name in its mailbox folder); `''`: the default one. */
  greeting: string;
  updatedAt: number;
}

export type VoicemailBoxPatch = Partial<
  Pick<
    VoicemailBox,
    'enabled' | 'pinHash' | 'onNoAnswer' | 'onBusy' | 'onDnd' | 'onUnregistered' | 'greeting'
  >
>;

/** One kept message. `file` is relative to the voice-mail folder. */
export interface VoicemailMessage {
  id: number;
  tel: string;
  callerTel: string;
  callerName: string;
  receivedAt: number;
  durationMs: number;
  file: string;
  heard: boolean;
}

export type NewVoicemailMessage = Omit<VoicemailMessage, 'id' | 'heard'>;

interface BoxRow {
  tel: string;
  enabled: number;
  pin_hash: string;
  on_no_answer: number;
  on_busy: number;
  on_dnd: number;
  on_unregistered: number;
  greeting: string;
  updated_at: number;
}

interface MessageRow {
  id: number;
  tel: string;
  caller_tel: string;
  caller_name: string;
  received_at: number;
  duration_ms: number;
  file: string;
  heard: number;
}

const BOX_COLUMNS: Record<keyof VoicemailBoxPatch, keyof BoxRow> = {
  enabled: 'enabled',
  pinHash: 'pin_hash',
  onNoAnswer: 'on_no_answer',
  onBusy: 'on_busy',
  onDnd: 'on_dnd',
  onUnregistered: 'on_unregistered',
  greeting: 'greeting',
};

function boxFromRow(r: BoxRow): VoicemailBox {
  return {
    tel: r.tel,
    enabled: r.enabled === 1,
    hasPin: r.pin_hash !== '',
    pinHash: r.pin_hash,
    onNoAnswer: r.on_no_answer === 1,
    onBusy: r.on_busy === 1,
    onDnd: r.on_dnd === 1,
    onUnregistered: r.on_unregistered === 1,
    greeting: r.greeting,
    updatedAt: r.updated_at,
  };
}

function defaultBox(tel: string): VoicemailBox {
  return {
    tel,
    enabled: true,
    hasPin: false,
    pinHash: '',
    onNoAnswer: true,
    onBusy: true,
    onDnd: true,
    onUnregistered: true,
    greeting: '',
    updatedAt: 0,
  };
}

function messageFromRow(r: MessageRow): VoicemailMessage {
  return {
    id: r.id,
    tel: r.tel,
    callerTel: r.caller_tel,
    callerName: r.caller_name,
    receivedAt: r.received_at,
    durationMs: r.duration_ms,
    file: r.file,
    heard: r.heard === 1,
  };
}

/** A voice-mail PIN: 4 to 10 digits. */
export const PIN_PATTERN = /^[0-9]{4,10}$/;

/** The stored form of a PIN: `scrypt$<salt>$<hash>` (hex), salted per station. */
export function hashPin(pin: string): string {
  if (!PIN_PATTERN.test(pin)) throw new RangeError('a PIN is 4 to 10 digits');
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(pin, salt, 32).toString('hex')}`;
}

/** True when `pin` matches `stored` (constant-time compare; false for a malformed hash). */
export function verifyPin(pin: string, stored: string): boolean {
  const [kind, saltHex, hashHex] = stored.split('$');
  if (kind !== 'scrypt' || !saltHex || !hashHex || pin.length > 32) return false;
  const want = Buffer.from(hashHex, 'hex');
  if (want.length !== 32) return false;
  const got = scryptSync(pin, Buffer.from(saltHex, 'hex'), 32);
  return timingSafeEqual(got, want);
}

/** A mailbox's options and counts for display (no secrets). */
export interface VoicemailSummary {
  enabled: boolean;
  pin: 'set' | 'none';
  onNoAnswer: boolean;
  onBusy: boolean;
  onDnd: boolean;
  onUnregistered: boolean;
  greeting: 'default' | 'own';
  newMessages: number;
  oldMessages: number;
}

/**
 * Voice mail: the `voicemail_boxes` options and the `voicemail_messages` metadata. Writes bump the
 * `voicemail` change counter. {@link syncCounts} copies the message counts into `mailboxes`, which
 * lights the phone's message-waiting lamp.
 */
export class VoicemailRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The station's options; defaults when none were set. Throws NotFoundError for no station. */
  async box(tel: string): Promise<VoicemailBox> {
    await this.station(tel);
    const r = await this.db.get<BoxRow>('SELECT * FROM voicemail_boxes WHERE tel = ?', [tel]);
    return r ? boxFromRow(r) : defaultBox(tel);
  }

  /**
   * The station's options and message counts as `pbx ext show` and the API show them: whether a
   * PIN is set, never the PIN or its hash. Throws NotFoundError for no station.
   */
  async summary(tel: string): Promise<VoicemailSummary> {
    const b = await this.box(tel);
    const c = await this.counts(tel);
    return {
      enabled: b.enabled,
      pin: b.hasPin ? 'set' : 'none',
      onNoAnswer: b.onNoAnswer,
      onBusy: b.onBusy,
      onDnd: b.onDnd,
      onUnregistered: b.onUnregistered,
      greeting: b.greeting === '' ? 'default' : 'own',
      newMessages: c.newMessages,
      oldMessages: c.oldMessages,
    };
  }

  /** Every station's options (stations without a row get the defaults). */
  async boxes(): Promise<VoicemailBox[]> {
    const select =
      'SELECT s.tel AS station, b.* FROM stations s LEFT JOIN voicemail_boxes b ON b.tel = s.tel';
    const order = 'ORDER BY length(s.tel), s.tel LIMIT ?';
    return readPaged<BoxRow & { station: string }, VoicemailBox>(
      (after, limit) =>
        after === undefined
          ? this.db.all(`${select} ${order}`, [limit])
          : this.db.all(`${select} WHERE (length(s.tel), s.tel) > (?, ?) ${order}`, [
              after.station.length,
              after.station,
              limit,
            ]),
      (r) => (r.tel ? boxFromRow(r) : defaultBox(r.station)),
    );
  }

  async setBox(tel: string, patch: VoicemailBoxPatch): Promise<VoicemailBox> {
    await this.station(tel);
    const keys = (Object.keys(patch) as Array<keyof VoicemailBoxPatch>).filter(
      (k) => patch[k] !== undefined,
    );
    await this.db.run(
      'INSERT INTO voicemail_boxes (tel, updated_at) VALUES (?, ?) ON CONFLICT (tel) DO NOTHING',
      [tel, this.clock()],
    );
    if (keys.length > 0) {
      const sets = keys.map((k) => `${BOX_COLUMNS[k]} = ?`).join(', ');
      const values = keys.map((k) => {
        const v = patch[k];
        return typeof v === 'boolean' ? (v ? 1 : 0) : v;
      });
      await this.db.run(`UPDATE voicemail_boxes SET ${sets}, updated_at = ? WHERE tel = ?`, [
        ...values,
        this.clock(),
        tel,
      ]);
    }
    return this.box(tel);
  }

  /** Keeps a message whose file is complete; returns it with its id. */
  async addMessage(m: NewVoicemailMessage): Promise<VoicemailMessage> {
    const rows = await this.db.all<MessageRow>(
      `INSERT INTO voicemail_messages (tel, caller_tel, caller_name, received_at, duration_ms, file)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      [m.tel, m.callerTel, m.callerName, m.receivedAt, m.durationMs, m.file],
    );
    return messageFromRow(rows[0]!);
  }

  /** The station's messages (every station's when `tel` is undefined): new first, oldest first. */
  async messages(tel?: string): Promise<VoicemailMessage[]> {
    const rows =
      tel === undefined
        ? await this.db.all<MessageRow>(
            'SELECT * FROM voicemail_messages ORDER BY length(tel), tel, heard, received_at, id',
          )
        : await this.db.all<MessageRow>(
            'SELECT * FROM voicemail_messages WHERE tel = ? ORDER BY heard, received_at, id',
            [tel],
          );
    return rows.map(messageFromRow);
  }

  async message(tel: string, id: number): Promise<VoicemailMessage | undefined> {
    const r = await this.db.get<MessageRow>(
      'SELECT * FROM voicemail_messages WHERE tel = ? AND id = ?',
      [tel, id],
    );
    return r ? messageFromRow(r) : undefined;
  }

  async markHeard(tel: string, id: number): Promise<void> {
    await this.db.run('UPDATE voicemail_messages SET heard = 1 WHERE tel = ? AND id = ?', [
      tel,
      id,
    ]);
  }

  /** Deletes the row; returns it (its file is the caller's to remove), undefined when absent. */
  async deleteMessage(tel: string, id: number): Promise<VoicemailMessage | undefined> {
    const rows = await this.db.all<MessageRow>(
      'DELETE FROM voicemail_messages WHERE tel = ? AND id = ? RETURNING *',
      [tel, id],
    );
    return rows[0] ? messageFromRow(rows[0]) : undefined;
  }

  /** Every message file name (start-up clean-up compares it with the folder). */
  async files(): Promise<Set<string>> {
    const rows = await this.db.all<{ file: string }>('SELECT file FROM voicemail_messages');
    return new Set(rows.map((r) => r.file));
  }

  async counts(
    tel: string,
    db: Queryable = this.db,
  ): Promise<{ newMessages: number; oldMessages: number }> {
    const r = await db.get<{ n: number | null; o: number | null }>(
      `SELECT SUM(heard = 0) AS n, SUM(heard = 1) AS o FROM voicemail_messages WHERE tel = ?`,
      [tel],
    );
    return { newMessages: r?.n ?? 0, oldMessages: r?.o ?? 0 };
  }

  /**
   * Copies the station's counts into `mailboxes` (the CLI's way to move the lamp; the running
   * PBX writes them through its mailbox interface instead). Returns them.
   */
  async syncCounts(tel: string): Promise<{ newMessages: number; oldMessages: number }> {
    const c = await this.counts(tel);
    await this.db.run(
      `INSERT INTO mailboxes (tel, new_messages, old_messages, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (tel) DO UPDATE SET new_messages = excluded.new_messages,
         old_messages = excluded.old_messages, updated_at = excluded.updated_at`,
      [tel, c.newMessages, c.oldMessages, this.clock()],
    );
    return c;
  }

  private async station(tel: string): Promise<void> {
    const s = await this.db.get('SELECT 1 AS x FROM stations WHERE tel = ?', [tel]);
    if (!s) throw new NotFoundError('station', tel);
  }
}
