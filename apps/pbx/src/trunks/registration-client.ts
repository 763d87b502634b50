/**
 * Keeps every registering trunk registered with its provider: the registration reducer
 * (registration.ts) per trunk, its timers, the REGISTER through the trunk SIP port, and the state
 * written to `trunk_status` for `pbx trunk list`. IP-authenticated trunks are only marked `ip`.
 * A trunk that is removed or stops registering, and every trunk when the PBX stops, is taken off
 * the provider's registrar with `Expires: 0` (RFC 3261 10.2.2), so calls for its DIDs are not
 * sent to an address nobody answers until the old registration expires.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from '@pbx/store';
import type { LiveTrunk, TrunkDirectory } from './directory';
import {
  nextRegistration,
  type BackOff,
  type RegistrationEvent,
  type RegistrationState,
} from './registration';
import type { RegisterRequest, TrunkSipPort } from './sip-port';

interface Entry {
  trunk: LiveTrunk;
  /** What the registration was made with; a change restarts it. */
  key: string;
  state: RegistrationState;
  timer: NodeJS.Timeout | undefined;
  callId: string;
  cseq: number;
  inFlight: boolean;
}

/** `sip:host:port;transport=x`. */
export function trunkUri(t: LiveTrunk, user?: string): string {
  const u = user ? `${user}@` : '';
  return `sip:${u}${t.host}:${t.port}${t.transport === 'udp' ? '' : `;transport=${t.transport}`}`;
}

/** The outbound proxy as a next hop, with the trunk's transport. */
export function proxyUri(t: LiveTrunk): string | undefined {
  if (!t.outboundProxy) return undefined;
  return `sip:${t.outboundProxy}${t.transport === 'udp' ? '' : `;transport=${t.transport}`}`;
}

const settingsKey = (t: LiveTrunk): string =>
  JSON.stringify([
    t.host,
    t.port,
    t.transport,
    t.outboundProxy,
    t.username,
    t.authUser,
    t.password,
    t.realm,
    t.domain,
    t.expires,
  ]);

export class RegistrationClient {
  private entries = new Map<string, Entry>();
  private stopped = false;

  constructor(
    private readonly deps: {
      readonly store: Store;
      readonly directory: TrunkDirectory;
      readonly sip: TrunkSipPort;
      readonly log: Logger;
      readonly now: () => number;
      readonly backOff: () => BackOff;
    },
  ) {}

  /** Brings the registrations in line with the directory (after a load). */
  sync(): void {
    if (this.stopped) return;
    const { directory } = this.deps;
    for (const [name, e] of this.entries) {
      const t = directory.get(name);
      if (!t || !t.register) {
        clearTimeout(e.timer);
        this.entries.delete(name);
        void this.unregister(e, t ? 'registration turned off' : 'trunk removed or disabled');
      }
    }
    for (const t of directory.all()) {
      if (!t.register) {
        void this.status(t.name, 'ip', '', null);
        continue;
      }
      const key = settingsKey(t);
      const e = this.entries.get(t.name);
      if (e && e.key === key) {
        e.trunk = t;
        continue;
      }
      if (e) clearTimeout(e.timer);
      const entry: Entry = {
        trunk: t,
        key,
        state: e?.state ?? { kind: 'idle' },
        timer: undefined,
        callId: `${randomUUID()}@pbx`,
        cseq: 1,
        inFlight: false,
      };
      this.entries.set(t.name, entry);
      this.event(entry, { type: 'start' });
    }
  }

  /** The registration state of a trunk (tests, status). */
  state(name: string): RegistrationState | undefined {
    return this.entries.get(name)?.state;
  }

