import type { Database, Queryable } from '../database';
import type { PasswordCipher } from '../credentials';
import { ConflictError, NotFoundError } from '../errors';

/** The transport towards the provider. */
export type TrunkTransport = 'udp' | 'tcp' | 'tls';

/** A trunk's settings, as `pbx trunk add|set` gives them (the password apart). */
export interface TrunkSettings {
  /** False: kept but unused (unregistered, no calls either way). Migration 0015. */
  enabled: boolean;
  host: string;
  port: number;
  transport: TrunkTransport;
  /** `host[:port]` every request goes through first; '' for none. */
  outboundProxy: string;
  /** True: REGISTER with digest; false: IP-authenticated trunk. */
  register: boolean;
  /** The account at the provider (user part of From, To and Contact). */
  username: string;
  /** Digest user name; '' means `username`. */
  authUser: string;
  /** The provider's realm; '' accepts the realm of the challenge. */
  realm: string;
  /** Domain of our From/To; '' means `host`. */
  domain: string;
  /** Registration time asked for (s). */
  expires: number;
  /** Number presented to the provider; '' means `username`. */
  callerId: string;
  /** Hide the caller: `From: "Anonymous" <sip:anonymous@anonymous.invalid>` and `Privacy: id`. */
  anonymous: boolean;
  /** Simultaneous calls; 0 = unlimited. */
  maxChannels: number;
  /** Codecs offered (rtpmap names), in preference order. */
  codecs: string[];
  /** Further addresses (IPs or CIDRs) the provider sends calls from. */
  inboundAddresses: string[];
}

