import { NotFoundError } from '../errors';
import {
  initialStation,
  nextStation,
  type StationEffect,
  type StationEvent,
  type StationSettings,
  type StationState,
} from '../station-state';
import type { StationStore } from './types';

/**
 * The station reducer's state for every live station, by number. `dispatch` runs the reducer
 * and hands each effect to `onEffect` (the SQLite station store persists settings there, busy
 * lamps will send NOTIFYs). The production station store keeps its live state in one of these.
 *
 * Without `onEffect` (tests) the effects are kept in `effects` for the test to read; with one
 * they are handed over and not kept, since every call adds several and a log nobody reads would
 * grow for as long as the PBX runs.
 */
export class StationStateMap implements StationStore {
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
    const onEffect = this.onEffect;
    for (const effect of effects) {
      if (onEffect) onEffect(number, effect);
      else this.effects.push({ station: number, effect });
    }
    return next;
  }
}
