/**
 * Web sessions and the login rate limit. Sessions live in memory: a PBX restart logs everyone
 * out, which is acceptable for a console and keeps tokens out of the database. A token is 32
 * random bytes; it travels in an HttpOnly, SameSite=Strict cookie (browsers) or as
 * `Authorization: Bearer` (API clients).
 */
import { randomBytes } from 'node:crypto';

/** Who is logged in: the administrator, or the user of one station. */
export type Principal = { role: 'admin'; name: string } | { role: 'station'; tel: string };

/** One session. */
export interface Session {
  readonly token: string;
  readonly principal: Principal;
  readonly createdAt: number;
  lastUsed: number;
}

export const SESSION_COOKIE = 'pbx_session';

/** The live sessions, ended after `idleMs` without use. */
export class Sessions {
  private readonly byToken = new Map<string, Session>();

  constructor(
    private readonly idleMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  create(principal: Principal): Session {
    this.sweep();
    const token = randomBytes(32).toString('base64url');
    const at = this.now();
    const session: Session = { token, principal, createdAt: at, lastUsed: at };
    this.byToken.set(token, session);
    return session;
  }

  /** The session of `token`, refreshed; undefined when unknown or idle too long. */
  get(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const s = this.byToken.get(token);
    if (!s) return undefined;
    const at = this.now();
    if (at - s.lastUsed > this.idleMs()) {
      this.byToken.delete(token);
      return undefined;
    }
    s.lastUsed = at;
    return s;
  }

  end(token: string): void {
    this.byToken.delete(token);
  }

  /** Ends every session of a station (its CTI password changed or it was removed). */
  endStation(tel: string): void {
    for (const [t, s] of this.byToken)
      if (s.principal.role === 'station' && s.principal.tel === tel) this.byToken.delete(t);
  }

  get size(): number {
    return this.byToken.size;
  }

  private sweep(): void {
    const at = this.now();
    for (const [t, s] of this.byToken) if (at - s.lastUsed > this.idleMs()) this.byToken.delete(t);
  }
}

/**
 * Failed logins per client address and user name: after `attempts()` failures within
 * `windowMs()`, further attempts are refused until the oldest failure leaves the window.
 * A success clears the key.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly attempts: () => number,
    private readonly windowMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds to wait before `key` may try again (0: it may try now). */
  retryAfter(key: string): number {
    const list = this.recent(key);
    if (list.length < this.attempts()) return 0;
    return Math.max(1, (list[0] ?? 0) + this.windowMs() - this.now());
  }

  failed(key: string): void {
    const list = this.recent(key);
    list.push(this.now());
    this.failures.set(key, list);
    // Bound memory under a spray of user names: forget the oldest keys.
    if (this.failures.size > 10_000) {
      const first = this.failures.keys().next().value;
      if (first !== undefined) this.failures.delete(first);
    }
  }

  succeeded(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const from = this.now() - this.windowMs();
    const list = (this.failures.get(key) ?? []).filter((t) => t > from);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}

/** The value of cookie `name` in a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The `Set-Cookie` value of a session cookie (`maxAgeS` 0 deletes it). */
export function sessionCookie(token: string, secure: boolean, maxAgeS: number): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeS))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
