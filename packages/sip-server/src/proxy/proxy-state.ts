/**
 * The proxy transaction of RFC 3261 §16 as a pure reducer: one server transaction upstream, one
 * client transaction per branch (target) downstream. The runner (proxy-transaction.ts) owns the
 * SIP messages, the transactions and the timers; this file decides only what happens next.
 *
 * ```
 *            start: first target (serial) or all targets (simultaneous)
 *                 │
 *           ┌─────▼─────┐  first 2xx: forward it, CANCEL the others, done
 *           │ searching ├──────────────────────────────────────────────┐
 *           └──┬─────┬──┘                                              │
 *   upstream   │     │ no branch active and no target left:            │
 *   CANCEL:    │     │ best final upstream (§16.7), done               │
 *   487 up,    │     └─────────────────────────────────────────────┐   │
 *   CANCEL     │                                                   │   │
 *   branches ┌─▼─────────┐ every branch ended: done           ┌────▼───▼─┐
 *            │ cancelled ├───────────────────────────────────►│ finished │
 *            └───────────┘                                    └──────────┘
 * ```
 *
 * A branch:
 * ```
 *   calling ──1xx──► proceeding ──final──► completed
 *      │                 │  CANCEL sent        ▲
 *      │                 └──► cancelling ──────┤ final, or guard (64·T1) expired
 *      └─ cancelled or given up before any response: completed at once; no CANCEL may precede a
 *         provisional (RFC 3261 §9.1), so a later 1xx draws the CANCEL then
 * ```
 * Every branch final (received or synthesized: 408 timeout, 503 transport error) is reported to
 * the client once, until the proxy has finished.
 */

export interface ProxyConfig {
  /** Try targets one after another (true) or fork to all at once. */
  serial: boolean;
  /** INVITE: branches can be CANCELled. Other methods simply run to their end. */
  invite: boolean;
  /** 3xx Contacts become new targets right after the current one. */
  followRedirects: boolean;
  /** Give up a branch that has sent no response at all (not even 100) within this time. */
  provisionalTimeoutMs?: number;
  /** Give up (CANCEL) a branch without a final response within this time. */
  finalTimeoutMs?: number;
  /** How long a CANCELled branch may take to send its final (RFC 3261 §9.1: 64·T1). */
  cancelGuardMs: number;
}

export type ProxyTimer = 'provisional' | 'final' | 'cancelGuard';

interface BranchBase {
  id: number;
  target: string;
}

export type BranchState =
  | (BranchBase & { kind: 'calling' })
  | (BranchBase & { kind: 'proceeding' })
  /** CANCEL sent; `guarded` while the guard timer runs. */
  | (BranchBase & { kind: 'cancelling'; assumed: number; guarded: boolean })
  | (BranchBase & {
      kind: 'completed';
      status: number;
      /** Completion order, for ties in the best-response choice. */
      seq: number;
      /** May be chosen as the response upstream (not a followed 3xx, not a cancelled branch). */
      candidate: boolean;
      /** Given up before any response: a 1xx arriving later must be answered with CANCEL. */
      cancelOnProvisional: boolean;
      /** Never sent (bad target, unresolvable, a loop to ourselves). */
      unsent: boolean;
    });

export type CompletedBranch = Extract<BranchState, { kind: 'completed' }>;

interface ProxyCommon {
  cfg: ProxyConfig;
  /** Targets not tried yet, in order. */
  pending: string[];
  branches: BranchState[];
  nextId: number;
  seq: number;
}

export type ProxyOutcome = 'answered' | 'rejected' | 'cancelled' | 'unsent';

export type ProxyState =
  | (ProxyCommon & { kind: 'searching' })
  | (ProxyCommon & { kind: 'cancelled' })
  | (ProxyCommon & { kind: 'finished'; outcome: ProxyOutcome });

export type ProxyEvent =
  | { type: 'branch.provisional'; branch: number; status: number }
  | { type: 'branch.final'; branch: number; status: number; contacts: string[]; challenge: boolean }
  /** Timer B (no answer) or timer C (provisional but no final) of the client transaction. */
  | { type: 'branch.timeout'; branch: number }
  | { type: 'branch.transportError'; branch: number }
  /** The request could not be sent at all. */
  | { type: 'branch.unsent'; branch: number }
  | { type: 'timer.provisional'; branch: number }
  | { type: 'timer.final'; branch: number }
  | { type: 'timer.cancelGuard'; branch: number }
  | { type: 'upstream.cancel' };

