import type { Database, Queryable } from '../database';
import { computeHa1, type PasswordCipher } from '../credentials';
import { ConflictError, LicenceError, NotFoundError } from '../errors';
import { readPaged } from '../paged-read';

/** Where hold tone comes from ("Tone Source"). */
export type ToneSource = 'system' | 'phone';
/** How DTMF is sent to the station ("DTMF Type"). */
export type DtmfType = 'rfc2833' | 'info';
/** `required`: the station must use SRTP whatever its transport; `policy`: `security.srtp` decides. */
export type StationSrtp = 'policy' | 'required';
/** How the insert trunk port is used ("Insert Trunk Type"). */
export type InsertTrunkType = 'incoming' | 'outgoing' | 'none';
/** How the station is found behind NAT ("NAT Check"). */
export type NatCheck = 'ip' | 'ip-port';

/** Every per-station setting besides the credentials ("Settings in SIP Phone Information"). */
export interface StationSettings {
  /** Display name shown as the calling name. */
  name: string;
  toneSource: ToneSource;
  /** Stored and shown, but inactive: SIP stations have no call waiting on OfficeServ. */
  callWaiting: boolean;
  /** Station that gets calls while this one is not registered. */
  forwardUnreachable: string | null;
  dtmfType: DtmfType;
  /** LCR access code, trunk number or trunk group (digits; empty when unused). */
  insertTrunkPort: string;
  insertTrunkType: InsertTrunkType;
  natCheck: NatCheck;
  useWhitelist: boolean;
  /** Pickup group number, 0 for none (default 1). */
  pickupGroup: number;
  forwardAll: string | null;
  forwardBusy: string | null;
  forwardNoAnswer: string | null;
  forwardBusyNoAnswer: string | null;
  /** Seconds before a no-answer forward; null means the system default. */
  forwardNoAnswerTimer: number | null;
  dnd: boolean;
  /** Challenge this station's INVITEs with 407 (digest) besides the source check. */
  challengeInvites: boolean;
  srtp: StationSrtp;
  /**
   * The administrator's status text, shown to presence watchers as the PIDF note ('' = none);
   * a note the client publishes itself wins while it lives.
   */
  statusText: string;
}

/** A station as stored, without its credentials. */
export interface Station extends StationSettings {
  tel: string;
  userId: string;
  createdAt: number;
  updatedAt: number;
}

/** Input of {@link StationRepo.create}; settings not given take their defaults. */
export interface NewStation extends Partial<StationSettings> {
  tel: string;
  /** Authentication user ID; defaults to the tel number. */
  userId?: string;
  /** Clear password: stored as HA1 and encrypted, never in clear. */
  password: string;
}

/** Input of {@link StationRepo.update}: only the fields given change. */
export interface StationPatch extends Partial<StationSettings> {
  userId?: string;
  password?: string;
}

/** What the registrar needs to check a digest response. */
export interface StationCredentials {
  tel: string;
  userId: string;
  realm: string;
  ha1: string;
}

/** Defaults of a new station (OfficeServ defaults where the manual gives one). */
export const STATION_DEFAULTS: Readonly<StationSettings> = Object.freeze({
  name: '',
  toneSource: 'system',
  callWaiting: false,
  forwardUnreachable: null,
  dtmfType: 'rfc2833',
  insertTrunkPort: '',
  insertTrunkType: 'none',
  natCheck: 'ip',
  useWhitelist: true,
  pickupGroup: 1,
  forwardAll: null,
  forwardBusy: null,
  forwardNoAnswer: null,
  forwardBusyNoAnswer: null,
  forwardNoAnswerTimer: null,
  dnd: false,
  challengeInvites: false,
  srtp: 'policy',
  statusText: '',
});

const COLUMNS: Record<keyof StationSettings, string> = {
  name: 'name',
  toneSource: 'tone_source',
  callWaiting: 'call_waiting',
  forwardUnreachable: 'forward_unreachable',
  dtmfType: 'dtmf_type',
  insertTrunkPort: 'insert_trunk_port',
  insertTrunkType: 'insert_trunk_type',
  natCheck: 'nat_check',
  useWhitelist: 'use_whitelist',
  pickupGroup: 'pickup_group',
  forwardAll: 'forward_all',
  forwardBusy: 'forward_busy',
  forwardNoAnswer: 'forward_no_answer',
  forwardBusyNoAnswer: 'forward_busy_no_answer',
  forwardNoAnswerTimer: 'forward_no_answer_timer',
  dnd: 'dnd',
  challengeInvites: 'challenge_invites',
  srtp: 'srtp',
  statusText: 'status_text',
};

