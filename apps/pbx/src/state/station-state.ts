import { DEFAULT_NO_ANSWER_MS } from './call-leg';
import { assertNever, InvalidStateError } from './errors';
import type { CallRef, LegId } from './ids';

/**
 * A station's forward, as set with 601-604 (or `pbx ext set`). One at a time, as on the
 * OfficeServ: setting another type replaces it, 600 clears it. `busyNoAnswer` (604) sends busy
 * and unanswered calls to the same target.
 */
export interface ForwardSetting {
  readonly type: 'all' | 'busy' | 'noAnswer' | 'busyNoAnswer';
  readonly target: string;
}

/** The persistent settings of a station that call handling reads. */
export interface StationSettings {
  readonly dnd: boolean;
  readonly forward: ForwardSetting | null;
  /**
   * Call forward unreachable (OfficeServ 4.7): where calls go while the station is not
   * registered. Set by the administrator, not by a code, and not cleared by 600.
   */
  readonly unreachableTarget: string | null;
  /** Ring time before call forward no answer. */
  readonly noAnswerMs: number;
  /** The station's pickup group for my-group pickup; the manual puts all phones in one group. */
  readonly pickupGroup: string | null;
}

/** Settings of a new station. */
export const DEFAULT_STATION_SETTINGS: StationSettings = {
  dnd: false,
  forward: null,
  unreachableTarget: null,
  noAnswerMs: DEFAULT_NO_ANSWER_MS,
  pickupGroup: '1',
};

/**
 * A leg that involves the station, as its dialog-info (RFC 4235) would describe it.
 * `inbound`: the station is being called (dialog-info `recipient`); `outbound`: it called.
 */
export interface StationLeg {
  readonly legId: LegId;
  readonly callRef: CallRef;
  readonly direction: 'inbound' | 'outbound';
  /** RFC 4235 dialog states we use: `trying` (no 1xx yet), `early` (ringing), `confirmed`. */
  readonly state: 'trying' | 'early' | 'confirmed';
  /** When the leg was added: the oldest ringing call is picked up first. */
  readonly since: number;
  /** The other party, as shown on a display and in dialog-info `<remote>`. */
  readonly peer: { readonly number: string; readonly displayName?: string };
  /** The SIP dialog to report in dialog-info, which a BLF pickup names in `Replaces`. */
  readonly dialog: {
    readonly callId: string;
    readonly localTag?: string;
    readonly remoteTag?: string;
  };
}

/** The live state of one station. */
export interface StationState {
  readonly number: string;
  readonly registered: boolean;
  readonly settings: StationSettings;
  readonly legs: readonly StationLeg[];
}

/** The summary a busy lamp shows (dialog-info state of the station's most important dialog). */
export type Presence = 'idle' | 'early' | 'confirmed';

export type StationEvent =
  | { readonly type: 'registration'; readonly registered: boolean }
  | { readonly type: 'dndSet'; readonly on: boolean }
  | { readonly type: 'forwardSet'; readonly forward: ForwardSetting | null }
  /** Settings reloaded after the CLI changed them in the database. */
  | { readonly type: 'settingsLoaded'; readonly settings: StationSettings }
  | { readonly type: 'legAdded'; readonly leg: StationLeg }
  | {
      readonly type: 'legProgress';
      readonly legId: LegId;
      readonly state: 'early' | 'confirmed';
      readonly dialog?: StationLeg['dialog'];
    }
  | { readonly type: 'legRemoved'; readonly legId: LegId };

export type StationEffect =
  /** The busy lamp changed: NOTIFY the station's dialog-info watchers. */
  | { readonly type: 'presenceChanged'; readonly presence: Presence }
  /** A feature code changed a setting: write it to the database. */
  | { readonly type: 'persistSettings'; readonly settings: StationSettings };

/** A station as it is before its first registration. */
export function initialStation(
  number: string,
  settings: StationSettings = DEFAULT_STATION_SETTINGS,
): StationState {
  return { number, registered: false, settings, legs: [] };
}

/**
 * Busy: the station has any live leg, ringing or connected, in either direction. OfficeServ SIP
 * stations have no call waiting, so a second call to a station in a call gets 486.
 */
export function isBusy(s: StationState): boolean {
  return s.legs.length > 0;
}

/** Ringing: a call to the station has reached 180/183 and is not answered. */
export function isRinging(s: StationState): boolean {
  return s.legs.some((l) => l.direction === 'inbound' && l.state === 'early');
}

/**
 * The busy-lamp state: `early` (flashing, can be picked up) while a call to the station rings
 * and nothing else is up; `confirmed` (steady) while any call is connected or the station is
 * placing a call; `idle` (off) otherwise.
 */
