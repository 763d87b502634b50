import { assertNever } from './errors';
import type { LegId } from './ids';

/**
 * One conference on the media server's mixer: an OfficeServ ad-hoc conference built with 46 by
 * its owner, or a dial-in room (a conference room number any station dials).
 *
 * ```
 *   (46, held call) ─▶ building ── 46 again (start) ──▶ started ── parties < 3 ──▶ ended
 *        ▲  add: member onto the mixer     │  every party re-INVITEd, the owner's held leg too
 *        └── owner's next call connected ◀─┘  (the owner's conference leg is cleared: building)
 *   (room dialled) ─▶ started ── last party left ──▶ ended
 * ```
 *
 * A *party* is a leg on the mixer. The owner's *held leg* is the owner's dialog of the call it
 * held and conferenced last: it is not on the mixer until the start re-INVITEs it (the manual:
 * "the Re-INVITE (resume) message to all terminals, including the conferencing station") or the
 * owner resumes it. When the owner's next call connects, the previous held leg is cleared (the
 * manual: many phones allow only two dialogs, and the next 46 needs one).
 *
 * Ending: an ad-hoc conference that drops to two parties after it started reconnects them
 * directly (they keep talking, as an ordinary call that frees the mixer and can be held,
 * transferred or parked again); one party left alone is released. A room stays on the mixer until
 * its last party leaves (people dial in one by one and wait for the others). While the owner is
 * still building, members stay on the mixer whatever their number.
 */
export interface ConferenceState {
  /** The owner's station (ad-hoc) or the room number. */
  readonly id: string;
  readonly kind: 'adhoc' | 'room';
  readonly phase: 'building' | 'started' | 'ended';
  /** Parties allowed at once, the owner included (the manual's five by default). */
  readonly maxParties: number;
  /** Legs on the mixer, in joining order. */
  readonly parties: readonly ConferenceParty[];
  /** The owner's held leg, not on the mixer (ad-hoc only). */
  readonly ownerLeg: LegId | null;
}

export interface ConferenceParty {
  readonly legId: LegId;
  /** The number shown for the party. */
  readonly party: string;
  readonly role: 'member' | 'owner';
}

export type ConferenceEvent =
  /**
   * 46 with a call to conference: `member` (the held party) joins the mixer. `ownerLeg` is the
   * owner's dialog of that call; `ownerTalking` when the phone did not hold it (then the owner's
   * leg joins the mixer at once too, so the owner hears the members while it dials the next).
   */
  | {
      readonly type: 'add';
      readonly member: { readonly legId: LegId; readonly party: string };
      readonly ownerLeg: { readonly legId: LegId; readonly party: string };
      readonly ownerTalking: boolean;
    }
  /** 46 twice in a row: stop adding; everyone (the owner's held leg too) is re-INVITEd. */
  | { readonly type: 'start' }
  /** A station dialled the room number (room conferences). */
  | { readonly type: 'dialIn'; readonly legId: LegId; readonly party: string }
  /** The owner's held leg re-INVITEd (resume) before the start re-INVITE reached it. */
  | { readonly type: 'ownerResumed' }
  /** A call the owner placed (the next member) was answered. */
  | { readonly type: 'ownerCallConnected' }
  /** A party or the owner's held leg hung up (BYE), or could not be put on the mixer. */
  | { readonly type: 'left'; readonly legId: LegId };

export type ConferenceEffect =
  /** Give the leg a mixer endpoint and re-INVITE its phone onto it (`refresh`: it is already). */
  | { readonly type: 'toMixer'; readonly legId: LegId; readonly refresh: boolean }
  /** Answer the room caller's INVITE from a new mixer endpoint. */
  | { readonly type: 'answerOnMixer'; readonly legId: LegId }
  /** The dial-in is refused: the room is full. */
  | { readonly type: 'refuse'; readonly legId: LegId; readonly reason: 'full' }
  /** BYE to the leg (its mixer endpoint, if any, goes too). */
  | { readonly type: 'release'; readonly legId: LegId }
  /** Forget the leg's mixer endpoint; the leg itself is gone or leaves the conference. */
  | { readonly type: 'dropEndpoint'; readonly legId: LegId }
  /** The last two parties leave the mixer and are re-INVITEd towards each other. */
  | { readonly type: 'connectDirect'; readonly a: LegId; readonly b: LegId }
  /** The conference is over: destroy the mixer. */
  | { readonly type: 'ended' };

/** A new, empty conference. */
export function newConference(
  id: string,
  kind: ConferenceState['kind'],
  maxParties: number,
): ConferenceState {
  return {
    id,
    kind,
    phase: kind === 'room' ? 'started' : 'building',
    maxParties,
    parties: [],
    ownerLeg: null,
  };
}

/** Parties counted against the limit: those on the mixer and the owner's held leg. */
export function partyCount(s: ConferenceState): number {
  const ownerOnMixer = s.parties.some((p) => p.role === 'owner');
  return s.parties.length + (s.ownerLeg !== null && !ownerOnMixer ? 1 : 0);
}

/** Whether a 46 with one more member fits: the members, the new one and the owner. */
export function canAdd(s: ConferenceState | undefined, maxParties: number): boolean {
  const members = s ? s.parties.filter((p) => p.role === 'member').length : 0;
  return members + 2 <= (s?.maxParties ?? maxParties);
}

/** True when the leg is a party or the owner's held leg of this conference. */
export function hasLeg(s: ConferenceState, legId: LegId): boolean {
  return s.ownerLeg === legId || s.parties.some((p) => p.legId === legId);
}

