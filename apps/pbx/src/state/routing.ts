import type { RoutingView } from './station-state';

/** RFC 5806 diversion reasons we produce. */
export type DiversionReason = 'unconditional' | 'user-busy' | 'no-answer' | 'unavailable';

/** One diversion: station `from` sent the call on, for `reason`. */
export interface Diversion {
  readonly from: string;
  readonly reason: DiversionReason;
  readonly counter: number;
}

/**
 * Where a call to a station goes. A closed union: the call runner acts on each kind.
 *
 * `diversions` are in header order, most recent first (RFC 5806 adds each diversion on top); the
 * runner writes one `Diversion` header per entry with `formatDiversion`. `visited` is the chain
 * of stations the call went through, first to last (starting with the caller when known), for
 * loop detection when the no-answer timer continues the chain, the log and the CDR.
 */
export type Route =
  | {
      readonly kind: 'ring';
      readonly station: string;
      readonly diversions: readonly Diversion[];
      readonly visited: readonly string[];
      /** When to give up ringing and where to go then; `null` to ring until the caller gives up. */
      readonly noAnswer: { readonly afterMs: number; readonly forwardTo: string } | null;
    }
  | {
      /** A forward to an outside number (trunk access code + digits): the call leaves on a trunk. */
      readonly kind: 'outside';
      readonly number: string;
      readonly diversions: readonly Diversion[];
      readonly visited: readonly string[];
    }
  | {
      /**
       * A forward to the station's own mailbox (601-604 + the voice-mail code, stored as a
       * forward to the station's own number): the caller goes straight to `station`'s greeting.
       */
      readonly kind: 'voicemail';
      readonly station: string;
      /** Which forward sent it there (a no-answer one fires after the no-answer time). */
      readonly reason: DiversionReason;
      readonly diversions: readonly Diversion[];
      readonly visited: readonly string[];
    }
  | {
      readonly kind: 'reject';
      readonly status: 404 | 480 | 486;
      readonly cause: RejectCause;
      /** The station that caused the rejection (the last in the chain). */
      readonly station: string;
      readonly diversions: readonly Diversion[];
      readonly visited: readonly string[];
    };

/**
 * Why a call could not ring anywhere:
 * `not-found` 404, `dnd` 486, `busy` 486, `unregistered` 480, `no-answer` 480.
 */
export type RejectCause = 'not-found' | 'dnd' | 'busy' | 'unregistered' | 'no-answer';

/** Looks a station up by number; `undefined` when there is no such station. */
export type StationLookup = (number: string) => RoutingView | undefined;

export interface RouteRequest {
  /** The station number dialled (or the forward target being continued to). */
  readonly target: string;
  readonly lookup: StationLookup;
  /** The calling station, if any: a forward back to the caller is ignored like a loop. */
  readonly caller?: string;
  /** Most forwards one call may follow. */
  readonly maxForwards?: number;
  /** True for an outside number a forward may point at (trunk access code + digits). */
  readonly isOutside?: (number: string) => boolean;
}

/** Chained forwards followed at most (a sixth is ignored like a loop). */
export const DEFAULT_MAX_FORWARDS = 5;

interface Chain {
  readonly lookup: StationLookup;
  readonly isOutside?: ((number: string) => boolean) | undefined;
  readonly maxForwards: number;
  readonly visited: readonly string[];
  readonly diversions: readonly Diversion[];
}

/**
 * Decides where a call to `target` goes, following forwards:
 *
 * 1. Call forward all → on to the target (`unconditional`).
 * 2. DND → 486.
 * 3. Not registered → call forward unreachable target (`unavailable`), else 480.
 * 4. Busy → busy or busy/no-answer forward target (`user-busy`), else 486.
 * 5. Otherwise ring, and after the no-answer time go to the no-answer or busy/no-answer target.
 *
 * A forward is ignored, as if it were not set, when following it would revisit a station of the
 * chain (including the caller), exceed `maxForwards`, or lead to a station that does not exist.
 * So a loop 201 → 202 → 201 rings 202, the last station before the loop, with 202's own DND,
 * busy and registration rules applying; it never ends in 482.
 *
 * A forward whose target is the station itself means "to my mailbox" ({@link isVoicemailForward}):
 * the route ends in `voicemail` for that station, wherever it is in the chain (201 forwards to
 * 202, 202 forwards to voice mail: 202's mailbox).
 */
export function routeCall(req: RouteRequest): Route {
  const chain: Chain = {
    lookup: req.lookup,
    isOutside: req.isOutside,
    maxForwards: req.maxForwards ?? DEFAULT_MAX_FORWARDS,
    visited: req.caller === undefined ? [] : [req.caller],
    diversions: [],
  };
  return resolve(req.target, chain);
}

/**
 * Continues a ringing route whose no-answer timer fired. Reads the ringing station's forward as
 * it is now (the user may have changed it while the call rang); without a usable no-answer
 * forward the call ends with 480.
 */