  /**
   * Stops every timer and unregisters every trunk that is (or is being) registered, waiting at
   * most `waitMs` for the providers: a dead provider never holds up the PBX's shutdown.
   */
  async stop(waitMs = 2000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const e of entries) clearTimeout(e.timer);
    const all = Promise.all(entries.map((e) => this.unregister(e, 'pbx stopping')));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), waitMs);
    });
    const r = await Promise.race([all, late]);
    clearTimeout(timer);
    if (r === 'late') this.deps.log.warn({ waitMs }, 'trunk unregistration not answered in time');
  }

  /** REGISTER with `Expires: 0` for a registration that was made or attempted. */
  private async unregister(e: Entry, why: string): Promise<void> {
    if (e.state.kind === 'idle') return;
    const t = e.trunk;
    const log = this.deps.log.child({ trunk: t.name });
    const cseq = e.cseq;
    e.cseq += 2;
    try {
      const r = await this.deps.sip.register(this.request(t, e.callId, cseq, 0));
      if (r.status >= 200 && r.status < 300) log.info({ why }, 'trunk unregistered');
      else log.warn({ why, status: r.status, reason: r.reason }, 'trunk unregistration refused');
    } catch (err) {
      log.warn({ err, why }, 'trunk unregistration error');
    }
  }

  /** The REGISTER of trunk `t` (the same Contact for registering and unregistering). */
  private request(t: LiveTrunk, callId: string, cseq: number, expires: number): RegisterRequest {
    const domain = t.domain || t.host;
    const aor = `<sip:${t.username}@${domain}>`;
    const proxy = proxyUri(t);
    return {
      uri: trunkUri(t),
      ...(proxy ? { proxy } : {}),
      from: aor,
      to: aor,
      contact: `<sip:${t.username}@localhost${t.transport === 'udp' ? '' : `;transport=${t.transport}`}>`,
      expires,
      callId,
      cseq,
      auth: {
        username: t.authUser || t.username,
        password: t.password,
        ...(t.realm ? { realm: t.realm } : {}),
      },
    };
  }

  private event(e: Entry, ev: RegistrationEvent): void {
    if (this.stopped || this.entries.get(e.trunk.name) !== e) return;
    const [next, effects] = nextRegistration(e.state, ev, this.deps.now(), this.deps.backOff());
    e.state = next;
    for (const eff of effects) {
      switch (eff.type) {
        case 'send':
          void this.send(e);
          break;
        case 'timer':
          clearTimeout(e.timer);
          e.timer = setTimeout(
            () => this.event(e, { type: 'timer' }),
            Math.max(0, eff.atMs - this.deps.now()),
          );
          e.timer.unref();
          break;
        case 'status':
          void this.status(e.trunk.name, eff.state, eff.error, eff.until);
          break;
      }
    }
  }

  private async send(e: Entry): Promise<void> {
    if (e.inFlight) return;
    e.inFlight = true;
    const t = e.trunk;
    // Each REGISTER of one registration keeps its Call-ID and raises the CSeq (RFC 3261 10.2.4);
    // the digest retry takes one more.
    const cseq = e.cseq;
    e.cseq += 2;
    const log = this.deps.log.child({ trunk: t.name });
    let ev: RegistrationEvent;
    try {
      const r = await this.deps.sip.register(this.request(t, e.callId, cseq, t.expires));
      if (r.status >= 200 && r.status < 300) {
        const expires = r.expires ?? t.expires;
        log.info({ expires }, 'trunk registered');
        ev = { type: 'ok', expires: Math.max(1, expires) };
      } else {
        const realm =
          t.realm && r.realm !== undefined && r.realm !== t.realm
            ? ` (challenge realm ${r.realm}, expected ${t.realm})`
            : '';
        const error = `${r.status} ${r.reason}${realm}`.trim();
        log.warn({ status: r.status, reason: r.reason }, 'trunk registration failed');
        ev = { type: 'failed', error };
      }
    } catch (err) {
      log.error({ err }, 'trunk registration error');
      ev = { type: 'failed', error: (err as Error)?.message ?? 'error' };
    } finally {
      e.inFlight = false;
    }
    this.event(e, ev);
  }

  /** Status writes run one after the other, so a late `registering` never hides `registered`. */
  private writes: Promise<void> = Promise.resolve();

  private status(
    trunk: string,
    state: 'registering' | 'registered' | 'failed' | 'ip',
    lastError: string,
    untilAt: number | null,
  ): Promise<void> {
    this.writes = this.writes.then(async () => {
      try {
        // A failure keeps its message while the next attempt runs.
        const keep = state === 'registering' ? await this.lastError(trunk) : lastError;
        await this.deps.store.trunks.setStatus({ trunk, state, lastError: keep, untilAt });
      } catch (err) {
        this.deps.log.error({ err, trunk }, 'trunk status not written');
      }
    });
    return this.writes;
  }

  private async lastError(trunk: string): Promise<string> {
    return (
      (await this.deps.store.trunks.statuses()).find((s) => s.trunk === trunk)?.lastError ?? ''
    );
  }
}
