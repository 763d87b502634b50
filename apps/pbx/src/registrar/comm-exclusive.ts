/**
 * Comm Exclusive (manual, SIP Stack/Ext/Trunk Options): an IP address that fails to register
 * `registerRetryLimit` times is blocked for the Register MSG Block Timer. While blocked, its
 * requests are refused with 403 (`response`) or dropped without any answer (`no-response`).
 *
 * Shared addresses (several phones behind one NAT): failures are counted per address and, at an
 * address where some station authenticated successfully within `sharedMemoryMs`, per station
 * too. Such an address is never blocked whole for one phone's wrong password: only that station
 * from that address is turned away until the timer ends (in memory, logged in the access log).
 * An address with no success (a scanner) is blocked whole, whatever station names it tries.
 * White-listed addresses (`trusted`) are never blocked: the white list overrides Comm Exclusive.
 *
 * Everything on the request path is in memory and O(1): the blocked addresses (mirrored from
 * the `blocks` table, reloaded when the CLI changes it) and the failure counters (bounded LRUs,
 * so a flood from many addresses cannot grow memory). Only an address block touches the database.
 */
import { ownString } from './own-string';
import type { Logger } from 'pino';
import type { AccessLogRepo, BlockRepo } from '@pbx/store';
import { BoundedLru } from './lru';
import { REASON } from './refusals';

export type CommExclusiveMode = 'response' | 'no-response';

/** The options read at each decision, so `pbx config set` applies at once. */
export interface CommExclusiveSettings {
  mode: CommExclusiveMode;
  retryLimit: number;
  blockMs: number;
  /** Failures further apart than this are not added up (default: the constructor's window). */
  failureWindowMs?: number;
}

/** What to do with a request from an address. */
export type Admission = 'ok' | 'refuse' | 'drop';

export interface CommExclusiveOptions {
  blocks: Pick<BlockRepo, 'block' | 'list' | 'purgeExpired'>;
  accessLog: Pick<AccessLogRepo, 'add'>;
  settings: () => CommExclusiveSettings;
  log: Logger;
  /** Failure counters kept at most (least recently failing addresses are forgotten first). */
  maxTrackedIps?: number;
  /** Blocked addresses kept in memory at most. */
  maxBlockedIps?: number;
  /** A failure counter is forgotten after this long without a failure. */
  failureWindowMs?: number;
  /** Addresses never blocked (the white list). */
  trusted?: (ip: string) => boolean;
  /** An address counts as shared this long after a station's last success there. */
  sharedMemoryMs?: number;
}

interface Failures {
  count: number;
  lastAt: number;
}

export const DEFAULT_MAX_TRACKED_IPS = 100_000;
export const DEFAULT_MAX_BLOCKED_IPS = 100_000;
export const DEFAULT_FAILURE_WINDOW_MS = 10 * 60_000;
export const DEFAULT_SHARED_MEMORY_MS = 24 * 3_600_000;

const pairKey = (ip: string, station: string): string => `${ip} ${station}`;

/** What one failure did (see {@link CommExclusive.countFailure}). */
export type FailureVerdict =
  | { readonly kind: 'counted' }
  | { readonly kind: 'already-blocked' }
  | { readonly kind: 'blocked'; persist(): Promise<void> };

const COUNTED: FailureVerdict = Object.freeze({ kind: 'counted' });
const ALREADY_BLOCKED: FailureVerdict = Object.freeze({ kind: 'already-blocked' });

export class CommExclusive {
  private readonly failures: BoundedLru<string, Failures>;
  private readonly blocked: BoundedLru<string, number>;
  /** Per station at a shared address: failures, and the stations turned away there. */
  private readonly pairFailures: BoundedLru<string, Failures>;
  private readonly blockedPairs: BoundedLru<string, number>;
  /** Last success per address: where stations really are. */
  private readonly lastSuccess: BoundedLru<string, number>;
  private readonly windowMs: number;
  /** Requests turned away while blocked, for stats and rate-limited logging. */
  private turnedAway = 0;
  private readonly blockWatchers = new Set<(ip: string, until: number | undefined) => void>();