/** A trunk as stored, without its password. */
export interface Trunk extends TrunkSettings {
  name: string;
  /** True when a password is stored. */
  hasPassword: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Input of {@link TrunkRepo.create}. */
export interface NewTrunk extends Partial<TrunkSettings> {
  name: string;
  host: string;
  /** Clear password: stored encrypted (AES-256-GCM), never in clear. */
  password?: string;
}

/** Input of {@link TrunkRepo.update}: only the fields given change. */
export interface TrunkPatch extends Partial<TrunkSettings> {
  password?: string;
}

/** A DID and where its calls go. */
export interface TrunkDid {
  did: string;
  trunk: string;
  /** Station or ring group number; '' = the operator station. */
  target: string;
}

/** One LCR row. */
export interface TrunkRoute {
  prefix: string;
  trunk: string;
  priority: number;
  strip: number;
  addPrefix: string;
}

/** Registration state the PBX writes and `pbx trunk list` reads. */
export type TrunkState = 'registering' | 'registered' | 'failed' | 'unregistered' | 'ip';

export interface TrunkStatus {
  trunk: string;
  state: TrunkState;
  lastError: string;
  /** Registered: when it runs out; failed: the next attempt. */
  untilAt: number | null;
  updatedAt: number;
}

/** Settings a new trunk takes when not given. */
export const TRUNK_DEFAULTS: Omit<TrunkSettings, 'host'> = {
  enabled: true,
  port: 5060,
  transport: 'udp',
  outboundProxy: '',
  register: true,
  username: '',
  authUser: '',
  realm: '',
  domain: '',
  expires: 3600,
  callerId: '',
  anonymous: false,
  maxChannels: 0,
  codecs: ['PCMU', 'PCMA'],
  inboundAddresses: [],
};

interface TrunkRow {
  name: string;
  enabled: number;
  host: string;
  port: number;
  transport: TrunkTransport;
  outbound_proxy: string;
  register: number;
  username: string;
  auth_user: string;
  password_enc: string;
  realm: string;
  domain: string;
  expires: number;
  caller_id: string;
  anonymous: number;
  max_channels: number;
  codecs: string;
  inbound_addresses: string;
  created_at: number;
  updated_at: number;
}

const list = (s: string): string[] => (s === '' ? [] : s.split(','));

const toTrunk = (r: TrunkRow): Trunk => ({
  name: r.name,
  enabled: r.enabled === 1,
  host: r.host,
  port: r.port,
  transport: r.transport,
  outboundProxy: r.outbound_proxy,
  register: r.register === 1,
  username: r.username,
  authUser: r.auth_user,
  realm: r.realm,
  domain: r.domain,
  expires: r.expires,
  callerId: r.caller_id,
  anonymous: r.anonymous === 1,
  maxChannels: r.max_channels,
  codecs: list(r.codecs),
  inboundAddresses: list(r.inbound_addresses),
  hasPassword: r.password_enc !== '',
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const COLUMNS: Record<keyof TrunkSettings, string> = {
  enabled: 'enabled',
  host: 'host',
  port: 'port',
  transport: 'transport',
  outboundProxy: 'outbound_proxy',
  register: 'register',
  username: 'username',
  authUser: 'auth_user',
  realm: 'realm',
  domain: 'domain',
  expires: 'expires',
  callerId: 'caller_id',
  anonymous: 'anonymous',
  maxChannels: 'max_channels',
  codecs: 'codecs',
  inboundAddresses: 'inbound_addresses',
};

function columnValue(key: keyof TrunkSettings, value: TrunkSettings[keyof TrunkSettings]): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return value.join(',');
  void key;
  return value;
}

/**
 * The trunk tables: `trunks` (password encrypted with the station password key), `trunk_dids`,
 * `trunk_routes` (LCR) and `trunk_status`. Writes to the first three bump the `trunks` change
 * counter; status writes do not. Input validation is the caller's (`@pbx/config` trunk schema);
 * the tables' CHECKs are the last line.
 */
export class TrunkRepo {
  constructor(
    private readonly db: Database,
    private readonly cipher: PasswordCipher,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Adds a trunk; ConflictError when the name is taken or a registering trunk lacks credentials. */
  async create(input: NewTrunk): Promise<Trunk> {
    const s: TrunkSettings = { ...TRUNK_DEFAULTS, ...stripUndefined(input), host: input.host };
    checkCredentials(s, input.password !== undefined && input.password !== '');
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      if (await tx.get('SELECT 1 FROM trunks WHERE name = ?', [input.name]))
        throw new ConflictError(`trunk ${input.name} already exists`);
      const keys = Object.keys(COLUMNS) as (keyof TrunkSettings)[];
      await tx.run(
        `INSERT INTO trunks (name, ${keys.map((k) => COLUMNS[k]).join(', ')}, password_enc,
           created_at, updated_at) VALUES (?, ${keys.map(() => '?').join(', ')}, ?, ?, ?)`,
        [
          input.name,
          ...keys.map((k) => columnValue(k, s[k])),
          input.password ? this.cipher.encrypt(input.password) : '',
          now,
          now,
        ],
      );
      return mustGet(tx, input.name);
    });
  }

  /** Changes the given fields; NotFoundError for an unknown trunk. */
  async update(name: string, patch: TrunkPatch): Promise<Trunk> {
    return this.db.transaction(async (tx) => {
      const current = await mustGet(tx, name);
      const next: TrunkSettings = { ...current, ...stripUndefined(patch) };
      checkCredentials(next, current.hasPassword || Boolean(patch.password));
      const sets: string[] = [];
      const params: unknown[] = [];
      for (const k of Object.keys(COLUMNS) as (keyof TrunkSettings)[]) {
        if (patch[k] === undefined) continue;
        sets.push(`${COLUMNS[k]} = ?`);
        params.push(columnValue(k, patch[k]));
      }
      if (patch.password !== undefined) {
        sets.push('password_enc = ?');
        params.push(patch.password === '' ? '' : this.cipher.encrypt(patch.password));
      }
      if (sets.length === 0) return current;
      sets.push('updated_at = ?');
      params.push(this.clock(), name);
      await tx.run(`UPDATE trunks SET ${sets.join(', ')} WHERE name = ?`, params);
      return mustGet(tx, name);
    });
  }

  /** Deletes a trunk with its DIDs, routes and status. */
  async remove(name: string): Promise<void> {
    const r = await this.db.run('DELETE FROM trunks WHERE name = ?', [name]);
    if (r.changes === 0) throw new NotFoundError('trunk', name);
  }

  async get(name: string): Promise<Trunk | undefined> {
    return getTrunk(this.db, name);
  }

  async list(): Promise<Trunk[]> {
    const rows = await this.db.all<TrunkRow>('SELECT * FROM trunks ORDER BY name');
    return rows.map(toTrunk);
  }

  /** The clear digest password (for the PBX only); '' when none. SecretKeyError without the key. */
  async password(name: string): Promise<string> {
    const row = await this.db.get<{ password_enc: string }>(
      'SELECT password_enc FROM trunks WHERE name = ?',
      [name],
    );
    if (!row) throw new NotFoundError('trunk', name);
    return row.password_enc === '' ? '' : this.cipher.decrypt(row.password_enc);
  }

  /** Routes a DID to a target (replacing an earlier route of the same DID on the same trunk). */
  async setDid(did: TrunkDid): Promise<void> {
    await this.db.transaction(async (tx) => {
      await mustGet(tx, did.trunk);
      const other = await tx.get<{ trunk: string }>('SELECT trunk FROM trunk_dids WHERE did = ?', [
        did.did,
      ]);
      if (other && other.trunk !== did.trunk)
        throw new ConflictError(`DID ${did.did} already belongs to trunk ${other.trunk}`);
      await tx.run(
        `INSERT INTO trunk_dids (did, trunk, target, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (did) DO UPDATE SET target = excluded.target`,
        [did.did, did.trunk, did.target, this.clock()],
      );
    });
  }

  async removeDid(trunk: string, did: string): Promise<void> {
    const r = await this.db.run('DELETE FROM trunk_dids WHERE did = ? AND trunk = ?', [did, trunk]);
    if (r.changes === 0) throw new NotFoundError('DID', `${did} of trunk ${trunk}`);
  }

  async dids(trunk?: string): Promise<TrunkDid[]> {
    return this.db.all<TrunkDid>(
      `SELECT did, trunk, target FROM trunk_dids ${trunk === undefined ? '' : 'WHERE trunk = ?'}
       ORDER BY did`,
      trunk === undefined ? [] : [trunk],
    );
  }

  /** Adds or replaces the LCR row for (prefix, trunk). */
  async setRoute(route: TrunkRoute): Promise<void> {
    await this.db.transaction(async (tx) => {
      await mustGet(tx, route.trunk);
      await tx.run(
        `INSERT INTO trunk_routes (prefix, trunk, priority, strip, add_prefix, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (prefix, trunk) DO UPDATE SET priority = excluded.priority,
           strip = excluded.strip, add_prefix = excluded.add_prefix`,
        [route.prefix, route.trunk, route.priority, route.strip, route.addPrefix, this.clock()],
      );
    });
  }

  async removeRoute(prefix: string, trunk: string): Promise<void> {
    const r = await this.db.run('DELETE FROM trunk_routes WHERE prefix = ? AND trunk = ?', [
      prefix,
      trunk,
    ]);
    if (r.changes === 0)
      throw new NotFoundError('route', `${prefix === '' ? '(any)' : prefix} via ${trunk}`);
  }

  /** Every LCR row, by prefix then priority. */
  async routes(): Promise<TrunkRoute[]> {
    return this.db.all<TrunkRoute>(
      `SELECT prefix, trunk, priority, strip, add_prefix AS addPrefix FROM trunk_routes
       ORDER BY prefix, priority, trunk`,
    );
  }

  /** Records what the registration runner saw (the trunk may have been removed meanwhile). */
  async setStatus(status: Omit<TrunkStatus, 'updatedAt'>): Promise<void> {
    await this.db.run(
      `INSERT INTO trunk_status (trunk, state, last_error, until_at, updated_at)
       SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM trunks WHERE name = ?)
       ON CONFLICT (trunk) DO UPDATE SET state = excluded.state, last_error = excluded.last_error,
         until_at = excluded.until_at, updated_at = excluded.updated_at`,
      [status.trunk, status.state, status.lastError, status.untilAt, this.clock(), status.trunk],
    );
  }

  async statuses(): Promise<TrunkStatus[]> {
    return this.db.all<TrunkStatus>(
      `SELECT trunk, state, last_error AS lastError, until_at AS untilAt, updated_at AS updatedAt
       FROM trunk_status ORDER BY trunk`,
    );
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkCredentials(s: TrunkSettings, hasPassword: boolean): void {
  if (!s.register) return;
  if (s.username === '' || !hasPassword)
    throw new ConflictError(
      'a registering trunk needs a username and a password (or --register off for an IP-authenticated trunk)',
    );
}

async function getTrunk(q: Queryable, name: string): Promise<Trunk | undefined> {
  const row = await q.get<TrunkRow>('SELECT * FROM trunks WHERE name = ?', [name]);
  return row ? toTrunk(row) : undefined;
}

async function mustGet(q: Queryable, name: string): Promise<Trunk> {
  const t = await getTrunk(q, name);
  if (!t) throw new NotFoundError('trunk', name);
  return t;
}