/** The conference reducer. */
export function nextConference(
  s: ConferenceState,
  e: ConferenceEvent,
): [ConferenceState, ConferenceEffect[]] {
  if (s.phase === 'ended') {
    // Late input for a conference that is over: a leg that still exists is nobody's now.
    return [s, e.type === 'dialIn' ? [{ type: 'refuse', legId: e.legId, reason: 'full' }] : []];
  }
  switch (e.type) {
    case 'add': {
      const effects: ConferenceEffect[] = [];
      let parties = s.parties;
      let ownerLeg = s.ownerLeg;
      // An earlier held leg of the owner that was not cleared yet: it is of no use any more.
      if (ownerLeg !== null && ownerLeg !== e.ownerLeg.legId) {
        effects.push({ type: 'release', legId: ownerLeg });
        ownerLeg = null;
      }
      const staleOwner = parties.find((p) => p.role === 'owner' && p.legId !== e.ownerLeg.legId);
      if (staleOwner) {
        effects.push({ type: 'release', legId: staleOwner.legId });
        parties = parties.filter((p) => p !== staleOwner);
      }
      parties = [...parties, { legId: e.member.legId, party: e.member.party, role: 'member' }];
      effects.push({ type: 'toMixer', legId: e.member.legId, refresh: false });
      if (e.ownerTalking) {
        parties = [...parties, { legId: e.ownerLeg.legId, party: e.ownerLeg.party, role: 'owner' }];
        effects.push({ type: 'toMixer', legId: e.ownerLeg.legId, refresh: false });
        ownerLeg = null;
      } else {
        ownerLeg = e.ownerLeg.legId;
      }
      return [{ ...s, phase: 'building', parties, ownerLeg }, effects];
    }
    case 'start': {
      if (s.kind === 'room') return [s, []];
      const effects: ConferenceEffect[] = s.parties.map((p) => ({
        type: 'toMixer',
        legId: p.legId,
        refresh: true,
      }));
      let parties = s.parties;
      if (s.ownerLeg !== null) {
        effects.push({ type: 'toMixer', legId: s.ownerLeg, refresh: false });
        parties = [...parties, { legId: s.ownerLeg, party: s.id, role: 'owner' }];
      }
      const started: ConferenceState = { ...s, phase: 'started', parties, ownerLeg: null };
      const [after, more] = collapse(started);
      // Collapsing replaces the re-INVITEs: the parties go straight to each other (or away).
      return [after, after.phase === 'ended' ? more : [...effects, ...more]];
    }
    case 'ownerResumed': {
      if (s.ownerLeg === null) return [s, []];
      const parties = [...s.parties, { legId: s.ownerLeg, party: s.id, role: 'owner' as const }];
      return [
        { ...s, parties, ownerLeg: null },
        [{ type: 'toMixer', legId: s.ownerLeg, refresh: false }],
      ];
    }
    case 'dialIn': {
      if (s.kind !== 'room' || s.parties.length >= s.maxParties)
        return [s, [{ type: 'refuse', legId: e.legId, reason: 'full' }]];
      return [
        { ...s, parties: [...s.parties, { legId: e.legId, party: e.party, role: 'member' }] },
        [{ type: 'answerOnMixer', legId: e.legId }],
      ];
    }
    case 'ownerCallConnected': {
      if (s.kind === 'room') return [s, []];
      const owner = s.parties.find((p) => p.role === 'owner');
      const gone = [s.ownerLeg, owner?.legId].filter((l): l is LegId => l !== null && !!l);
      if (gone.length === 0) return [s, []];
      // The owner is adding another member: back to building, so the rest do not collapse.
      const parties = s.parties.filter((p) => p.role !== 'owner');
      return [
        { ...s, phase: 'building', parties, ownerLeg: null },
        gone.map((legId) => ({ type: 'release', legId })),
      ];
    }
    case 'left': {
      if (!hasLeg(s, e.legId)) return [s, []];
      const effects: ConferenceEffect[] = [];
      if (s.parties.some((p) => p.legId === e.legId))
        effects.push({ type: 'dropEndpoint', legId: e.legId });
      const left: ConferenceState = {
        ...s,
        parties: s.parties.filter((p) => p.legId !== e.legId),
        ownerLeg: s.ownerLeg === e.legId ? null : s.ownerLeg,
      };
      const [after, more] = collapse(left);
      return [after, [...effects, ...more]];
    }
    default:
      return assertNever(e);
  }
}

/** The ending rules (see the type's comment). */
function collapse(s: ConferenceState): [ConferenceState, ConferenceEffect[]] {
  const ended: ConferenceState = { ...s, phase: 'ended', parties: [], ownerLeg: null };
  if (s.kind === 'room') return s.parties.length === 0 ? [ended, [{ type: 'ended' }]] : [s, []];
  if (s.phase === 'building') {
    if (s.parties.some((p) => p.role === 'member')) return [s, []];
    // Every member left before the start: nobody is left to conference with.
    const owner = [...s.parties.map((p) => p.legId), ...(s.ownerLeg ? [s.ownerLeg] : [])];
    return [
      ended,
      [...owner.map((legId) => ({ type: 'release' as const, legId })), { type: 'ended' }],
    ];
  }
  const [a, b, third] = s.parties;
  if (third) return [s, []];
  if (a && b)
    return [
      ended,
      [
        { type: 'dropEndpoint', legId: a.legId },
        { type: 'dropEndpoint', legId: b.legId },
        { type: 'connectDirect', a: a.legId, b: b.legId },
        { type: 'ended' },
      ],
    ];
  if (a) return [ended, [{ type: 'release', legId: a.legId }, { type: 'ended' }]];
  return [ended, [{ type: 'ended' }]];
}
