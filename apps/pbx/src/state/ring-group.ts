import { RING_GROUP_MAX_SIP_MEMBERS } from '@pbx/dialplan';
import { assertNever } from './errors';
import type { RoutingView } from './station-state';

/** OfficeServ 4.7: only 4 SIP phones of a group ring at the same time. */
export const RING_GROUP_BATCH_SIZE = 4;
/** OfficeServ 4.7: 50 ms between batches of ringing SIP phones. */
export const RING_GROUP_BATCH_GAP_MS = 50;
/** OfficeServ 4.7 (other than OS7030): up to 10 SIP station members per group. */
export { RING_GROUP_MAX_SIP_MEMBERS };

/** Members that start ringing together, `atMs` after the call arrived. */
export interface RingBatch {
  readonly atMs: number;
  readonly members: readonly string[];
}

export interface RingSchedule {
  readonly batches: readonly RingBatch[];
  /** Members past the limit, which never ring (the CLI refuses to add them). */
  readonly dropped: readonly string[];
}

export interface ScheduleOptions {
  readonly batchSize?: number;
  readonly gapMs?: number;
  readonly maxMembers?: number;
}

/**
 * When each member of an unconditional ring group starts ringing: in member order, 4 at a time,
 * batch n at n × 50 ms. Members past the tenth are dropped; duplicates ring once.
 */
export function ringSchedule(
  members: readonly string[],
  options: ScheduleOptions = {},
): RingSchedule {
  const size = options.batchSize ?? RING_GROUP_BATCH_SIZE;
  const gap = options.gapMs ?? RING_GROUP_BATCH_GAP_MS;
  const max = options.maxMembers ?? RING_GROUP_MAX_SIP_MEMBERS;
  const unique = [...new Set(members)];
  const kept = unique.slice(0, max);
  const batches: RingBatch[] = [];
  for (let i = 0; i < kept.length; i += size) {
    batches.push({ atMs: (i / size) * gap, members: kept.slice(i, i + size) });
  }
  return { batches, dropped: unique.slice(max) };
}

/**
 * The members that can ring now: registered, not in DND and not busy. Members' own forwards are
 * not followed for group calls, and an unknown number is skipped.
 */
export function ringableMembers(
  members: readonly string[],
  lookup: (n: string) => RoutingView | undefined,
): string[] {
  return members.filter((n) => {
    const s = lookup(n);
    return s !== undefined && s.registered && !s.dnd && !s.busy;
  });
}

/** A member's leg as the group call sees it. */
export type MemberState = 'waiting' | 'ringing' | 'failed' | 'answered' | 'released';

/**
 * A call to a ring group. The first member to answer wins; the others are released.
 *
 * ```
 *   ringing ── memberAnswered ──▶ answered
 *      │ ── last member failed, no batch left ──▶ failed(486 | 480)
 *      └──── callerCancelled ──▶ cancelled
 * ```
 */
export interface RingGroupState {
  readonly kind: 'ringing' | 'answered' | 'failed' | 'cancelled';
  readonly group: string;
  /** Batches not started yet, in order. */
  readonly pending: readonly RingBatch[];
  readonly members: Readonly<Record<string, MemberState>>;
  /** Final statuses of the members that failed, for the status the caller gets. */
  readonly failures: readonly number[];
  readonly winner?: string;
}

export type RingGroupEvent =
  | { readonly type: 'timer.batch' }
  | { readonly type: 'memberAnswered'; readonly member: string }
  | { readonly type: 'memberFailed'; readonly member: string; readonly status: number }
  | { readonly type: 'callerCancelled' };

export type RingGroupEffect =
  /** Start a b-leg INVITE to `member`. */
  | { readonly type: 'ring'; readonly member: string }
  /** Release `member`'s leg: CANCEL if unanswered, BYE if its 2xx crossed the winner's. */
  | { readonly type: 'release'; readonly member: string }
  /** Connect the caller to `member`. */
  | { readonly type: 'connect'; readonly member: string }
  /** Nobody can take the call: answer the caller with `status`. */
  | { readonly type: 'reject'; readonly status: 480 | 486 }
  | { readonly type: 'startTimer'; readonly timer: 'batch'; readonly ms: number }
  | { readonly type: 'cancelTimer'; readonly timer: 'batch' };

