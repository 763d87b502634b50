/**
 * The live stations for call control: the station reducer (state/station-state.ts) in memory,
 * loaded from the `stations` table and kept in step with it. Feature codes change settings through
 * the reducer; its `persistSettings` effects are written back, and `presenceChanged` effects go to
 * whoever listens (busy lamps).
 *
 * @TODO use the persistence engineer's StationStore adapter (apps/pbx/src/persistence/) when it
 * lands; this class then keeps only the live legs and registration flags.
 */
import type { Logger } from 'pino';
import type { Station, Store } from '@pbx/store';
import type { PbxConfig } from '@pbx/config';
import { MemoryStationStore, type StationStore } from '../state/features';
import {
  routingView,
  type ForwardSetting,
  type RoutingView,
  type StationEffect,
  type StationEvent,
  type StationSettings,
  type StationState,
} from '../state/station-state';
import type { RegistrationSnapshot } from './locate';

export type StationEffectListener = (station: string, effect: StationEffect, state: StationState) => void;

/** Station row → the settings the reducer works with. */
export function settingsOf(s: Station, config: PbxConfig): StationSettings {
  let forward: ForwardSetting | null = null;
  if (s.forwardAll) forward = { type: 'all', target: s.forwardAll };
  else if (s.forwardBusyNoAnswer) forward = { type: 'busyNoAnswer', target: s.forwardBusyNoAnswer };
  else if (s.forwardBusy) forward = { type: 'busy', target: s.forwardBusy };
  else if (s.forwardNoAnswer) forward = { type: 'noAnswer', target: s.forwardNoAnswer };
  const seconds = s.forwardNoAnswerTimer ?? config.features.forwardNoAnswerTimer;
  return {
    dnd: s.dnd,
    forward,
    unreachableTarget: s.forwardUnreachable,
    noAnswerMs: Math.round(seconds * 1000),
    pickupGroup: s.pickupGroup > 0 ? String(s.pickupGroup) : null,
  };
}

/** The columns a settings change writes: one forward type at a time, as on the OfficeServ. */
function patchOf(settings: StationSettings): Partial<Station> {
  const f = settings.forward;
  return {
    dnd: settings.dnd,
    forwardAll: f?.type === 'all' ? f.target : null,
    forwardBusy: f?.type === 'busy' ? f.target : null,
    forwardNoAnswer: f?.type === 'noAnswer' ? f.target : null,
    forwardBusyNoAnswer: f?.type === 'busyNoAnswer' ? f.target : null,
  };
}

export class StationDirectory implements StationStore {
  private readonly memory: MemoryStationStore;
  private readonly rows = new Map<string, Station>();
  private readonly listeners: StationEffectListener[] = [];
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly config: () => PbxConfig,
    private readonly log: Logger,
  ) {
    this.memory = new MemoryStationStore((station, effect) => this.onEffect(station, effect));
  }

  /** Reads every station from the database; keeps the live legs of stations already known. */
  async load(): Promise<void> {
    const rows = await this.store.stations.list();
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.tel);
      this.rows.set(row.tel, row);
      const settings = settingsOf(row, this.config());
      if (this.memory.peek(row.tel)) this.memory.apply(row.tel, { type: 'settingsLoaded', settings });
      else this.memory.add(row.tel, settings, false);
    }
    for (const s of await this.memory.list()) {
      if (!seen.has(s.number) && s.legs.length === 0) {
        this.memory.remove(s.number);
        this.rows.delete(s.number);
      }
    }
  }

  /** Sets each station's `registered` flag from a registration snapshot. */
  applyRegistrations(snapshot: RegistrationSnapshot): void {
    for (const tel of this.rows.keys()) {
      const s = this.memory.peek(tel);
      const registered = snapshot.isRegistered(tel);
      if (s && s.registered !== registered) this.memory.apply(tel, { type: 'registration', registered });
    }
  }

  onStationEffect(listener: StationEffectListener): void {
    this.listeners.push(listener);
  }

  has(tel: string): boolean {
    return this.rows.has(tel);
  }

  row(tel: string): Station | undefined {
    return this.rows.get(tel);
  }

  /** The calling name shown for the station (its configured name). */
  displayName(tel: string): string | undefined {
    const name = this.rows.get(tel)?.name;
    return name ? name : undefined;
  }

  peek(tel: string): StationState | undefined {
    return this.memory.peek(tel);
  }

  /** The routing view of a station, for routeCall. */
  lookup = (tel: string): RoutingView | undefined => {
    const s = this.memory.peek(tel);
    return s ? routingView(s) : undefined;
  };

  async get(tel: string): Promise<StationState | undefined> {
    return this.memory.peek(tel);
  }

  async list(): Promise<readonly StationState[]> {
    return this.memory.list();
  }

  async dispatch(tel: string, event: StationEvent): Promise<StationState> {
    return this.memory.apply(tel, event);
  }

  /** Synchronous dispatch for the call runners; a station removed meanwhile is ignored. */
  apply(tel: string, event: StationEvent): void {
    if (!this.memory.peek(tel)) return;
    this.memory.apply(tel, event);
  }

  /** Resolves when every settings write so far is in the database. */
  flush(): Promise<unknown> {
    return this.writes;
  }

  private onEffect(station: string, effect: StationEffect): void {
    if (effect.type === 'persistSettings') {
      const patch = patchOf(effect.settings);
      this.writes = this.writes
        .then(() => this.store.stations.update(station, patch, { realm: this.config().sip.domain }))
        .then((row) => this.rows.set(station, row))
        .catch((err: unknown) => this.log.error({ err, station }, 'station settings not saved'));
    }
    const state = this.memory.peek(station);
    if (!state) return;
    for (const l of this.listeners) {
      try {
        l(station, effect, state);
      } catch (err) {
        this.log.error({ err, station }, 'station effect listener failed');
      }
    }
  }
}