export type ProxyEffect =
  | { type: 'startBranch'; branch: number; target: string }
  | { type: 'cancelBranch'; branch: number }
  /** Forward the 1xx just received on the branch. */
  | { type: 'forwardProvisional'; branch: number }
  /** Forward the branch's final response through the server transaction. */
  | { type: 'forwardFinal'; branch: number }
  /** Forward the 2xx just received statelessly (the server transaction already has its final). */
  | { type: 'forwardLate2xx'; branch: number }
  /** Answer upstream with a response of our own. */
  | { type: 'respondUpstream'; status: number }
  /** The branch ended without a final response: make one with this status. */
  | { type: 'synthesize'; branch: number; status: number }
  /** Tell the client about the branch's final response. */
  | { type: 'report'; branch: number }
  | { type: 'startTimer'; timer: ProxyTimer; branch: number; ms: number }
  | { type: 'cancelTimer'; timer: ProxyTimer; branch: number }
  /** Tell the client the proxy operation is over. */
  | { type: 'done' }
  /** Tell the client the operation failed (NOK). */
  | { type: 'fail'; reason: string };

/** Mutable working copy: the reducer never touches the state it was given. */
type Draft = ProxyCommon & { kind: ProxyState['kind']; outcome?: ProxyOutcome };

function draftOf(s: ProxyState): Draft {
  return { ...s, pending: [...s.pending], branches: s.branches.map((b) => ({ ...b })) };
}

function freeze(d: Draft): ProxyState {
  const common: ProxyCommon = {
    cfg: d.cfg,
    pending: d.pending,
    branches: d.branches,
    nextId: d.nextId,
    seq: d.seq,
  };
  if (d.kind === 'finished')
    return { ...common, kind: 'finished', outcome: d.outcome ?? 'rejected' };
  return { ...common, kind: d.kind };
}

/** Starts the proxy: the first branch (serial) or all of them (simultaneous). */
export function startProxy(
  cfg: ProxyConfig,
  targets: readonly string[],
): [ProxyState, ProxyEffect[]] {
  const d: Draft = {
    kind: 'searching',
    cfg,
    pending: [...targets],
    branches: [],
    nextId: 1,
    seq: 0,
  };
  const fx: ProxyEffect[] = [];
  advance(d, fx);
  return [freeze(d), fx];
}

export function nextProxy(s: ProxyState, e: ProxyEvent): [ProxyState, ProxyEffect[]] {
  const d = draftOf(s);
  const fx: ProxyEffect[] = [];
  if (e.type === 'upstream.cancel') {
    onUpstreamCancel(d, fx);
    return [freeze(d), fx];
  }
  const i = d.branches.findIndex((b) => b.id === e.branch);
  const b = d.branches[i];
  if (b === undefined) return [s, []];
  switch (e.type) {
    case 'branch.provisional':
      onProvisional(d, fx, b, e.status);
      break;
    case 'branch.final':
      if (e.status >= 200 && e.status < 300) on2xx(d, fx, b, e.status);
      else if (e.status >= 300) onFailure(d, fx, b, e.status, e.contacts, e.challenge);
      break;
    case 'branch.timeout':
      // RFC 3261 §16.8: timer C fired on a ringing branch; CANCEL it.
      if (b.kind === 'proceeding' && d.cfg.invite) fx.push({ type: 'cancelBranch', branch: b.id });
      giveUp(d, fx, b, 408);
      break;
    case 'branch.transportError':
      giveUp(d, fx, b, 503);
      break;
    case 'branch.unsent':
      if (b.kind === 'calling')
        complete(d, fx, b, 503, { received: false, candidate: false, unsent: true });
      break;
    case 'timer.provisional':
      if (b.kind === 'calling')
        complete(d, fx, b, 408, {
          received: false,
          candidate: true,
          cancelOnProvisional: d.cfg.invite,
        });
      break;
    case 'timer.final':
      if (b.kind === 'calling')
        complete(d, fx, b, 408, {
          received: false,
          candidate: true,
          cancelOnProvisional: d.cfg.invite,
        });
      else if (b.kind === 'proceeding') {
        if (d.cfg.invite) fx.push({ type: 'cancelBranch', branch: b.id });
        complete(d, fx, b, 408, { received: false, candidate: true });
      }
      break;
    case 'timer.cancelGuard':
      if (b.kind === 'cancelling')
        complete(d, fx, { ...b, guarded: false }, b.assumed, { received: false, candidate: false });
      break;
    default:
      return assertNever(e);
  }
  settle(d, fx);
  return [freeze(d), fx];
}

function onProvisional(d: Draft, fx: ProxyEffect[], b: BranchState, status: number): void {
  switch (b.kind) {
    case 'calling':
      replace(d, { id: b.id, target: b.target, kind: 'proceeding' });
      if (d.cfg.provisionalTimeoutMs !== undefined)
        fx.push({ type: 'cancelTimer', timer: 'provisional', branch: b.id });
      // RFC 3261 §16.7 step 3: 100 is not forwarded; the server transaction sent its own.
      if (d.kind === 'searching' && status > 100)
        fx.push({ type: 'forwardProvisional', branch: b.id });
      return;
    case 'proceeding':
      if (d.kind === 'searching' && status > 100)
        fx.push({ type: 'forwardProvisional', branch: b.id });
      return;
    case 'cancelling':
      return;
    case 'completed':
      if (b.cancelOnProvisional) {
        fx.push({ type: 'cancelBranch', branch: b.id });
        replace(d, { ...b, cancelOnProvisional: false });
      }
      return;
    default:
      assertNever(b);
  }
}

