import { NotFoundError } from '../errors';
import { emptySlots, nextParkSlots, type ParkEffect, type ParkedCall, type ParkSlots } from '../park-slots';
import { initialStation, nextStation, type StationEffect, type StationEvent, type StationSettings, type StationState } from '../station-state';
import type { CallStore, ConferenceRoom, ConferenceStore, HeldCall, ParkStore, StationStore } from './types';

/**
 * Live stations in memory. `dispatch` runs the station reducer and hands each effect to
 * `onEffect` (the runner persists settings and sends NOTIFYs there); tests read `effects`.
 */
export class MemoryStationStore implements StationStore {
  private readonly stations = new Map<string, StationState>();
  readonly effects: Array<{ station: string; effect: StationEffect }> = [];

  constructor(private readonly onEffect?: (station: string, effect: StationEffect) => void) {}

  /** Adds a station (from the database at start-up or after `pbx ext add`). */
  add(number: string, settings?: Partial<StationSettings>, registered = true): StationState {
    const base = initialStation(number);
    const s: StationState = { ...base, registered, settings: { ...base.settings, ...settings } };
    this.stations.set(number, s);
    return s;
  }

  remove(number: string): void {
    this.stations.delete(number);
  }

  async get(number: string): Promise<StationState | undefined> {
    return this.stations.get(number);
  }

  /** The same as `get`, without a promise, for routing lookups. */
  peek(number: string): StationState | undefined {
    return this.stations.get(number);
  }

  async list(): Promise<readonly StationState[]> {
    return [...this.stations.values()];
  }

  async dispatch(number: string, event: StationEvent): Promise<StationState> {
    return this.apply(number, event);
  }

  /** Synchronous `dispatch`, for runners that are not async. */
  apply(number: string, event: StationEvent): StationState {
    const s = this.stations.get(number);
    if (!s) throw new NotFoundError('station', number);
    const [next, effects] = nextStation(s, event);
    this.stations.set(number, next);
    for (const effect of effects) {
      this.effects.push({ station: number, effect });
      this.onEffect?.(number, effect);
    }
    return next;
  }
}

/** Held calls in memory, set by the call runner from its media-direction state. */
export class MemoryCallStore implements CallStore {
  private readonly held = new Map<string, HeldCall[]>();

  setHeld(holder: string, calls: HeldCall[]): void {
    this.held.set(holder, calls);
  }

  async heldBy(station: string): Promise<readonly HeldCall[]> {
    return this.held.get(station) ?? [];
  }
}

/** Park slots in memory over the park reducer; effects (recall timers) go to `onEffect`. */
export class MemoryParkStore implements ParkStore {
  private slots: ParkSlots = emptySlots();
  readonly effects: ParkEffect[] = [];

  constructor(
    private readonly recallMs: number,
    private readonly onEffect?: (effect: ParkEffect) => void,
  ) {}

  async get(slot: string): Promise<ParkedCall | undefined> {
    return this.slots.get(slot);
  }

  async park(call: ParkedCall): Promise<void> {
    this.apply({ type: 'park', call, recallMs: this.recallMs });
  }

  async take(slot: string): Promise<ParkedCall | undefined> {
    const call = this.slots.get(slot);
    if (call) this.apply({ type: 'retrieve', slot });
    return call;
  }

  /** Runs the park reducer; the runner feeds `timer.recall` and `parkedHungUp` here. */
  apply(event: Parameters<typeof nextParkSlots>[1]): ParkSlots {
    const [next, effects] = nextParkSlots(this.slots, event);
    this.slots = next;
    for (const effect of effects) {
      this.effects.push(effect);
      this.onEffect?.(effect);
    }
    return next;
  }
}

/** Conference rooms in memory, one per owner. */
export class MemoryConferenceStore implements ConferenceStore {
  private readonly rooms = new Map<string, ConferenceRoom>();

  async get(owner: string): Promise<ConferenceRoom | undefined> {
    return this.rooms.get(owner);
  }

  async put(room: ConferenceRoom): Promise<void> {
    this.rooms.set(room.owner, room);
  }

  remove(owner: string): void {
    this.rooms.delete(owner);
  }
}