/**
 * Starts a group call: the first batch rings now, a timer brings each next batch. With no member
 * to ring the caller gets 480.
 */
export function startRingGroup(
  group: string,
  members: readonly string[],
  options: ScheduleOptions = {},
): [RingGroupState, RingGroupEffect[]] {
  const { batches } = ringSchedule(members, options);
  const all: Record<string, MemberState> = {};
  for (const b of batches) for (const m of b.members) all[m] = 'waiting';
  const base: RingGroupState = {
    kind: 'ringing',
    group,
    pending: batches,
    members: all,
    failures: [],
  };
  if (batches.length === 0) return [{ ...base, kind: 'failed' }, [{ type: 'reject', status: 480 }]];
  return startNextBatch(base);
}

function startNextBatch(s: RingGroupState): [RingGroupState, RingGroupEffect[]] {
  const [batch, ...rest] = s.pending;
  if (!batch) return [s, []];
  const members = { ...s.members };
  for (const m of batch.members) members[m] = 'ringing';
  const effects: RingGroupEffect[] = batch.members.map((member) => ({ type: 'ring', member }));
  const after = rest[0];
  if (after) effects.push({ type: 'startTimer', timer: 'batch', ms: after.atMs - batch.atMs });
  return [{ ...s, pending: rest, members }, effects];
}

/** The ring group reducer. */
export function nextRingGroup(
  s: RingGroupState,
  e: RingGroupEvent,
): [RingGroupState, RingGroupEffect[]] {
  if (s.kind !== 'ringing') {
    // The race: a member answered just after the winner or after the caller left.
    if (e.type === 'memberAnswered' && s.winner !== e.member)
      return [s, [{ type: 'release', member: e.member }]];
    return [s, []];
  }
  switch (e.type) {
    case 'timer.batch':
      return startNextBatch(s);
    case 'memberAnswered': {
      if (s.members[e.member] !== 'ringing') return [s, [{ type: 'release', member: e.member }]];
      const members = { ...s.members };
      const effects: RingGroupEffect[] = [{ type: 'connect', member: e.member }];
      for (const [m, st] of Object.entries(members)) {
        if (m === e.member) members[m] = 'answered';
        else if (st === 'ringing') {
          members[m] = 'released';
          effects.push({ type: 'release', member: m });
        }
      }
      if (s.pending.length > 0) effects.push({ type: 'cancelTimer', timer: 'batch' });
      return [{ ...s, kind: 'answered', members, pending: [], winner: e.member }, effects];
    }
    case 'memberFailed': {
      if (s.members[e.member] !== 'ringing') return [s, []];
      const members = { ...s.members, [e.member]: 'failed' as const };
      const failures = [...s.failures, e.status];
      const next = { ...s, members, failures };
      const stillRinging = Object.values(members).some((st) => st === 'ringing');
      if (stillRinging) return [next, []];
      if (s.pending.length > 0) {
        // Nobody is ringing: bring the next batch forward instead of waiting for its timer.
        const [started, effects] = startNextBatch(next);
        return [started, [{ type: 'cancelTimer', timer: 'batch' }, ...effects]];
      }
      const status = failures.every((f) => f === 486 || f === 600) ? 486 : 480;
      return [{ ...next, kind: 'failed' }, [{ type: 'reject', status }]];
    }
    case 'callerCancelled': {
      const members = { ...s.members };
      const effects: RingGroupEffect[] = [];
      for (const [m, st] of Object.entries(members)) {
        if (st === 'ringing') {
          members[m] = 'released';
          effects.push({ type: 'release', member: m });
        }
      }
      if (s.pending.length > 0) effects.push({ type: 'cancelTimer', timer: 'batch' });
      return [{ ...s, kind: 'cancelled', members, pending: [] }, effects];
    }
    default:
      return assertNever(e);
  }
}
