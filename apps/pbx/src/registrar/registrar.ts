/**
 * The registrar: decides the answer to one REGISTER (RFC 3261 §10.3 with the OfficeServ rules)
 * and keeps the bindings. It sees plain data ({@link RegisterRequest}) and returns what to send
 * ({@link RegisterOutcome}); install.ts connects it to drachtio-srf.
 *
 * Order of checks, cheapest first, so a flood costs as little as possible:
 *   1. Comm Exclusive: a blocked source address is refused (403) or dropped, before anything else.
 *   2. No or unusable credentials, foreign realm, bad or stale nonce → 401 challenge (no database).
 *   3. The station (To user = tel number) → unknown: 403; digest username ≠ its user ID: 403;
 *      wrong response: 403. Each counts towards the retry limit and is written to the access log.
 *   4. Nonce count replay → new 401 challenge.
 *   5. White list (when the station uses it) → 403 (counts); licence full → 403 (does not count).
 *   6. Contacts are bound, refreshed or removed; 200 lists every live binding with its expiry.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AccessLogRepo, Registration, RegistrationRepo, SipProtocol } from '@pbx/store';
import type { CommExclusive } from './comm-exclusive';
import type { BindingTable } from './bindings';
import { licenceAllows, whitelistAllows, type WhitelistCache } from './access-checks';
import {
  checkDigestForm,
  formatChallenge,
  nonceCount,
  parseDigestCredentials,
  verifyDigest,
  sameDigestUri,
  type DigestCredentials,
} from './digest';
import { isBehindNat, type PacketSource } from './nat';
import type { NonceService, ValidNonce } from './nonce';
import { REFUSALS, type RefusalKind } from './refusals';
import { reasonPhrase } from '../sip/status';
import {
  parseContacts,
  parseTopVia,
  userOfNameAddr,
  type ContactValue,
} from '../sip/header-values';
import type { CredentialDirectory, DirectoryEntry } from './credential-directory';
import { ownString, ownUnlessKept } from './own-string';

/** The parts of a REGISTER the registrar reads. Header values are as received (joined by commas). */
export interface RegisterRequest {
  requestUri: string;
  to: string | undefined;
  callId: string;
  cseq: number;
  contact: string | undefined;
  expires: string | undefined;
  authorization: string | undefined;
  via: string | undefined;
  userAgent: string | undefined;
  source: PacketSource;
}

/** A binding made without a REGISTER ({@link Registrar.addBinding}). */
export interface StaticBinding {
  tel: string;
  contact: string;
  sourceIp: string;
  sourcePort: number;
  protocol?: SipProtocol;
  userAgent?: string;
  /** Epoch ms. */
  expiresAt: number;
  callId?: string;
}

/** What to do with the request. */
export type RegisterOutcome =
  | { kind: 'drop' }
  | { kind: 'reply'; status: number; phrase?: string; headers: Record<string, string> };

/** Options read for every request (live configuration). */
export interface RegistrarSettings {
  realm: string;
  /** SIP Expire Time (s). */
  expireTime: number;
  /** NAT Reg Expire Time (s). */
  natRegExpireTime: number;
  maxStations: number;
  commExclusive: 'response' | 'no-response';
}

export interface RegistrarDeps {
  registrations: Pick<RegistrationRepo, 'upsert' | 'upsertBinding' | 'remove'>;
  accessLog: Pick<AccessLogRepo, 'add'>;
  directory: CredentialDirectory;
  whitelist: Pick<WhitelistCache, 'has'>;
  comm: CommExclusive;
  nonces: NonceService;
  bindings: BindingTable;
  settings: () => RegistrarSettings;
  log: Logger;
  now: () => number;
}

/** Events for other modules: a contact was bound (new or refreshed) or unbound. */
export interface RegistrarEvents {
  bound: [registration: Registration, fresh: boolean];
  unbound: [
    registration: Registration,
    cause: 'unregistered' | 'expired' | 'station-removed' | 'replaced',
  ];
}