export function presence(s: StationState): Presence {
  if (s.legs.length === 0) return 'idle';
  const onlyRinging = s.legs.every((l) => l.direction === 'inbound' && l.state !== 'confirmed');
  return onlyRinging ? 'early' : 'confirmed';
}

/** One `<dialog>` of the station's dialog-info document (RFC 4235 §4.1). */
export interface DialogInfo {
  readonly id: string;
  readonly callId: string;
  readonly localTag?: string;
  readonly remoteTag?: string;
  readonly direction: 'initiator' | 'recipient';
  readonly state: 'trying' | 'early' | 'confirmed';
  readonly remote: string;
  readonly remoteDisplayName?: string;
}

/** The dialogs a dialog-info NOTIFY for the station lists, oldest first; empty when idle. */
export function dialogInfo(s: StationState): DialogInfo[] {
  return [...s.legs]
    .sort((x, y) => x.since - y.since)
    .map((l) => ({
      id: l.legId,
      callId: l.dialog.callId,
      ...(l.dialog.localTag === undefined ? {} : { localTag: l.dialog.localTag }),
      ...(l.dialog.remoteTag === undefined ? {} : { remoteTag: l.dialog.remoteTag }),
      direction: l.direction === 'inbound' ? 'recipient' : 'initiator',
      state: l.state,
      remote: l.peer.number,
      ...(l.peer.displayName === undefined ? {} : { remoteDisplayName: l.peer.displayName }),
    }));
}

function withPresence(
  before: StationState,
  after: StationState,
  extra: StationEffect[] = [],
): [StationState, StationEffect[]] {
  const is = presence(after);
  // A NOTIFY also goes out when a dialog changes without the summary changing (a second leg).
  if (before.legs === after.legs && presence(before) === is) return [after, extra];
  const changed: StationEffect = { type: 'presenceChanged', presence: is };
  return [after, extra.length === 0 ? [changed] : [...extra, changed]];
}

/** The station reducer. */
export function nextStation(s: StationState, e: StationEvent): [StationState, StationEffect[]] {
  switch (e.type) {
    case 'registration':
      return e.registered === s.registered ? [s, []] : [{ ...s, registered: e.registered }, []];
    case 'dndSet': {
      const settings = { ...s.settings, dnd: e.on };
      return [{ ...s, settings }, [{ type: 'persistSettings', settings }]];
    }
    case 'forwardSet': {
      const settings = { ...s.settings, forward: e.forward };
      return [{ ...s, settings }, [{ type: 'persistSettings', settings }]];
    }
    case 'settingsLoaded':
      return [{ ...s, settings: e.settings }, []];
    case 'legAdded': {
      if (s.legs.some((l) => l.legId === e.leg.legId)) {
        throw new InvalidStateError('station', s.number, `legAdded ${e.leg.legId} twice`);
      }
      return withPresence(s, { ...s, legs: [...s.legs, e.leg] });
    }
    case 'legProgress': {
      const leg = s.legs.find((l) => l.legId === e.legId);
      // Late input: progress for a leg that already ended.
      if (!leg) return [s, []];
      // A 180 relayed after the 200 must not turn a connected leg back to ringing.
      if (leg.state === 'confirmed' && e.state === 'early') return [s, []];
      if (leg.state === e.state && e.dialog === undefined) return [s, []];
      const updated: StationLeg = e.dialog
        ? { ...leg, state: e.state, dialog: e.dialog }
        : { ...leg, state: e.state };
      return withPresence(s, {
        ...s,
        legs: s.legs.map((l) => (l.legId === e.legId ? updated : l)),
      });
    }
    case 'legRemoved': {
      if (!s.legs.some((l) => l.legId === e.legId)) return [s, []];
      return withPresence(s, { ...s, legs: s.legs.filter((l) => l.legId !== e.legId) });
    }
    default:
      return assertNever(e);
  }
}

/** What routing needs to know about a station. */
export interface RoutingView {
  readonly number: string;
  readonly registered: boolean;
  readonly dnd: boolean;
  readonly busy: boolean;
  readonly forward: ForwardSetting | null;
  readonly unreachableTarget: string | null;
  readonly noAnswerMs: number;
}

/** The station as routing sees it. */
export function routingView(s: StationState): RoutingView {
  return {
    number: s.number,
    registered: s.registered,
    dnd: s.settings.dnd,
    busy: isBusy(s),
    forward: s.settings.forward,
    unreachableTarget: s.settings.unreachableTarget,
    noAnswerMs: s.settings.noAnswerMs,
  };
}