  constructor(private readonly opts: CommExclusiveOptions) {
    const tracked = opts.maxTrackedIps ?? DEFAULT_MAX_TRACKED_IPS;
    this.failures = new BoundedLru(tracked);
    this.pairFailures = new BoundedLru(tracked);
    this.lastSuccess = new BoundedLru(tracked);
    this.blocked = new BoundedLru(opts.maxBlockedIps ?? DEFAULT_MAX_BLOCKED_IPS);
    this.blockedPairs = new BoundedLru(opts.maxBlockedIps ?? DEFAULT_MAX_BLOCKED_IPS);
    this.windowMs = opts.failureWindowMs ?? DEFAULT_FAILURE_WINDOW_MS;
  }

  private trusted(ip: string): boolean {
    return this.opts.trusted?.(ip) ?? false;
  }

  /**
   * Calls `listener` whenever an address block is made (`until`) or forgotten (`undefined`), so
   * a copy of the list elsewhere (the SIP server's, in its own thread) can follow. A block pushed
   * out of the bounded list by newer ones is not reported; the copy drops it when it ends.
   */
  watchBlocks(listener: (ip: string, until: number | undefined) => void): () => void {
    this.blockWatchers.add(listener);
    return () => this.blockWatchers.delete(listener);
  }

  private blockChanged(ip: string, until: number | undefined): void {
    for (const w of this.blockWatchers) w(ip, until);
  }

  /** The address blocks in force at `now` (white-listed addresses left out). */
  activeBlocks(now: number): Array<{ ip: string; until: number }> {
    const out: Array<{ ip: string; until: number }> = [];
    for (const [ip, until] of this.blocked.entries())
      if (until > now && !this.trusted(ip)) out.push({ ip, until });
    return out;
  }

  /** Whether a station succeeded at `ip` recently (several phones may share it). */
  isShared(ip: string, now: number): boolean {
    const at = this.lastSuccess.peek(ip);
    return at !== undefined && now - at <= (this.opts.sharedMemoryMs ?? DEFAULT_SHARED_MEMORY_MS);
  }

  /** Whether `ip` is blocked at `now`. Synchronous, no database. */
  isBlocked(ip: string, now: number): boolean {
    if (this.trusted(ip)) return false;
    const until = this.blocked.peek(ip);
    if (until === undefined) return false;
    if (until > now) return true;
    this.blocked.delete(ip);
    this.blockChanged(ip, undefined);
    return false;
  }

  /** The verdict for any request from `ip`: 'ok', or what to do while it is blocked. */
  admission(ip: string, now: number): Admission {
    if (!this.isBlocked(ip, now)) return 'ok';
    this.turnedAway++;
    return this.opts.settings().mode === 'no-response' ? 'drop' : 'refuse';
  }

  /** The verdict for a request naming `station` from a shared `ip` (after {@link admission}). */
  stationAdmission(ip: string, station: string, now: number): Admission {
    const key = pairKey(ip, station);
    const until = this.blockedPairs.peek(key);
    if (until === undefined) return 'ok';
    if (until <= now || this.trusted(ip)) {
      this.blockedPairs.delete(key);
      return 'ok';
    }
    this.turnedAway++;
    return this.opts.settings().mode === 'no-response' ? 'drop' : 'refuse';
  }