/** Extra details stored with each registration (the `extra` JSON column). */
export interface RegistrationExtra {
  /** Contact header parameters other than expires, as sent (e.g. `;+sip.instance="..."`). */
  contactParams: string;
  natted: boolean;
  requestedExpires: number;
  grantedExpires: number;
}

const DROP: RegisterOutcome = { kind: 'drop' };
/** Largest Expires value RFC 3261 allows (2^32 - 1). */
const MAX_EXPIRES = 4294967295;

function parseDeltaSeconds(text: string | null | undefined): number | undefined {
  if (text === undefined || text === null) return undefined;
  const t = text.trim();
  if (!/^\d{1,10}$/.test(t)) return undefined;
  return Math.min(Number(t), MAX_EXPIRES);
}

export class Registrar extends EventEmitter<RegistrarEvents> {
  /** Opaque value of our challenges (echoed by clients, not relied on). */
  private readonly opaque = randomBytes(8).toString('hex');

  /** The Date header of the current second (it has a resolution of one second). */
  private date = { second: NaN, text: '' };

  constructor(private readonly deps: RegistrarDeps) {
    super();
  }

  private dateHeader(now: number): string {
    const second = Math.floor(now / 1000);
    if (second !== this.date.second) this.date = { second, text: new Date(now).toUTCString() };
    return this.date.text;
  }

  /**
   * Decides the answer to one REGISTER and applies it to the bindings. Answers that need no
   * database (challenges, Comm Exclusive verdicts: half of all REGISTERs) are returned at once,
   * not as a promise, so the SIP port can send them in the same turn.
   */
  handle(req: RegisterRequest): RegisterOutcome | Promise<RegisterOutcome> {
    const { comm, nonces, log } = this.deps;
    const now = this.deps.now();
    const src = req.source;
    const admission = comm.admission(src.ip, now);
    if (admission === 'drop') return DROP;
    if (admission === 'refuse') return reply(403, reasonPhrase(403));

    const named = userOfNameAddr(req.to) ?? '';
    const forStation = comm.stationAdmission(src.ip, named, now);
    if (forStation === 'drop') return DROP;
    if (forStation === 'refuse') return reply(403, reasonPhrase(403));

    const s = this.deps.settings();
    if (req.authorization === undefined) return this.challenge(s.realm, now, false);
    const creds = parseDigestCredentials(req.authorization);
    if (!creds || creds.realm !== s.realm || checkDigestForm(creds) !== undefined) {
      log.debug({ ip: src.ip, port: src.port }, 'unusable credentials, challenging again');
      return this.challenge(s.realm, now, false);
    }
    const nonce = nonces.check(creds.nonce, now);
    if (nonce.kind === 'invalid') return this.challenge(s.realm, now, false);
    if (nonce.kind === 'stale') return this.challenge(s.realm, now, true);

    const tel = named;
    if (!sameDigestUri(creds.uri, req.requestUri))
      return this.refuse('digest-uri-mismatch', req, creds, tel, now);
    return this.authenticate(tel, req, creds, nonce, s, now);
  }

  /**
   * The rest of {@link handle} for well-formed credentials with a valid nonce. Known stations are
   * in memory: no await (and no promise of its own) for them.
   */
  private authenticate(
    tel: string,
    req: RegisterRequest,
    creds: DigestCredentials,
    nonce: ValidNonce,
    s: RegistrarSettings,
    now: number,
  ): RegisterOutcome | Promise<RegisterOutcome> {
    const { directory } = this.deps;
    const entry = tel ? directory.cached(tel) : undefined;
    if (entry === undefined && tel)
      return directory
        .lookup(tel)
        .then((found) => this.authenticated(found, tel, req, creds, nonce, s, now));
    return this.authenticated(entry, tel, req, creds, nonce, s, now);
  }

