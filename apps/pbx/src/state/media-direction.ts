import { assertNever, InvalidStateError } from './errors';

/** An SDP direction attribute (RFC 3264 §5.1), always from the point of view of its sender. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The two parties of a two-party call: `a` the caller's side, `b` the callee's. */
export type Side = 'a' | 'b';

/** What one party has said it wants, learned from its offers and answers. */
export interface SideMedia {
  readonly wantsToSend: boolean;
  readonly wantsToReceive: boolean;
}

/**
 * Hold and resume across a two-party call, kept apart from the call legs' signalling state.
 * The PBX passes SDP through, but rewrites the direction attribute of what it relays so that
 * each party's own hold is kept (RFC 3264 §8.4): a party that put the call on hold is not
 * resumed by the other party's re-INVITE.
 *
 * ```
 *   idle ── offer(X, sdp) ──▶ relayed  ── answer(Y) ──▶ idle      (re-INVITE relayed to Y)
 *   idle ── offer(X, none) ─▶ offerless ── answer(X) ─▶ idle | pbx (we offered in our 2xx;
 *                                                                   X's ACK holds the answer)
 *   idle ── reoffer(Y) ─────▶ pbx ────── answer(Y) ──▶ idle       (our own re-INVITE to Y)
 *   any pending ── offerRejected ──▶ idle (nothing learned)
 * ```
 */
export interface MediaDirectionState {
  readonly a: SideMedia;
  readonly b: SideMedia;
  readonly pending: PendingOffer | null;
}

/** The one offer/answer exchange in progress (RFC 3264 allows one at a time per dialog). */
export type PendingOffer =
  /** `from` sent a re-INVITE with SDP; we relayed it to the other side as `sent`. */
  | {
      readonly kind: 'relayed';
      readonly from: Side;
      readonly offered: Direction;
      readonly sent: Direction;
      readonly before: SideMedia;
    }
  /** `from` sent a re-INVITE without SDP; our 2xx to it offered `sent`. */
  | { readonly kind: 'offerless'; readonly from: Side; readonly sent: Direction }
  /** We sent our own re-INVITE to `to`, offering `sent`. */
  | { readonly kind: 'pbx'; readonly to: Side; readonly sent: Direction };

export type MediaEvent =
  /** A re-INVITE from `from`; `direction` null when it carries no SDP. */
  | { readonly type: 'offer'; readonly from: Side; readonly direction: Direction | null }
  /** The SDP answer from `from`: its 2xx to our re-INVITE, or its ACK after an offerless re-INVITE. */
  | { readonly type: 'answer'; readonly from: Side; readonly direction: Direction }
  /** `from` refused our re-INVITE (or sent an ACK without the answer it owed). */
  | { readonly type: 'offerRejected'; readonly from: Side; readonly status: number }
  /** Command: re-offer media to `to` from what both sides want (after a transfer, park, pickup). */
  | { readonly type: 'reoffer'; readonly to: Side };

export type MediaEffect =
  /** Send a re-INVITE to `to` with the other side's SDP, direction set to `direction`. */
  | { readonly type: 'sendOffer'; readonly to: Side; readonly direction: Direction }
  /** Answer `to`'s re-INVITE with 200 and the other side's answer SDP, direction `direction`. */
  | { readonly type: 'sendAnswer'; readonly to: Side; readonly direction: Direction }
  /** Answer `to`'s offerless re-INVITE with 200 carrying an offer: the other side's SDP at `direction`. */
  | { readonly type: 'offerInAnswer'; readonly to: Side; readonly direction: Direction }
  /** Refuse `to`'s re-INVITE with `status` (491 glare, 500 overlap, or the other side's refusal). */
  | { readonly type: 'reject'; readonly to: Side; readonly status: number }
  /** `side` was put on hold or taken off hold by the other side: the music-on-hold hook. */
  | { readonly type: 'holdChanged'; readonly side: Side; readonly onHold: boolean }
  /**
   * Our own re-INVITE to `to` crossed one of its own (491): `reoffer` to it after the random wait
   * of RFC 3261 14.1, unless another exchange with it has told it what it needs by then.
   */
  | { readonly type: 'retryOffer'; readonly to: Side };