function on2xx(d: Draft, fx: ProxyEffect[], b: BranchState, status: number): void {
  if (d.kind === 'searching') {
    // RFC 3261 §16.7 step 5/10: the first 2xx goes upstream at once; the other branches are
    // CANCELled (§16.10) and no further target is tried.
    const done = complete(d, fx, b, status, { received: true, candidate: true });
    fx.push({ type: 'forwardFinal', branch: done.id });
    d.kind = 'finished';
    d.outcome = 'answered';
    d.pending = [];
    cancelOthers(d, fx, b.id);
    fx.push({ type: 'done' });
    return;
  }
  // Every 2xx is forwarded (§16.7 step 5), also after the final went upstream: retransmissions,
  // a fork's second answer, or an answer that crossed our CANCEL.
  if (b.kind !== 'completed') complete(d, fx, b, status, { received: true, candidate: false });
  fx.push({ type: 'forwardLate2xx', branch: b.id });
}

function onFailure(
  d: Draft,
  fx: ProxyEffect[],
  b: BranchState,
  status: number,
  contacts: string[],
  challenge: boolean,
): void {
  if (b.kind === 'completed') return;
  if (b.kind === 'cancelling' || d.kind !== 'searching') {
    complete(d, fx, b, status, { received: true, candidate: false });
    return;
  }
  const follow = status < 400 && d.cfg.followRedirects && contacts.length > 0;
  complete(d, fx, b, status, { received: true, candidate: !follow });
  if (follow) d.pending.unshift(...contacts);
  if (challenge) d.pending = [];
  if (status >= 600) {
    // RFC 3261 §16.7 step 5: a 6xx ends the search; pending branches are CANCELled.
    d.pending = [];
    cancelOthers(d, fx, b.id);
  }
}

/** The branch ended without a final response of its own (timeout, transport error). */
function giveUp(d: Draft, fx: ProxyEffect[], b: BranchState, status: number): void {
  if (b.kind === 'completed') return;
  if (b.kind === 'cancelling') {
    complete(d, fx, b, b.assumed, { received: false, candidate: false });
    return;
  }
  complete(d, fx, b, status, { received: false, candidate: d.kind === 'searching' });
}

function onUpstreamCancel(d: Draft, fx: ProxyEffect[]): void {
  if (d.kind !== 'searching' || !d.cfg.invite) return;
  // RFC 3261 §16.10: answer 487 upstream, CANCEL every pending branch.
  d.kind = 'cancelled';
  d.pending = [];
  fx.push({ type: 'respondUpstream', status: 487 });
  cancelOthers(d, fx, undefined);
  settle(d, fx);
}

function cancelOthers(d: Draft, fx: ProxyEffect[], except: number | undefined): void {
  for (const b of [...d.branches]) {
    if (b.id === except) continue;
    if (b.kind === 'calling') {
      complete(d, fx, b, 487, {
        received: false,
        candidate: false,
        cancelOnProvisional: d.cfg.invite,
      });
    } else if (b.kind === 'proceeding') {
      if (!d.cfg.invite) {
        complete(d, fx, b, 487, { received: false, candidate: false });
        continue;
      }
      stopTimers(d, fx, b);
      fx.push({ type: 'cancelBranch', branch: b.id });
      // Once finished nobody waits for the branch: no guard needed.
      const guarded = d.kind !== 'finished';
      replace(d, { id: b.id, target: b.target, kind: 'cancelling', assumed: 487, guarded });
      if (guarded)
        fx.push({
          type: 'startTimer',
          timer: 'cancelGuard',
          branch: b.id,
          ms: d.cfg.cancelGuardMs,
        });
    }
  }
}

/** After an event: start the next targets, or end the search when nothing is left. */
function settle(d: Draft, fx: ProxyEffect[]): void {
  if (d.kind === 'searching') advance(d, fx);
  else if (d.kind === 'cancelled' && !hasActive(d)) {
    d.kind = 'finished';
    d.outcome = 'cancelled';
    fx.push({ type: 'done' });
  }
}

function advance(d: Draft, fx: ProxyEffect[]): void {
  if (d.cfg.serial) {
    const next = hasActive(d) ? undefined : d.pending.shift();
    if (next !== undefined) launch(d, fx, next);
  } else {
    for (let t = d.pending.shift(); t !== undefined; t = d.pending.shift()) launch(d, fx, t);
  }
  if (!hasActive(d) && d.pending.length === 0) finishSearch(d, fx);
}