  /** {@link authenticate} once the station's entry is known (undefined: no such station). */
  private authenticated(
    entry: DirectoryEntry | undefined,
    tel: string,
    req: RegisterRequest,
    creds: DigestCredentials,
    nonce: ValidNonce,
    s: RegistrarSettings,
    now: number,
  ): RegisterOutcome | Promise<RegisterOutcome> {
    const { comm, nonces, log } = this.deps;
    const src = req.source;
    if (!entry) return this.refuse('unknown-station', req, creds, tel, now);
    if (creds.username !== entry.credentials.userId)
      return this.refuse('wrong-user-id', req, creds, tel, now);
    if (!verifyDigest(entry.credentials.ha1, 'REGISTER', creds))
      return this.refuse('bad-password', req, creds, tel, now);
    const use = nonces.use(nonce, nonceCount(creds));
    if (use === 'replayed') {
      log.warn(
        { ip: src.ip, port: src.port, tel },
        'digest nonce count replayed, challenging again',
      );
      return this.challenge(s.realm, now, false);
    }
    if (use === 'forgotten') return this.challenge(s.realm, now, true);
    if (!whitelistAllows(entry.station, src.ip, this.deps.whitelist)) {
      return this.refuse('not-whitelisted', req, creds, tel, now);
    }
    comm.recordSuccess(src.ip, tel, now);
    return this.bind(tel, req, creds, s, now);
  }

  /**
   * Binds `contact` to station `tel` without a REGISTER (a static binding; the call tests
   * register their phones this way). Kept and stored like any other binding.
   */
  async addBinding(b: StaticBinding): Promise<Registration> {
    const now = this.deps.now();
    const previous = this.deps.bindings.get(b.tel, b.contact);
    const stored = await this.deps.registrations.upsert({
      tel: b.tel,
      contact: b.contact,
      sourceIp: b.sourceIp,
      sourcePort: b.sourcePort,
      protocol: b.protocol ?? 'udp',
      userAgent: b.userAgent ?? '',
      expiresAt: b.expiresAt,
      callId: b.callId ?? `static-${b.tel}-${b.sourcePort}`,
      cseq: 1,
    });
    this.deps.bindings.set(stored);
    this.emit('bound', stored, previous === undefined || previous.expiresAt <= now);
    return stored;
  }

  /** Removes every binding of station `tel`, as `Contact: *` does. */
  async removeBindings(tel: string): Promise<void> {
    for (const r of this.deps.bindings.removeAll(tel)) {
      await this.deps.registrations.remove(r.tel, r.contact);
      this.emit('unbound', r, 'unregistered');
    }
  }

  private challenge(realm: string, now: number, stale: boolean): RegisterOutcome {
    const nonce = this.deps.nonces.issue(now);
    return reply(401, reasonPhrase(401), {
      'WWW-Authenticate': formatChallenge({ realm, nonce, opaque: this.opaque, stale }),
    });
  }

  private async refuse(
    kind: RefusalKind,
    req: RegisterRequest,
    creds: DigestCredentials,
    tel: string,
    now: number,
  ): Promise<RegisterOutcome> {
    const r = REFUSALS[kind];
    const { ip, port } = req.source;
    const noResponse = this.deps.settings().commExclusive === 'no-response';
    // Counted before any write, so a flood's next request already meets the block.
    const verdict = r.countsAsFailure ? this.deps.comm.countFailure(ip, port, tel, now) : undefined;
    if (verdict?.kind === 'already-blocked')
      return noResponse ? DROP : reply(403, reasonPhrase(403));
    this.deps.log.warn(
      { ip, port, tel, user: creds.username, reason: r.reason },
      'registration refused',
    );
    await this.deps.accessLog.add({ at: now, ip, port, callerId: tel, reason: r.reason });
    if (verdict?.kind === 'blocked') {
      await verdict.persist();
      // The request that trips the block is the first one left unanswered in no-response mode.
      if (noResponse) return DROP;
    }
    return reply(r.status, r.phrase);
  }