  /**
   * Counts a failed registration or INVITE authentication from `ip` naming `callerId`, in memory
   * and at once, so the very next request from the address already meets the block. `blocked`:
   * this failure reached the limit; its `persist()` writes the block (address blocks to the
   * table) and its access-log line. `already-blocked`: a request that passed the door before the
   * block was made; it is neither counted nor worth a log line of its own.
   */
  countFailure(ip: string, port: number, callerId: string, now: number): FailureVerdict {
    if (this.trusted(ip)) return COUNTED;
    if (this.isBlocked(ip, now)) return ALREADY_BLOCKED;
    const s = this.opts.settings();
    const windowMs = s.failureWindowMs ?? this.windowMs;
    const shared = this.isShared(ip, now);
    const key = shared ? pairKey(ip, callerId) : ip;
    const counters = shared ? this.pairFailures : this.failures;
    if (shared && (this.blockedPairs.peek(key) ?? 0) > now) return ALREADY_BLOCKED;
    const prev = counters.get(key);
    const count = prev && now - prev.lastAt <= windowMs ? prev.count + 1 : 1;
    if (count < s.retryLimit) {
      // Keys of their own (own-string.ts): a flood from 100,000 addresses must not keep 100,000
      // requests alive through the slices it is keyed by (a set re-inserts the key it is given).
      counters.set(ownString(key), { count, lastAt: now });
      return COUNTED;
    }
    counters.delete(key);
    const until = now + s.blockMs;
    if (shared) {
      // At a shared address: the failing station alone is turned away.
      this.blockedPairs.set(ownString(key), until);
      const reason = REASON.stationBlocked(count, callerId);
      this.opts.log.warn(
        { ip, port, station: callerId, failures: count, blockedForMs: s.blockMs, mode: s.mode },
        'station blocked at a shared address',
      );
      return {
        kind: 'blocked',
        persist: async () => {
          await this.opts.accessLog.add({ at: now, ip, port, callerId, reason });
        },
      };
    }
    this.blocked.set(ownString(ip), until);
    this.blockChanged(ip, until);
    const reason = REASON.blocked(count);
    this.opts.log.warn(
      { ip, port, callerId, failures: count, blockedForMs: s.blockMs, mode: s.mode },
      'ip blocked',
    );
    return {
      kind: 'blocked',
      persist: async () => {
        await this.opts.blocks.block({ ip, blockedUntil: until, reason, failures: count });
        await this.opts.accessLog.add({ at: now, ip, port, callerId, reason });
      },
    };
  }

  /** {@link countFailure} with the block written before it resolves. */
  async recordFailure(
    ip: string,
    port: number,
    callerId: string,
    now: number,
  ): Promise<'counted' | 'blocked' | 'already-blocked'> {
    const verdict = this.countFailure(ip, port, callerId, now);
    if (verdict.kind === 'blocked') await verdict.persist();
    return verdict.kind;
  }

  /** A station authenticated from `ip`: its failures go, and the address counts as shared. */
  recordSuccess(ip: string, station?: string, now = Date.now()): void {
    this.failures.delete(ip);
    if (station !== undefined) {
      this.pairFailures.delete(pairKey(ip, station));
      this.blockedPairs.delete(pairKey(ip, station));
    }
    this.lastSuccess.set(ownString(ip), now);
  }

  /**
   * Failures counted for `ip` (0 when none or forgotten); at a shared address, those of
   * `station` there when it is given (that is what its turning away depends on).
   */
  failureCount(ip: string, now: number, station?: string): number {
    const shared = station !== undefined && this.isShared(ip, now);
    const f = shared ? this.pairFailures.peek(pairKey(ip, station)) : this.failures.peek(ip);
    const windowMs = this.opts.settings().failureWindowMs ?? this.windowMs;
    return f && now - f.lastAt <= windowMs ? f.count : 0;
  }

  /**
   * Replaces the in-memory blocks with those in force in the database (the CLI added or removed
   * one). An address that is no longer blocked starts again with no failures.
   */
  async reload(now: number): Promise<void> {
    const rows = await this.opts.blocks.list({ activeAt: now });
    const next = new Map(rows.map((b) => [b.ip, b.blockedUntil] as const));
    for (const [ip] of [...this.blocked.entries()]) {
      if (!next.has(ip)) {
        this.blocked.delete(ip);
        this.failures.delete(ip);
        this.blockChanged(ip, undefined);
        this.opts.log.info({ ip }, 'ip unblocked');
      }
    }
    for (const [ip, until] of next) {
      if (this.blocked.peek(ip) === until) continue;
      this.blocked.set(ip, until);
      this.blockChanged(ip, until);
    }
  }

  /** Forgets blocks that ended; purges them from the database when there were any. */
  async sweep(now: number): Promise<number> {
    let ended = 0;
    for (const [ip, until] of [...this.blocked.entries()]) {
      if (until <= now) {
        this.blocked.delete(ip);
        this.blockChanged(ip, undefined);
        ended++;
        this.opts.log.info({ ip }, 'ip block ended');
      }
    }
    if (ended > 0) await this.opts.blocks.purgeExpired(now);
    return ended;
  }

  stats(): { trackedIps: number; blockedIps: number; turnedAway: number } {
    return {
      trackedIps: this.failures.size,
      blockedIps: this.blocked.size,
      turnedAway: this.turnedAway,
    };
  }
}