function launch(d: Draft, fx: ProxyEffect[], target: string): void {
  const id = d.nextId++;
  d.branches.push({ id, target, kind: 'calling' });
  fx.push({ type: 'startBranch', branch: id, target });
  if (d.cfg.provisionalTimeoutMs !== undefined)
    fx.push({
      type: 'startTimer',
      timer: 'provisional',
      branch: id,
      ms: d.cfg.provisionalTimeoutMs,
    });
  if (d.cfg.finalTimeoutMs !== undefined)
    fx.push({ type: 'startTimer', timer: 'final', branch: id, ms: d.cfg.finalTimeoutMs });
}

function finishSearch(d: Draft, fx: ProxyEffect[]): void {
  d.kind = 'finished';
  const best = bestResponse(d.branches);
  if (best === undefined) {
    if (d.branches.length > 0 && d.branches.every((b) => b.kind === 'completed' && b.unsent)) {
      d.outcome = 'unsent';
      fx.push({ type: 'respondUpstream', status: 500 });
      fx.push({
        type: 'fail',
        reason: `error proxying request to ${d.branches.map((b) => b.target).join(', ')}`,
      });
      return;
    }
    // RFC 3261 §16.7 step 6: no final at all counts as 408.
    d.outcome = 'rejected';
    fx.push({ type: 'respondUpstream', status: 408 });
    fx.push({ type: 'done' });
    return;
  }
  d.outcome = 'rejected';
  // RFC 3261 §16.7 step 6: a chosen 503 goes upstream as 500.
  if (best.status === 503) fx.push({ type: 'respondUpstream', status: 500 });
  else fx.push({ type: 'forwardFinal', branch: best.id });
  fx.push({ type: 'done' });
}

function complete(
  d: Draft,
  fx: ProxyEffect[],
  b: BranchState,
  status: number,
  o: { received: boolean; candidate: boolean; cancelOnProvisional?: boolean; unsent?: boolean },
): CompletedBranch {
  stopTimers(d, fx, b);
  const done: CompletedBranch = {
    id: b.id,
    target: b.target,
    kind: 'completed',
    status,
    seq: ++d.seq,
    candidate: o.candidate,
    cancelOnProvisional: o.cancelOnProvisional ?? false,
    unsent: o.unsent ?? false,
  };
  replace(d, done);
  if (!o.received) fx.push({ type: 'synthesize', branch: b.id, status });
  if (d.kind !== 'finished' && !done.unsent) fx.push({ type: 'report', branch: b.id });
  return done;
}

function stopTimers(d: Draft, fx: ProxyEffect[], b: BranchState): void {
  if (b.kind === 'calling' && d.cfg.provisionalTimeoutMs !== undefined)
    fx.push({ type: 'cancelTimer', timer: 'provisional', branch: b.id });
  if ((b.kind === 'calling' || b.kind === 'proceeding') && d.cfg.finalTimeoutMs !== undefined)
    fx.push({ type: 'cancelTimer', timer: 'final', branch: b.id });
  if (b.kind === 'cancelling' && b.guarded)
    fx.push({ type: 'cancelTimer', timer: 'cancelGuard', branch: b.id });
}

function replace(d: Draft, b: BranchState): void {
  const i = d.branches.findIndex((x) => x.id === b.id);
  if (i >= 0) d.branches[i] = b;
}

function hasActive(d: ProxyCommon): boolean {
  return d.branches.some((b) => b.kind !== 'completed');
}

/**
 * RFC 3261 §16.7 step 6: 6xx first; otherwise the lowest class, preferring 401, 407, 415, 420
 * and 484 within 4xx; ties go to the response that came first.
 */
export function responseRank(status: number): number {
  if (status >= 600) return 0;
  const preferred =
    status === 401 || status === 407 || status === 415 || status === 420 || status === 484;
  return Math.floor(status / 100) * 10 + (preferred ? 0 : 1);
}

/** The branch whose final goes upstream when no 2xx came, or undefined when none qualifies. */
export function bestResponse(branches: readonly BranchState[]): CompletedBranch | undefined {
  const done = branches.filter((b): b is CompletedBranch => b.kind === 'completed');
  let pool = done.filter((b) => b.candidate);
  // A followed redirect whose new targets all failed to go out still beats nothing.
  if (pool.length === 0) pool = done.filter((b) => !b.unsent);
  let best: CompletedBranch | undefined;
  for (const b of pool) {
    if (!best) best = b;
    else {
      const r = responseRank(b.status) - responseRank(best.status);
      if (r < 0 || (r === 0 && b.seq < best.seq)) best = b;
    }
  }
  return best;
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}