  /**
   * Applies an authenticated REGISTER to the bindings in memory, at once, then returns the promise
   * of its durable write ({@link persist}), which holds only what the answer needs: the request
   * and what was parsed from it are let go before the wait for the COMMIT (objects alive across
   * it outlive a scavenge and fill the old generation under load).
   */
  private bind(
    tel: string,
    req: RegisterRequest,
    creds: DigestCredentials,
    s: RegistrarSettings,
    now: number,
  ): RegisterOutcome | Promise<RegisterOutcome> {
    const { bindings } = this.deps;
    const contacts = parseContacts(req.contact);
    if (!contacts) return reply(400, 'Bad Contact Header');

    if (contacts.some((c) => c.kind === 'star')) {
      // The SIP server already refused `*` with other contacts or a non-zero Expires.
      return this.unbindAll(tel, req.source.ip, now);
    }

    const addresses = contacts.filter(
      (c): c is Extract<ContactValue, { kind: 'address' }> => c.kind === 'address',
    );
    const natted = isBehindNat(req.source, parseTopVia(req.via), addresses);
    const cap = natted ? s.natRegExpireTime : s.expireTime;
    const headerExpires = parseDeltaSeconds(req.expires);
    const adds: Array<{
      contact: Extract<ContactValue, { kind: 'address' }>;
      requested: number;
      granted: number;
    }> = [];
    const removes: string[] = [];
    for (const c of addresses) {
      const requested = parseDeltaSeconds(c.params.get('expires')) ?? headerExpires ?? s.expireTime;
      if (requested === 0) removes.push(c.uri);
      else adds.push({ contact: c, requested, granted: Math.min(requested, cap) });
    }

    const wasRegistered = bindings.isRegistered(tel, now);
    if (
      adds.length > 0 &&
      !licenceAllows(wasRegistered, bindings.registeredStations(now, s.maxStations), s.maxStations)
    ) {
      return this.refuse('licence-full', req, creds, tel, now);
    }

    // Memory first and synchronously (the licence count must see this station at once), then
    // the durable copy.
    const unbound: Array<[Registration, 'unregistered' | 'replaced']> = [];
    for (const uri of removes) {
      const r = bindings.get(tel, uri);
      if (r && bindings.remove(tel, uri)) unbound.push([r, 'unregistered']);
    }
    if (adds.length > 0) {
      // A phone that re-registers under the same Call-ID with a new Contact (new address or
      // port) replaces its old binding instead of leaving it to expire.
      for (const r of bindings.all(tel)) {
        if (
          r.callId === req.callId &&
          !addresses.some((c) => c.uri === r.contact) &&
          bindings.remove(tel, r.contact)
        )
          unbound.push([r, 'replaced']);
      }
    }
    const bound: Array<[Registration, boolean]> = [];
    for (const a of adds) {
      const previous = bindings.get(tel, a.contact.uri);
      const previousParams = previous?.extra.contactParams;
      // Strings of their own (see own-string.ts): a binding lives for up to an hour.
      const extra: RegistrationExtra = {
        contactParams: ownUnlessKept(
          a.contact.otherParams,
          typeof previousParams === 'string' ? previousParams : undefined,
        ),
        natted,
        requestedExpires: a.requested,
        grantedExpires: a.granted,
      };
      const r: Registration = {
        id: previous?.id ?? 0,
        tel: previous?.tel ?? ownString(tel),
        contact: previous?.contact ?? ownString(a.contact.uri),
        sourceIp: ownUnlessKept(req.source.ip, previous?.sourceIp),
        sourcePort: req.source.port,
        protocol: req.source.protocol,
        userAgent: ownUnlessKept(req.userAgent ?? '', previous?.userAgent),
        expiresAt: now + a.granted * 1000,
        callId: ownUnlessKept(req.callId, previous?.callId),
        cseq: req.cseq,
        extra: extra as unknown as Record<string, unknown>,
        registeredAt: previous?.registeredAt ?? now,
        updatedAt: now,
      };
      bindings.set(r);
      bound.push([r, previous === undefined || previous.expiresAt <= now]);
    }
    return this.persist(tel, req.source, unbound, bound, natted, now);
  }

