import { assertNever, InvalidStateError } from './errors';
import type { CallRef, LegId } from './ids';

/** Park recall time when the configuration gives none (`features.parkRecallTime`, 60 s). */
export const DEFAULT_PARK_RECALL_MS = 60_000;

/** A call waiting in a park slot (OfficeServ "system hold"). */
export interface ParkedCall {
  /** The slot is a station number: 11 + 220 parks at 220, 12 + 220 retrieves. */
  readonly slot: string;
  readonly callRef: CallRef;
  /** The parked party's leg, which stays up (on hold) while parked. */
  readonly legId: LegId;
  /** The parked party's number, for logs and the recall display. */
  readonly party: string;
  /** The station that parked it; the call recalls there. */
  readonly parkedBy: string;
  readonly parkedAt: number;
}

/**
 * All park slots. Each slot holds at most one call.
 *
 * ```
 *   empty ── park ──▶ occupied ── retrieve | timer.recall | parkedHungUp ──▶ empty
 * ```
 */
export type ParkSlots = ReadonlyMap<string, ParkedCall>;

export type ParkEvent =
  | { readonly type: 'park'; readonly call: ParkedCall; readonly recallMs: number }
  | { readonly type: 'retrieve'; readonly slot: string }
  | { readonly type: 'timer.recall'; readonly slot: string }
  /** The parked party hung up while waiting. */
  | { readonly type: 'parkedHungUp'; readonly legId: LegId };

export type ParkEffect =
  | {
      readonly type: 'startTimer';
      readonly timer: 'recall';
      readonly slot: string;
      readonly ms: number;
    }
  | { readonly type: 'cancelTimer'; readonly timer: 'recall'; readonly slot: string }
  /** Ring the parking station with the parked call (E-Hold recall). */
  | { readonly type: 'recall'; readonly call: ParkedCall };

export function emptySlots(): ParkSlots {
  return new Map();
}

function without(s: ParkSlots, slot: string): ParkSlots {
  const next = new Map(s);
  next.delete(slot);
  return next;
}

/**
 * The park reducer. Parking into an occupied slot is a bug (the park feature checks first) and
 * throws; a retrieve, recall or hang-up that finds the slot already empty is late input.
 */
export function nextParkSlots(s: ParkSlots, e: ParkEvent): [ParkSlots, ParkEffect[]] {
  switch (e.type) {
    case 'park': {
      if (s.has(e.call.slot))
        throw new InvalidStateError('park-slots', `slot ${e.call.slot} occupied`, 'park');
      const next = new Map(s);
      next.set(e.call.slot, e.call);
      return [next, [{ type: 'startTimer', timer: 'recall', slot: e.call.slot, ms: e.recallMs }]];
    }
    case 'retrieve':
      if (!s.has(e.slot)) return [s, []];
      return [without(s, e.slot), [{ type: 'cancelTimer', timer: 'recall', slot: e.slot }]];
    case 'timer.recall': {
      const call = s.get(e.slot);
      if (!call) return [s, []];
      return [without(s, e.slot), [{ type: 'recall', call }]];
    }
    case 'parkedHungUp': {
      const call = [...s.values()].find((c) => c.legId === e.legId);
      if (!call) return [s, []];
      return [without(s, call.slot), [{ type: 'cancelTimer', timer: 'recall', slot: call.slot }]];
    }
    default:
      return assertNever(e);
  }
}
