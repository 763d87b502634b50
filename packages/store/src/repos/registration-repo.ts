import type { Database } from '../database';
import { RegistrationUpserts, type UpsertResult } from './registration-upserts';

/** Transport a contact registered over. */
export type SipProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** A contact bound to a station by REGISTER. */
export interface Registration {
  id: number;
  tel: string;
  /** The Contact URI as the phone sent it. */
  contact: string;
  /** Where the REGISTER came from (the public address behind NAT). */
  sourceIp: string;
  sourcePort: number;
  protocol: SipProtocol;
  userAgent: string;
  /** Epoch ms after which the binding is gone. */
  expiresAt: number;
  callId: string;
  cseq: number;
  /** Registrar-specific details (JSON object). */
  extra: Record<string, unknown>;
  registeredAt: number;
  updatedAt: number;
}

/** Input of {@link RegistrationRepo.upsert}. */
export interface RegistrationInput {
  tel: string;
  contact: string;
  sourceIp: string;
  sourcePort: number;
  protocol: SipProtocol;
  userAgent?: string;
  expiresAt: number;
  callId: string;
  cseq: number;
  extra?: Record<string, unknown>;
}

interface RegistrationRow {
  id: number;
  tel: string;
  contact: string;
  source_ip: string;
  source_port: number;
  protocol: SipProtocol;
  user_agent: string;
  expires_at: number;
  call_id: string;
  cseq: number;
  extra: string;
  registered_at: number;
  updated_at: number;
}

function parseExtra(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function toRegistration(r: RegistrationRow): Registration {
  return {
    id: r.id,
    tel: r.tel,
    contact: r.contact,
    sourceIp: r.source_ip,
    sourcePort: r.source_port,
    protocol: r.protocol,
    userAgent: r.user_agent,
    expiresAt: r.expires_at,
    callId: r.call_id,
    cseq: r.cseq,
    extra: parseExtra(r.extra),
    registeredAt: r.registered_at,
    updatedAt: r.updated_at,
  };
}

const ORDER = 'ORDER BY length(tel), tel, registered_at, id';

/**
 * The `registrations` table: several contacts per station, keyed by (tel, contact). Expired
 * rows stay until {@link purgeExpired}; readers pass `activeAt` to ignore them.
 */
export class RegistrationRepo {
  private writes = 0;

  /** Counts writes made through this repository, so callers can cache reads between them. */
  get version(): number {
    return this.writes;
  }

  private readonly upserts: RegistrationUpserts;

  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {
    this.upserts = new RegistrationUpserts(db);
  }

  /**
   * Adds or refreshes the binding of `contact` to `tel` (the station must exist). Resolves once
   * the row is committed; concurrent upserts share one transaction and few statements
   * ({@link RegistrationUpserts}). The result is the input as stored, with the row's id and first
   * registration time from the database; `extra` is the object given (it must be JSON).
   */
  async upsert(input: RegistrationInput): Promise<Registration> {
    this.writes++;
    const now = this.clock();
    const userAgent = input.userAgent ?? '';
    const extra = input.extra ?? {};
    const { id, registeredAt } = await this.upserts.write({ ...input, userAgent, extra }, now);
    return {
      id,
      tel: input.tel,
      contact: input.contact,
      sourceIp: input.sourceIp,
      sourcePort: input.sourcePort,
      protocol: input.protocol,
      userAgent,
      expiresAt: input.expiresAt,
      callId: input.callId,
      cseq: input.cseq,
      extra,
      registeredAt,
      updatedAt: now,
    };
  }

  /**
   * Writes `binding` as it is (a registration kept in memory: its own id, registration and update
   * times are not written; the row's update time is now). Resolves, once committed like
   * {@link upsert}, with only what the database decides: the row's id, its first registration
   * time and the update time written. No copy of `binding` is made: it must not change until then.
   */
  upsertBinding(binding: Registration): Promise<UpsertResult> {
    this.writes++;
    return this.upserts.write(binding, this.clock());
  }

  async get(tel: string, contact: string): Promise<Registration | undefined> {
    const row = await this.db.get<RegistrationRow>(
      'SELECT * FROM registrations WHERE tel = ? AND contact = ?',
      [tel, contact],
    );
    return row ? toRegistration(row) : undefined;
  }

  /** Removes one binding; true when it existed. */
  async remove(tel: string, contact: string): Promise<boolean> {
    this.writes++;
    const r = await this.db.run('DELETE FROM registrations WHERE tel = ? AND contact = ?', [
      tel,
      contact,
    ]);
    return r.changes > 0;
  }

  /** Removes every binding of a station (`Contact: *`); returns how many. */
  async removeAll(tel: string): Promise<number> {
    this.writes++;
    return (await this.db.run('DELETE FROM registrations WHERE tel = ?', [tel])).changes;
  }

  /** Bindings of one station; with `activeAt`, only those not expired at that time. */
  async listByTel(tel: string, options: { activeAt?: number } = {}): Promise<Registration[]> {
    const rows =
      options.activeAt === undefined
        ? await this.db.all<RegistrationRow>(`SELECT * FROM registrations WHERE tel = ? ${ORDER}`, [
            tel,
          ])
        : await this.db.all<RegistrationRow>(
            `SELECT * FROM registrations WHERE tel = ? AND expires_at > ? ${ORDER}`,
            [tel, options.activeAt],
          );
    return rows.map(toRegistration);
  }

  /** Every binding; with `activeAt`, only those not expired at that time. */
  async list(options: { activeAt?: number } = {}): Promise<Registration[]> {
    const rows =
      options.activeAt === undefined
        ? await this.db.all<RegistrationRow>(`SELECT * FROM registrations ${ORDER}`)
        : await this.db.all<RegistrationRow>(
            `SELECT * FROM registrations WHERE expires_at > ? ${ORDER}`,
            [options.activeAt],
          );
    return rows.map(toRegistration);
  }

  /** Bindings expired at `now` (expires_at <= now). */
  async expired(now: number = this.clock()): Promise<Registration[]> {
    const rows = await this.db.all<RegistrationRow>(
      `SELECT * FROM registrations WHERE expires_at <= ? ${ORDER}`,
      [now],
    );
    return rows.map(toRegistration);
  }

  /** Deletes bindings expired at `now`; returns how many. */
  async purgeExpired(now: number = this.clock()): Promise<number> {
    return (await this.db.run('DELETE FROM registrations WHERE expires_at <= ?', [now])).changes;
  }

  /** Number of distinct stations with a live binding (what the licence counts). */
  async countRegisteredStations(now: number = this.clock()): Promise<number> {
    const row = await this.db.get<{ n: number }>(
      'SELECT COUNT(DISTINCT tel) AS n FROM registrations WHERE expires_at > ?',
      [now],
    );
    return row?.n ?? 0;
  }

  /** True when the station has at least one live binding. */
  async isRegistered(tel: string, now: number = this.clock()): Promise<boolean> {
    return (
      (await this.db.get('SELECT 1 FROM registrations WHERE tel = ? AND expires_at > ? LIMIT 1', [
        tel,
        now,
      ])) !== undefined
    );
  }
}
