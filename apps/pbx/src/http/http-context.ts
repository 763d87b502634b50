/**
 * What every route of the HTTP API works with: the PBX's modules (read through their public
 * handles, changed through the store like the CLI does), sessions, the event hub, metrics and
 * the SIP trace, plus the helpers each route needs (who is asking, audit, wait until applied).
 */
import type { FastifyRequest } from 'fastify';
import type { ChangeArea } from '@pbx/store';
import type { AppContext } from '../context';
import type { CallControl } from '../call-control';
import type { RegistrarModule } from '../registrar';
import type { PresenceControl } from '../presence-control';
import type { MessagesControl } from '../messages-control';
import type { AppliedChanges } from '../applied-changes';
import type { EventHub } from './event-hub';
import { HttpError } from './http-errors';
import type { PbxMetrics } from './metrics';
import {
  cookieValue,
  SESSION_COOKIE,
  type LoginLimiter,
  type Principal,
  type Sessions,
} from './sessions';
import type { SipTrace } from './sip-trace';

/** The PBX as the HTTP module sees it. */
export interface HttpDeps {
  readonly ctx: AppContext;
  readonly calls: CallControl;
  readonly registrar: RegistrarModule;
  readonly presence: PresenceControl;
  readonly messages: MessagesControl;
  readonly changes: AppliedChanges;
  /** Observes SIP traffic (embedded SIP server only). */
  readonly sipTraffic?: (
    listener: (
      direction: 'in' | 'out',
      data: Buffer,
      peer: { address: string; port: number },
    ) => void,
  ) => () => void;
  /**
   * Resolves once every SIP message handled so far has reached the `sipTraffic` listeners (the
   * SIP worker hands its pending batch over at once).
   */
  readonly sipTrafficFlush?: () => Promise<void>;
  /** The absolute path of a voice-mail file (stored relative name); absent without voice mail. */
  readonly voicemailFile?: (rel: string) => string;
  /** The absolute path of the default voice-mail greeting (what a mailbox without its own plays). */
  readonly defaultGreetingFile?: () => string;
  /** Live channels on the embedded media server. */
  readonly mediaChannels?: () => number;
}

export class HttpContext {
  constructor(
    readonly deps: HttpDeps,
    readonly sessions: Sessions,
    readonly limiter: LoginLimiter,
    readonly hub: EventHub,
    readonly metrics: PbxMetrics,
    readonly trace: SipTrace,
    readonly secure: boolean,
    /** The local administrator's token (`<db>.api-token`), for the `pbx` command. */
    private readonly localToken: string | undefined,
  ) {}

  get store() {
    return this.deps.ctx.store;
  }

  get config() {
    return this.deps.ctx.config;
  }

  /** The session token of a request: the cookie, else `Authorization: Bearer`. */
  token(req: FastifyRequest): string | undefined {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
    return cookieValue(req.headers.cookie, SESSION_COOKIE);
  }

  /** Who is asking; 401 without a valid session. */
  principal(req: FastifyRequest): Principal {
    const token = this.token(req);
    if (this.localToken !== undefined && token === this.localToken)
      return { role: 'admin', name: 'cli' };
    const s = this.sessions.get(token);
    if (!s) throw new HttpError(401, 'unauthorized', 'log in first (POST /api/login)');
    return s.principal;
  }

  /** The administrator; 401 without a session, 403 for a station user. */
  admin(req: FastifyRequest): Principal & { role: 'admin' } {
    const p = this.principal(req);
    if (p.role !== 'admin') throw new HttpError(403, 'forbidden', 'administrators only');
    return p;
  }

  /** The station `tel` may be read or changed by the caller: the admin, or its own user. */
  ownStation(req: FastifyRequest, tel: string): Principal {
    const p = this.principal(req);
    if (p.role === 'station' && p.tel !== tel)
      throw new HttpError(403, 'forbidden', `station ${p.tel} may change only its own settings`);
    return p;
  }

  /** Writes an audit log entry for a change made through the API (origin `web`). */
  async audit(
    who: Principal | string,
    action: string,
    details: Record<string, unknown>,
    outcome: 'ok' | 'failed' = 'ok',
    error = '',
  ): Promise<void> {
    const actor =
      typeof who === 'string' ? who : who.role === 'admin' ? `web:${who.name}` : `web:${who.tel}`;
    try {
      await this.store.audit.add({ actor, origin: 'web', action, details, outcome, error });
    } catch (err) {
      this.deps.ctx.log.warn({ err, action }, 'not written to the audit log');
    }
  }

  /**
   * Resolves once every write to `area` so far is live in the PBX (the same path a CLI change
   * takes: the change watcher sees the counter, the modules reload).
   */
  async applied(area: ChangeArea): Promise<void> {
    const counter = (await this.store.changes.counters())[area] ?? 0;
    await this.deps.changes.waitFor(area, counter, 10_000);
  }

  /**
   * Checks the current password of `user` (`admin` or a station number) before a password
   * change: limited like logins (per client address and user), a wrong one is 403 and counts as
   * a failed login; the attempt is logged and audited, never the password.
   */
  async verifyCurrent(
    req: FastifyRequest,
    user: string,
    current: string | undefined,
  ): Promise<void> {
    if (current === undefined)
      throw new HttpError(400, 'invalid_input', 'current: give the current password');
    const key = `${req.ip}|${user}`;
    const wait = this.limiter.retryAfter(key);
    if (wait > 0) {
      this.metrics.login('limited');
      await this.audit(
        `web:${user}`,
        'password change',
        { ip: req.ip },
        'failed',
        'too many attempts',
      );
      throw new HttpError(429, 'too_many_attempts', 'too many failed attempts; try again later', {
        'Retry-After': String(Math.ceil(wait / 1000)),
      });
    }
    const ok = /^\d{2,8}$/.test(user)
      ? await this.store.webAuth.verifyCti(user, current)
      : await this.store.webAuth.verifyAdmin(user, current);
    if (!ok) {
      this.limiter.failed(key);
      this.metrics.login('failed');
      this.deps.ctx.log.info(
        { user, ip: req.ip },
        'password change refused: wrong current password',
      );
      await this.audit(
        `web:${user}`,
        'password change',
        { ip: req.ip },
        'failed',
        'wrong current password',
      );
      throw new HttpError(403, 'bad_credentials', 'the current password is wrong');
    }
    this.limiter.succeeded(key);
  }
}