const BOTH: SideMedia = { wantsToSend: true, wantsToReceive: true };

/** A call that has just been answered with both sides sending and receiving. */
export function initialMedia(a: SideMedia = BOTH, b: SideMedia = BOTH): MediaDirectionState {
  return { a, b, pending: null };
}

export function other(side: Side): Side {
  return side === 'a' ? 'b' : 'a';
}

/** True when the other side does not want to hear `side`: `side` is on hold. */
export function isOnHold(s: MediaDirectionState, side: Side): boolean {
  return !s[other(side)].wantsToReceive;
}

/** True when `side` has put the call on hold. */
export function isHolding(s: MediaDirectionState, side: Side): boolean {
  return !s[side].wantsToReceive;
}

/** The direction attribute for a sender that sends and/or receives. */
export function directionOf(send: boolean, receive: boolean): Direction {
  if (send && receive) return 'sendrecv';
  if (send) return 'sendonly';
  if (receive) return 'recvonly';
  return 'inactive';
}

export function sends(d: Direction): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

export function receives(d: Direction): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

/**
 * What the PBX, speaking for `from`, offers to `to`: send to `to` only if `from` wants to send
 * and `to` wants to receive; receive only if both the other way round. RFC 3264 §8.4: a stream
 * that was recvonly is put on hold by marking it inactive, not sendonly.
 */
export function directionToOffer(from: SideMedia, to: SideMedia): Direction {
  return directionOf(from.wantsToSend && to.wantsToReceive, from.wantsToReceive && to.wantsToSend);
}

/**
 * The directions RFC 3264 §6.1 allows in an answer to `offered`, preferring `wanted`:
 * sendonly ↔ recvonly, inactive stays inactive, sendrecv allows anything.
 */
export function answerDirection(offered: Direction, wanted: Direction = 'sendrecv'): Direction {
  return directionOf(sends(wanted) && receives(offered), receives(wanted) && sends(offered));
}

/**
 * What an offer tells us. Saying "send" or "receive" is always meant; leaving one out only counts
 * when the other side left that way open. RFC 3264 §8.4: a party whose stream was recvonly
 * because it was held puts the call on hold with `inactive`, which does not mean it stopped
 * wanting to send.
 */
function fromOffer(before: SideMedia, otherSide: SideMedia, d: Direction): SideMedia {
  return {
    wantsToSend: sends(d) || (otherSide.wantsToReceive ? false : before.wantsToSend),
    wantsToReceive: receives(d) || (otherSide.wantsToSend ? false : before.wantsToReceive),
  };
}

/** An answer only tells us about the dimensions our offer left open to the answerer. */
function fromAnswer(before: SideMedia, offered: Direction, answered: Direction): SideMedia {
  return {
    wantsToSend: receives(offered) ? sends(answered) : before.wantsToSend,
    wantsToReceive: sends(offered) ? receives(answered) : before.wantsToReceive,
  };
}

function withSide(s: MediaDirectionState, side: Side, media: SideMedia): MediaDirectionState {
  return side === 'a' ? { ...s, a: media } : { ...s, b: media };
}

function holdEffects(before: MediaDirectionState, after: MediaDirectionState): MediaEffect[] {
  const effects: MediaEffect[] = [];
  for (const side of ['a', 'b'] as const) {
    const was = isOnHold(before, side);
    const is = isOnHold(after, side);
    if (was !== is) effects.push({ type: 'holdChanged', side, onHold: is });
  }
  return effects;
}

/** The media-direction reducer. */
export function nextMedia(
  s: MediaDirectionState,
  e: MediaEvent,
): [MediaDirectionState, MediaEffect[]] {
  switch (e.type) {
    case 'offer':
      return onOffer(s, e.from, e.direction);
    case 'answer':
      return onAnswer(s, e.from, e.direction);
    case 'offerRejected':
      return onRejected(s, e.from, e.status);
    case 'reoffer': {
      if (s.pending) throw new InvalidStateError('media-direction', s.pending.kind, 'reoffer');
      const sent = directionToOffer(s[other(e.to)], s[e.to]);
      return [
        { ...s, pending: { kind: 'pbx', to: e.to, sent } },
        [{ type: 'sendOffer', to: e.to, direction: sent }],
      ];
    }
    default:
      return assertNever(e);
  }
}