const BOOLEAN_SETTINGS = new Set<keyof StationSettings>([
  'callWaiting',
  'useWhitelist',
  'dnd',
  'challengeInvites',
]);
const SETTING_KEYS = Object.keys(COLUMNS) as (keyof StationSettings)[];
/**
 * Settings whose columns a later migration added (0008: challenge_invites, 0012: status_text,
 * 0018: srtp).
 */
const LATER_COLUMNS = new Set<keyof StationSettings>(['challengeInvites', 'statusText', 'srtp']);

interface StationRow {
  tel: string;
  user_id: string;
  ha1: string;
  ha1_realm: string;
  password_enc: string;
  name: string;
  tone_source: ToneSource;
  call_waiting: number;
  forward_unreachable: string | null;
  dtmf_type: DtmfType;
  insert_trunk_port: string;
  insert_trunk_type: InsertTrunkType;
  nat_check: NatCheck;
  use_whitelist: number;
  pickup_group: number;
  forward_all: string | null;
  forward_busy: string | null;
  forward_no_answer: string | null;
  forward_busy_no_answer: string | null;
  forward_no_answer_timer: number | null;
  dnd: number;
  challenge_invites: number;
  /** Absent in a database migrated only up to 0017 (upgrade tests). */
  srtp?: StationSrtp;
  /** Absent in a database migrated only up to 0011 (upgrade tests). */
  status_text?: string;
  created_at: number;
  updated_at: number;
}

