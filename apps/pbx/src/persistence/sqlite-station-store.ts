/**
 * The feature handlers' `StationStore` over the `stations` table: live state (registration, legs)
 * in memory through the station reducer, settings loaded from SQLite and written back.
 */
import type { Logger } from 'pino';
import type { Station, Store } from '@pbx/store';
import { StationStateMap, type StationStore } from '../state/features';
import type { StationEffect, StationEvent, StationState } from '../state/station-state';
import { sameSettings, settingsFromStation, stationPatchFromSettings } from './station-settings';

/** Told about every reducer effect (busy lamps listen for `presenceChanged`). */
export type StationEffectListener = (
  station: string,
  effect: StationEffect,
  state: StationState,
) => void;

export interface SqliteStationStoreOptions {
  /** `features.forwardNoAnswerTimer` in seconds, read at each load (it can change live). */
  defaultNoAnswerSeconds: () => number;
  /** The digest realm (`sip.domain`); the station repository wants it on every update. */
  realm: () => string;
  logger?: Logger;
}

/**
 * Stations for call control and feature codes.
 *
 * - `load()` reads every row: new stations are added unregistered, known ones get
 *   `settingsLoaded` (their legs and registration stay), removed ones are dropped once they have
 *   no live leg. Call it at start and on the watcher's `stations` and `config` changes
 *   (`onChange`).
 * - A `persistSettings` effect (DND, forward set by a feature code) is written to the row.
 *   `dispatch` waits for that write, so `pbx ext show` agrees as soon as the code is answered;
 *   `apply` (synchronous, for runners) queues it. Writes are serialised; a failed write is logged
 *   and the live state keeps the change.
 * - While a station's write is pending, `load()` leaves its settings alone: the row still holds
 *   the old values, and the write's own change bump triggers the next load.
 */
export class SqliteStationStore implements StationStore {
  private readonly memory: StationStateMap;
  private readonly rows = new Map<string, Station>();
  private readonly listeners: StationEffectListener[] = [];
  private readonly pendingWrites = new Map<string, number>();
  private writes: Promise<void> = Promise.resolve();
  /** The load in progress; settles without rejecting (its caller sees the error). */
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly options: SqliteStationStoreOptions,
  ) {
    this.memory = new StationStateMap((station, effect) => this.onEffect(station, effect));
  }

  /** Reads every station from the database (one load at a time; a second call waits for it). */
  load(): Promise<void> {
    const next = this.loading.then(() => this.readAll());
    this.loading = next.catch(() => undefined);
    return next;
  }

  /** For the change watcher: reloads on `stations` and `config` (the default no-answer time). */
  async onChange(area: string): Promise<void> {
    if (area === 'stations' || area === 'config') await this.load();
  }

  onStationEffect(listener: StationEffectListener): void {
    this.listeners.push(listener);
  }

  /** True for a configured station. */
  has(tel: string): boolean {
    return this.rows.has(tel);
  }

  /** The station's row as last loaded or written (name, user ID, every setting). */
  row(tel: string): Station | undefined {
    return this.rows.get(tel);
  }

  /** Synchronous read for routing lookups. */
  peek(tel: string): StationState | undefined {
    return this.memory.peek(tel);
  }

  async get(tel: string): Promise<StationState | undefined> {
    return this.memory.peek(tel);
  }

  async list(): Promise<readonly StationState[]> {
    return this.memory.list();
  }

  /** Runs the reducer and waits until a settings change it made is stored. */
  async dispatch(tel: string, event: StationEvent): Promise<StationState> {
    const state = this.memory.apply(tel, event);
    await this.writes;
    return state;
  }

  /** Runs the reducer without waiting; a station removed meanwhile is ignored. */
  apply(tel: string, event: StationEvent): StationState | undefined {
    if (!this.memory.peek(tel)) return undefined;
    return this.memory.apply(tel, event);
  }

  /** Resolves when every settings write so far has finished. */
  flush(): Promise<void> {
    return this.writes;
  }

  private async readAll(): Promise<void> {
    const rows = await this.store.stations.list();
    const defaultSeconds = this.options.defaultNoAnswerSeconds();
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.tel);
      if (this.pendingWrites.has(row.tel)) continue;
      this.rows.set(row.tel, row);
      const settings = settingsFromStation(row, defaultSeconds);
      const live = this.memory.peek(row.tel);
      if (!live) this.memory.add(row.tel, settings, false);
      else if (!sameSettings(live.settings, settings))
        this.memory.apply(row.tel, { type: 'settingsLoaded', settings });
    }
    for (const s of await this.memory.list()) {
      if (seen.has(s.number) || s.legs.length > 0) continue;
      this.memory.remove(s.number);
      this.rows.delete(s.number);
    }
  }

  private onEffect(station: string, effect: StationEffect): void {
    if (effect.type === 'persistSettings') this.persist(station, effect);
    const state = this.memory.peek(station);
    if (!state) return;
    for (const l of this.listeners) {
      try {
        l(station, effect, state);
      } catch (err) {
        this.options.logger?.error({ err, station }, 'station effect listener failed');
      }
    }
  }

  private persist(
    station: string,
    effect: Extract<StationEffect, { type: 'persistSettings' }>,
  ): void {
    const patch = stationPatchFromSettings(effect.settings);
    this.pendingWrites.set(station, (this.pendingWrites.get(station) ?? 0) + 1);
    const write = this.writes
      .then(async () => {
        const row = await this.store.stations.update(station, patch, {
          realm: this.options.realm(),
        });
        this.rows.set(station, row);
        this.options.logger?.debug({ station, dnd: row.dnd }, 'station settings saved');
      })
      .catch((err: unknown) =>
        this.options.logger?.error({ err, station }, 'station settings not saved'),
      )
      .finally(() => {
        const n = (this.pendingWrites.get(station) ?? 1) - 1;
        if (n > 0) this.pendingWrites.set(station, n);
        else this.pendingWrites.delete(station);
      });
    this.writes = write;
  }
}