function onOffer(
  s: MediaDirectionState,
  from: Side,
  direction: Direction | null,
): [MediaDirectionState, MediaEffect[]] {
  if (s.pending) {
    // RFC 3261 14.2: a second re-INVITE from the same side before we answered the first gets
    // 500; one that crosses ours (glare) gets 491 and the UA retries after a random wait.
    const sameSide = s.pending.kind === 'pbx' ? false : s.pending.from === from;
    return [s, [{ type: 'reject', to: from, status: sameSide ? 500 : 491 }]];
  }
  const to = other(from);
  if (direction === null) {
    // RFC 3261 14.1 / RFC 3264 §5: with no offer in the re-INVITE, the 2xx must carry one. We
    // answer locally from the other side's last SDP rather than disturb the other phone.
    const sent = directionToOffer(s[to], s[from]);
    return [
      { ...s, pending: { kind: 'offerless', from, sent } },
      [{ type: 'offerInAnswer', to: from, direction: sent }],
    ];
  }
  const before = s[from];
  const next = withSide(s, from, fromOffer(before, s[to], direction));
  const sent = directionToOffer(next[from], next[to]);
  return [
    { ...next, pending: { kind: 'relayed', from, offered: direction, sent, before } },
    [{ type: 'sendOffer', to, direction: sent }, ...holdEffects(s, next)],
  ];
}

function onAnswer(
  s: MediaDirectionState,
  from: Side,
  direction: Direction,
): [MediaDirectionState, MediaEffect[]] {
  const p = s.pending;
  if (!p) return [s, []]; // A retransmitted 2xx or ACK: already handled.
  switch (p.kind) {
    case 'relayed': {
      if (from !== other(p.from)) return [s, []];
      const next = { ...withSide(s, from, fromAnswer(s[from], p.sent, direction)), pending: null };
      // The answer to our rewritten offer also fits the original offer: ours was a subset of it.
      return [next, [{ type: 'sendAnswer', to: p.from, direction }, ...holdEffects(s, next)]];
    }
    case 'offerless': {
      if (from !== p.from) return [s, []];
      const learned = {
        ...withSide(s, from, fromAnswer(s[from], p.sent, direction)),
        pending: null,
      };
      const effects = holdEffects(s, learned);
      const to = other(from);
      const now = directionToOffer(learned[from], learned[to]);
      const had = directionToOffer(s[from], s[to]);
      if (now === had) return [learned, effects];
      // The answer changed what `from` wants (it held or resumed): tell the other side.
      return [
        { ...learned, pending: { kind: 'pbx', to, sent: now } },
        [{ type: 'sendOffer', to, direction: now }, ...effects],
      ];
    }
    case 'pbx': {
      if (from !== p.to) return [s, []];
      const next = { ...withSide(s, from, fromAnswer(s[from], p.sent, direction)), pending: null };
      return [next, holdEffects(s, next)];
    }
    default:
      return assertNever(p);
  }
}

function onRejected(
  s: MediaDirectionState,
  from: Side,
  status: number,
): [MediaDirectionState, MediaEffect[]] {
  const p = s.pending;
  if (!p) return [s, []];
  switch (p.kind) {
    case 'relayed': {
      if (from !== other(p.from)) return [s, []];
      // RFC 3261 14.1: a failed re-INVITE leaves the session as it was.
      const next = { ...withSide(s, p.from, p.before), pending: null };
      return [next, [{ type: 'reject', to: p.from, status }, ...holdEffects(s, next)]];
    }
    case 'offerless':
      return from === p.from ? [{ ...s, pending: null }, []] : [s, []];
    case 'pbx':
      if (from !== p.to) return [s, []];
      // Glare: nobody else will tell `to` what the other side now wants, so we try again.
      return [{ ...s, pending: null }, status === 491 ? [{ type: 'retryOffer', to: from }] : []];
    default:
      return assertNever(p);
  }
}