function toStation(r: StationRow): Station {
  return {
    tel: r.tel,
    userId: r.user_id,
    name: r.name,
    toneSource: r.tone_source,
    callWaiting: r.call_waiting === 1,
    forwardUnreachable: r.forward_unreachable,
    dtmfType: r.dtmf_type,
    insertTrunkPort: r.insert_trunk_port,
    insertTrunkType: r.insert_trunk_type,
    natCheck: r.nat_check,
    useWhitelist: r.use_whitelist === 1,
    pickupGroup: r.pickup_group,
    forwardAll: r.forward_all,
    forwardBusy: r.forward_busy,
    forwardNoAnswer: r.forward_no_answer,
    forwardBusyNoAnswer: r.forward_busy_no_answer,
    forwardNoAnswerTimer: r.forward_no_answer_timer,
    dnd: r.dnd === 1,
    challengeInvites: r.challenge_invites === 1,
    srtp: r.srtp ?? 'policy',
    statusText: r.status_text ?? '',
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toColumnValue(key: keyof StationSettings, value: unknown): unknown {
  if (BOOLEAN_SETTINGS.has(key)) return value ? 1 : 0;
  return value;
}

// Numeric order for digit strings of different lengths ("99" before "100").
const ORDER = 'ORDER BY length(tel), tel';
/** The rows after (length, tel) `(?, ?)` in {@link ORDER}: the next page of a paged read. */
const AFTER = '(length(tel), tel) > (?, ?)';

/** Options of writes that derive HA1: the realm it is computed for. */
export interface RealmOption {
  realm: string;
}

/** Options of {@link StationRepo.update}. */
export interface UpdateOptions extends RealmOption {
  /**
   * Called inside the transaction with the resulting credentials when the user ID or password
   * changes (the stored password decrypted when not given); throw to refuse the change.
   */
  validate?: (credentials: { tel: string; userId: string; password: string }) => void;
}

/** The `stations` table: SIP stations with their settings and credentials. */
export class StationRepo {
  constructor(
    private readonly db: Database,
    private readonly cipher: PasswordCipher,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Creates a station. Throws {@link LicenceError} when `maxStations` stations already exist,
   * {@link ConflictError} when the tel number or user ID is taken, and {@link NotFoundError}
   * when `forwardUnreachable` names no station.
   */
  async create(
    input: NewStation,
    options: RealmOption & { maxStations?: number },
  ): Promise<Station> {
    const userId = input.userId ?? input.tel;
    const settings: StationSettings = { ...STATION_DEFAULTS };
    for (const key of SETTING_KEYS) {
      if (input[key] !== undefined)
        (settings as unknown as Record<string, unknown>)[key] = input[key];
    }
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      if (options.maxStations !== undefined) {
        const n = await countRows(tx);
        if (n >= options.maxStations) throw new LicenceError(options.maxStations);
      }
      if (await tx.get('SELECT 1 FROM stations WHERE tel = ?', [input.tel])) {
        throw new ConflictError(`station ${input.tel} already exists`);
      }
      await assertUserIdFree(tx, userId, input.tel);
      if (settings.forwardUnreachable !== null)
        await assertStation(tx, settings.forwardUnreachable);
      const cols = [
        'tel',
        'user_id',
        'ha1',
        'ha1_realm',
        'password_enc',
        'created_at',
        'updated_at',
      ];
      const values: unknown[] = [
        input.tel,
        userId,
        computeHa1(userId, options.realm, input.password),
        options.realm,
        this.cipher.encrypt(input.password),
        now,
        now,
      ];
      for (const key of SETTING_KEYS) {
        // Columns added by later migrations are left to their default when at it, so stations
        // can still be created in a database migrated only part way (upgrade tests).
        if (LATER_COLUMNS.has(key) && settings[key] === STATION_DEFAULTS[key]) continue;
        cols.push(COLUMNS[key]);
        values.push(toColumnValue(key, settings[key]));
      }
      await tx.run(
        `INSERT INTO stations (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
        values,
      );
      return mustGet(tx, input.tel);
    });
  }

  /**
   * Changes the given fields. A new user ID or password recomputes HA1 for `realm`; a new user
   * ID alone needs the stored password, so it fails with SecretKeyError without the key file.
   */
  async update(tel: string, patch: StationPatch, options: UpdateOptions): Promise<Station> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get<StationRow>('SELECT * FROM stations WHERE tel = ?', [tel]);
      if (!row) throw new NotFoundError('station', tel);
      const sets: string[] = [];
      const values: unknown[] = [];
      const userId = patch.userId ?? row.user_id;
      if (patch.userId !== undefined && patch.userId !== row.user_id) {
        await assertUserIdFree(tx, patch.userId, tel);
        sets.push('user_id = ?');
        values.push(patch.userId);
      }
      if (patch.password !== undefined || userId !== row.user_id) {
        const password = patch.password ?? this.cipher.decrypt(row.password_enc);
        options.validate?.({ tel, userId, password });
        sets.push('ha1 = ?', 'ha1_realm = ?', 'password_enc = ?');
        values.push(
          computeHa1(userId, options.realm, password),
          options.realm,
          this.cipher.encrypt(password),
        );
      }
      if (patch.forwardUnreachable != null) await assertStation(tx, patch.forwardUnreachable);
      for (const key of SETTING_KEYS) {
        if (patch[key] === undefined) continue;
        sets.push(`${COLUMNS[key]} = ?`);
        values.push(toColumnValue(key, patch[key]));
      }
      if (sets.length > 0) {
        sets.push('updated_at = ?');
        values.push(this.clock(), tel);
        await tx.run(`UPDATE stations SET ${sets.join(', ')} WHERE tel = ?`, values);
      }
      return mustGet(tx, tel);
    });
  }

  /**
   * Deletes a station and its registrations. Stations that forwarded unreachable calls to it
   * lose that forward; their tel numbers are returned.
   */
  async remove(tel: string): Promise<{ station: Station; clearedForwardFrom: string[] }> {
    return this.db.transaction(async (tx) => {
      const station = await tx.get<StationRow>('SELECT * FROM stations WHERE tel = ?', [tel]);
      if (!station) throw new NotFoundError('station', tel);
      const refs = await tx.all<{ tel: string }>(
        `SELECT tel FROM stations WHERE forward_unreachable = ? ${ORDER}`,
        [tel],
      );
      await tx.run('DELETE FROM stations WHERE tel = ?', [tel]);
      return { station: toStation(station), clearedForwardFrom: refs.map((r) => r.tel) };
    });
  }

  async get(tel: string): Promise<Station | undefined> {
    const row = await this.db.get<StationRow>('SELECT * FROM stations WHERE tel = ?', [tel]);
    return row ? toStation(row) : undefined;
  }

  async findByUserId(userId: string): Promise<Station | undefined> {
    const row = await this.db.get<StationRow>('SELECT * FROM stations WHERE user_id = ?', [userId]);
    return row ? toStation(row) : undefined;
  }

  async exists(tel: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 FROM stations WHERE tel = ?', [tel])) !== undefined;
  }

  async list(): Promise<Station[]> {
    return readPaged<StationRow, Station>(
      (after, limit) =>
        after === undefined
          ? this.db.all(`SELECT * FROM stations ${ORDER} LIMIT ?`, [limit])
          : this.db.all(`SELECT * FROM stations WHERE ${AFTER} ${ORDER} LIMIT ?`, [
              after.tel.length,
              after.tel,
              limit,
            ]),
      toStation,
    );
  }

  async count(): Promise<number> {
    return countRows(this.db);
  }

  /**
   * The credentials of a station for `realm`. When HA1 was stored for another realm (the domain
   * changed since), it is derived from the encrypted password; throws SecretKeyError when that
   * cannot be decrypted.
   */
  async getCredentials(tel: string, realm: string): Promise<StationCredentials | undefined> {
    // `all` rather than `get`: its statement is kept prepared (Database.all).
    const [row] = await this.db.all<
      Pick<StationRow, 'tel' | 'user_id' | 'ha1' | 'ha1_realm' | 'password_enc'>
    >('SELECT tel, user_id, ha1, ha1_realm, password_enc FROM stations WHERE tel = ?', [tel]);
    if (!row) return undefined;
    const ha1 =
      row.ha1_realm === realm
        ? row.ha1
        : computeHa1(row.user_id, realm, this.cipher.decrypt(row.password_enc));
    return { tel: row.tel, userId: row.user_id, realm, ha1 };
  }

  /**
   * The credentials of every station whose stored HA1 is for `realm`, in one query (the registrar
   * loads them at start-up instead of one query per station at its first REGISTER). Stations
   * with an HA1 for another realm are left out: {@link getCredentials} derives theirs.
   */
  async listCredentials(realm: string): Promise<StationCredentials[]> {
    return readPaged<Pick<StationRow, 'tel' | 'user_id' | 'ha1'>, StationCredentials>(
      (after, limit) =>
        this.db.all(
          'SELECT tel, user_id, ha1 FROM stations WHERE ha1_realm = ? AND tel > ? ORDER BY tel LIMIT ?',
          [realm, after?.tel ?? '', limit],
        ),
      (r) => ({ tel: r.tel, userId: r.user_id, realm, ha1: r.ha1 }),
    );
  }

  /**
   * Recomputes the stored HA1 of every station for a new realm (after `sip.domain` changed).
   * Stations whose password does not decrypt keep their old HA1 and are listed in `failed`.
   */
  async rehash(realm: string): Promise<{ updated: number; failed: string[] }> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.all<Pick<StationRow, 'tel' | 'user_id' | 'password_enc'>>(
        `SELECT tel, user_id, password_enc FROM stations WHERE ha1_realm <> ? ${ORDER}`,
        [realm],
      );
      const failed: string[] = [];
      let updated = 0;
      for (const r of rows) {
        let password: string;
        try {
          password = this.cipher.decrypt(r.password_enc);
        } catch {
          failed.push(r.tel);
          continue;
        }
        await tx.run('UPDATE stations SET ha1 = ?, ha1_realm = ? WHERE tel = ?', [
          computeHa1(r.user_id, realm, password),
          realm,
          r.tel,
        ]);
        updated++;
      }
      return { updated, failed };
    });
  }
}

async function countRows(q: Queryable): Promise<number> {
  const row = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM stations');
  return row?.n ?? 0;
}

async function assertUserIdFree(q: Queryable, userId: string, tel: string): Promise<void> {
  const other = await q.get<{ tel: string }>(
    'SELECT tel FROM stations WHERE user_id = ? AND tel <> ?',
    [userId, tel],
  );
  if (other) throw new ConflictError(`user ID ${userId} is already used by station ${other.tel}`);
}

async function assertStation(q: Queryable, tel: string): Promise<void> {
  if (!(await q.get('SELECT 1 FROM stations WHERE tel = ?', [tel]))) {
    throw new NotFoundError('station', tel);
  }
}

async function mustGet(q: Queryable, tel: string): Promise<Station> {
  const row = await q.get<StationRow>('SELECT * FROM stations WHERE tel = ?', [tel]);
  if (!row) throw new NotFoundError('station', tel);
  return toStation(row);
}