export function routeNoAnswer(
  ring: Extract<Route, { kind: 'ring' }>,
  lookup: StationLookup,
  maxForwards = DEFAULT_MAX_FORWARDS,
  isOutside?: (number: string) => boolean,
): Route {
  const chain: Chain = {
    lookup,
    isOutside,
    maxForwards,
    visited: ring.visited,
    diversions: ring.diversions,
  };
  const station = lookup(ring.station);
  if (station && isVoicemailForward(station) && isNoAnswer(station.forward)) {
    return toMailbox(ring.station, 'no-answer', chain.diversions, ring.visited);
  }
  const target = station ? noAnswerTarget(station, chain) : null;
  if (target === null) {
    return {
      kind: 'reject',
      status: 480,
      cause: 'no-answer',
      station: ring.station,
      diversions: ring.diversions,
      visited: ring.visited,
    };
  }
  return resolve(target, divert(chain, ring.station, 'no-answer'));
}

function resolve(target: string, chain: Chain): Route {
  const s = chain.lookup(target);
  const visited = [...chain.visited, target];
  const here: Chain = { ...chain, visited };
  const reject = (status: 404 | 480 | 486, cause: RejectCause): Route => ({
    kind: 'reject',
    status,
    cause,
    station: target,
    diversions: chain.diversions,
    visited,
  });
  if (!s) {
    // Only a forward reaches an outside number here (the dialled one was classified before).
    if (chain.diversions.length > 0 && chain.isOutside?.(target))
      return { kind: 'outside', number: target, diversions: chain.diversions, visited };
    return reject(404, 'not-found');
  }

  const fwd = s.forward;
  const toVoicemail = isVoicemailForward(s);
  if (fwd?.type === 'all' && toVoicemail)
    return toMailbox(target, 'unconditional', chain.diversions, visited);
  if (fwd?.type === 'all' && canFollow(fwd.target, here)) {
    return resolve(fwd.target, divert(here, target, 'unconditional'));
  }
  if (s.dnd) return reject(486, 'dnd');
  if (!s.registered) {
    const to = s.unreachableTarget;
    if (to !== null && canFollow(to, here)) return resolve(to, divert(here, target, 'unavailable'));
    return reject(480, 'unregistered');
  }
  if (s.busy) {
    if ((fwd?.type === 'busy' || fwd?.type === 'busyNoAnswer') && toVoicemail)
      return toMailbox(target, 'user-busy', chain.diversions, visited);
    if ((fwd?.type === 'busy' || fwd?.type === 'busyNoAnswer') && canFollow(fwd.target, here)) {
      return resolve(fwd.target, divert(here, target, 'user-busy'));
    }
    return reject(486, 'busy');
  }
  const forwardTo = toVoicemail && isNoAnswer(fwd) ? target : noAnswerTarget(s, here);
  return {
    kind: 'ring',
    station: target,
    diversions: chain.diversions,
    visited,
    noAnswer: forwardTo === null ? null : { afterMs: s.noAnswerMs, forwardTo },
  };
}

/**
 * True when the station forwards to its own mailbox: a forward to itself (which would otherwise
 * be a loop) is how 601-604 + the voice-mail code, `--forward-all voicemail` and the console's
 * "voice mail" target are stored.
 */
export function isVoicemailForward(s: Pick<RoutingView, 'number' | 'forward'>): boolean {
  return s.forward !== null && s.forward.target === s.number;
}

function isNoAnswer(fwd: RoutingView['forward']): boolean {
  return fwd?.type === 'noAnswer' || fwd?.type === 'busyNoAnswer';
}

function toMailbox(
  station: string,
  reason: DiversionReason,
  diversions: readonly Diversion[],
  visited: readonly string[],
): Route {
  return { kind: 'voicemail', station, reason, diversions, visited };
}

function noAnswerTarget(s: RoutingView, chain: Chain): string | null {
  const fwd = s.forward;
  if (fwd?.type !== 'noAnswer' && fwd?.type !== 'busyNoAnswer') return null;
  return canFollow(fwd.target, chain) ? fwd.target : null;
}

function canFollow(target: string, chain: Chain): boolean {
  return (
    !chain.visited.includes(target) &&
    chain.diversions.length < chain.maxForwards &&
    (chain.lookup(target) !== undefined || chain.isOutside?.(target) === true)
  );
}

function divert(chain: Chain, from: string, reason: DiversionReason): Chain {
  return { ...chain, diversions: [{ from, reason, counter: 1 }, ...chain.diversions] };
}

/**
 * One `Diversion` header value (RFC 5806 §4):
 * `<sip:201@pbx.example>;reason=user-busy;counter=1`.
 */
export function formatDiversion(d: Diversion, domain: string): string {
  return `<sip:${d.from}@${domain}>;reason=${d.reason};counter=${d.counter}`;
}