  /**
   * Writes what {@link bind} changed, tells the listeners and builds the 200. `src`: where the
   * REGISTER came from; the expiry granted to each contact bound is in its binding's extra.
   */
  private async persist(
    tel: string,
    src: PacketSource,
    unbound: ReadonlyArray<[Registration, 'unregistered' | 'replaced']>,
    bound: ReadonlyArray<[Registration, boolean]>,
    natted: boolean,
    now: number,
  ): Promise<RegisterOutcome> {
    const { bindings, log } = this.deps;
    for (const [r] of unbound) await this.deps.registrations.remove(r.tel, r.contact);
    for (const [r] of bound) {
      const stored = await this.deps.registrations.upsertBinding(r);
      // Keep the row's id and registration time unless a newer REGISTER already replaced it.
      if (bindings.get(tel, r.contact) === r) {
        r.id = stored.id;
        r.registeredAt = stored.registeredAt;
        r.updatedAt = stored.updatedAt;
      }
    }

    for (const [r, cause] of unbound) this.emit('unbound', r, cause);
    for (const [r, fresh] of bound) this.emit('bound', r, fresh);
    // Log objects are built only at a level that is on (a refresh is logged at debug).
    const fresh = bound.some(([, f]) => f);
    const level = fresh ? 'info' : 'debug';
    if ((bound.length > 0 && log.isLevelEnabled(level)) || unbound.length > 0) {
      const logFields = { tel, ip: src.ip, port: src.port, protocol: src.protocol, natted };
      if (fresh) {
        log.info({ ...logFields, expires: bound.map(grantedOf) }, 'station registered');
      } else if (bound.length > 0 && log.isLevelEnabled('debug')) {
        log.debug({ ...logFields, expires: bound.map(grantedOf) }, 'registration refreshed');
      }
      if (unbound.length > 0)
        log.info({ ...logFields, contacts: unbound.length }, 'contacts unregistered');
    }

    const headers: Record<string, string> = { Date: this.dateHeader(now) };
    const contact = formatLive(bindings.all(tel), now);
    if (contact !== '') headers.Contact = contact;
    if (bound.length === 1) headers.Expires = String(grantedOf(bound[0]!));
    return reply(200, reasonPhrase(200), headers);
  }

  /** `Contact: *`: removes every binding of `tel`. */
  private async unbindAll(tel: string, ip: string, now: number): Promise<RegisterOutcome> {
    const removed = this.deps.bindings.removeAll(tel);
    for (const r of removed) {
      await this.deps.registrations.remove(r.tel, r.contact);
      this.emit('unbound', r, 'unregistered');
    }
    this.deps.log.info({ tel, ip, contacts: removed.length }, 'station unregistered');
    return reply(200, reasonPhrase(200), { Date: this.dateHeader(now) });
  }
}

/** The expiry (s) granted to the binding `bound` made. */
function grantedOf([r]: readonly [Registration, boolean]): number {
  return (r.extra as unknown as RegistrationExtra).grantedExpires;
}

/** The Contact header of a 200 to REGISTER: every binding live at `now`, '' when none. */
function formatLive(all: Iterable<Registration>, now: number): string {
  let out = '';
  for (const r of all) {
    if (r.expiresAt <= now) continue;
    if (out !== '') out += ', ';
    out += formatBinding(r, now);
  }
  return out;
}

/** One binding as listed in a 200 to REGISTER: `<uri>;params;expires=<seconds left>`. */
export function formatBinding(r: Registration, now: number): string {
  const params = typeof r.extra.contactParams === 'string' ? r.extra.contactParams : '';
  const left = Math.max(0, Math.ceil((r.expiresAt - now) / 1000));
  return `<${r.contact}>${params};expires=${left}`;
}

function reply(
  status: number,
  phrase?: string,
  headers: Record<string, string> = {},
): RegisterOutcome {
  return { kind: 'reply', status, phrase, headers };
}
