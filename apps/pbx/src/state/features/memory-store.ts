import {
  emptySlots,
  nextParkSlots,
  type ParkEffect,
  type ParkedCall,
  type ParkSlots,
} from '../park-slots';
import type { CallStore, ConferenceRoom, ConferenceStore, HeldCall, ParkStore } from './types';

/** Held calls in memory, set by the call runner from its media-direction state. */
export class MemoryCallStore implements CallStore {
  private readonly held = new Map<string, HeldCall[]>();

  setHeld(holder: string, calls: HeldCall[]): void {
    this.held.set(holder, calls);
  }

  private readonly talking = new Map<string, HeldCall[]>();

  setTalking(station: string, calls: HeldCall[]): void {
    this.talking.set(station, calls);
  }

  async heldBy(station: string): Promise<readonly HeldCall[]> {
    return this.held.get(station) ?? [];
  }

  async talkingWith(station: string): Promise<readonly HeldCall[]> {
    return this.talking.get(station) ?? [];
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
