import { assertNever } from './errors';

/**
 * The signalling state of one SIP leg of a call, whichever way it points. The a-leg is the
 * caller's INVITE to us (we are UAS); a b-leg is our INVITE to a station (we are UAC). Hold is
 * not here: it is a media-direction concern (`media-direction.ts`).
 *
 * ```
 *            1xx                 2xx
 *   trying ───────▶ ringing ─────────────▶ answered ──── bye | release ───▶ ended
 *     │  (early if 183/SDP)│                                                  ▲
 *     └────────────────────┴─ rejected | cancelled | bye | timer.noAnswer ────┤
 *                             | release ──────────────────────────────────────┘
 * ```
 *
 * Effects are role-neutral and the runner maps them: `terminate` is a CANCEL on a b-leg and a
 * final response with `status` on the a-leg; `hangup` is a BYE (after the ACK for a late 2xx).
 */
export type LegState =
  | { readonly kind: 'trying'; readonly since: number }
  | {
      readonly kind: 'ringing';
      readonly early: boolean;
      readonly since: number;
      readonly ringingSince: number;
    }
  | { readonly kind: 'answered'; readonly since: number; readonly answeredAt: number }
  | {
      readonly kind: 'ended';
      readonly cause: EndCause;
      readonly status?: number;
      readonly endedAt: number;
    };

/**
 * Why a leg ended.
 * - `busy`: the peer answered 486 or 600.
 * - `rejected`: any other final non-2xx from the peer (`status` says which).
 * - `cancelled`: the peer sent CANCEL (the caller gave up).
 * - `no-answer`: the no-answer timer fired before a 2xx.
 * - `remote-bye` / `local-bye`: the peer / we ended an established (or early) dialog.
 * - `released`: we stopped an unanswered leg (caller gone, answered elsewhere, picked up).
 */
export type EndCause =
  'busy' | 'rejected' | 'cancelled' | 'no-answer' | 'remote-bye' | 'local-bye' | 'released';

/** What happened on the leg, plus the one command the call gives it (`release`). */
export type LegEvent =
  | { readonly type: 'provisional'; readonly status: 180 | 181 | 182 | 183; readonly sdp?: boolean }
  | { readonly type: 'answered' }
  | { readonly type: 'rejected'; readonly status: number }
  | { readonly type: 'cancelled' }
  | { readonly type: 'bye' }
  | { readonly type: 'timer.noAnswer' }
  /** The call is done with this leg: stop it if unanswered, hang it up if answered. */
  | { readonly type: 'release'; readonly status?: number };

/** What the runner must do. */
export type LegEffect =
  | { readonly type: 'startTimer'; readonly timer: 'noAnswer'; readonly ms: number }
  | { readonly type: 'cancelTimer'; readonly timer: 'noAnswer' }
  | { readonly type: 'terminate'; readonly status: number }
  | { readonly type: 'hangup' };

/** Options for a new leg. */
export interface LegOptions {
  /** Ring time before `timer.noAnswer`; `null` for none (the a-leg usually has none). */
  readonly noAnswerMs: number | null;
}

/** The OfficeServ-like default ring time before call forward no answer: 15 s. */
export const DEFAULT_NO_ANSWER_MS = 15_000;

/** A new leg that has just sent or received its INVITE. */
export function startLeg(now: number, options: LegOptions): [LegState, LegEffect[]] {
  const effects: LegEffect[] =
    options.noAnswerMs === null
      ? []
      : [{ type: 'startTimer', timer: 'noAnswer', ms: options.noAnswerMs }];
  return [{ kind: 'trying', since: now }, effects];
}

const CANCEL_TIMER: LegEffect = { type: 'cancelTimer', timer: 'noAnswer' };

/** The leg reducer. Pure: `now` is an input, timers are effects. */
export function nextLeg(s: LegState, e: LegEvent, now: number): [LegState, LegEffect[]] {
  switch (s.kind) {
    case 'trying':
    case 'ringing':
      return unanswered(s, e, now);
    case 'answered':
      return answered(s, e, now);
    case 'ended':
      // RFC 3261 15 / 9.1: a 2xx that crossed our CANCEL (or arrived after we gave up) creates
      // a dialog we do not want; the runner ACKs it and sends BYE.
      if (e.type === 'answered' && (s.cause === 'released' || s.cause === 'no-answer'))
        return [s, [{ type: 'hangup' }]];
      return [s, []];
    default:
      return assertNever(s);
  }
}

function unanswered(
  s: Extract<LegState, { kind: 'trying' | 'ringing' }>,
  e: LegEvent,
  now: number,
): [LegState, LegEffect[]] {
  switch (e.type) {
    case 'provisional': {
      const early = e.status === 183 || e.sdp === true;
      if (s.kind === 'trying')
        return [{ kind: 'ringing', early, since: s.since, ringingSince: now }, []];
      // A 180 after a 183 keeps the early media the caller is already hearing.
      if (early && !s.early) return [{ ...s, early: true }, []];
      return [s, []];
    }
    case 'answered':
      return [{ kind: 'answered', since: s.since, answeredAt: now }, [CANCEL_TIMER]];
    case 'rejected': {
      const cause: EndCause = e.status === 486 || e.status === 600 ? 'busy' : 'rejected';
      return [{ kind: 'ended', cause, status: e.status, endedAt: now }, [CANCEL_TIMER]];
    }
    case 'cancelled':
      // The transaction layer answers the CANCEL and the INVITE (487) itself.
      return [{ kind: 'ended', cause: 'cancelled', endedAt: now }, [CANCEL_TIMER]];
    case 'bye':
      // RFC 3261 15.1.2: a caller may BYE an early dialog; the pending INVITE still gets a 487.
      return [
        { kind: 'ended', cause: 'remote-bye', endedAt: now },
        [CANCEL_TIMER, { type: 'terminate', status: 487 }],
      ];
    case 'timer.noAnswer':
      return [
        { kind: 'ended', cause: 'no-answer', status: 480, endedAt: now },
        [{ type: 'terminate', status: 480 }],
      ];
    case 'release': {
      const status = e.status ?? 487;
      return [
        { kind: 'ended', cause: 'released', status, endedAt: now },
        [CANCEL_TIMER, { type: 'terminate', status }],
      ];
    }
    default:
      return assertNever(e);
  }
}

function answered(
  s: Extract<LegState, { kind: 'answered' }>,
  e: LegEvent,
  now: number,
): [LegState, LegEffect[]] {
  switch (e.type) {
    case 'bye':
      return [{ kind: 'ended', cause: 'remote-bye', endedAt: now }, []];
    case 'release':
      return [{ kind: 'ended', cause: 'local-bye', endedAt: now }, [{ type: 'hangup' }]];
    // Late input: a 180 or 2xx retransmission relayed after the 200, a stale timer, or a CANCEL
    // that lost the race with the 2xx (RFC 3261 9.2: it has no effect).
    case 'provisional':
    case 'answered':
    case 'rejected':
    case 'cancelled':
    case 'timer.noAnswer':
      return [s, []];
    default:
      return assertNever(e);
  }
}

/** True while the leg has not reached a final state. */
export function isLive(s: LegState): boolean {
  return s.kind !== 'ended';
}
