/**
 * The mapping between a `stations` row (packages/store) and the settings the station reducer
 * works with (state/station-state.ts). Pure functions.
 */
import type { Station, StationPatch } from '@pbx/store';
import type { ForwardSetting, StationSettings } from '../state/station-state';

/**
 * The station's forward. The table has one column per forward type; the PBX writes at most one
 * (one forward at a time, as 601-604 replace each other, and `pbx ext set` keeps it so). Should
 * an older database hold several, the strongest wins: all, then busy/no answer, busy, no answer.
 */
export function forwardOf(
  s: Pick<Station, 'forwardAll' | 'forwardBusy' | 'forwardNoAnswer' | 'forwardBusyNoAnswer'>,
): ForwardSetting | null {
  if (s.forwardAll !== null) return { type: 'all', target: s.forwardAll };
  if (s.forwardBusyNoAnswer !== null)
    return { type: 'busyNoAnswer', target: s.forwardBusyNoAnswer };
  if (s.forwardBusy !== null) return { type: 'busy', target: s.forwardBusy };
  if (s.forwardNoAnswer !== null) return { type: 'noAnswer', target: s.forwardNoAnswer };
  return null;
}

/**
 * A row's settings for the reducer. `defaultNoAnswerSeconds` is `features.forwardNoAnswerTimer`,
 * used when the station has no timer of its own. Pickup group 0 means none.
 */
export function settingsFromStation(s: Station, defaultNoAnswerSeconds: number): StationSettings {
  return {
    dnd: s.dnd,
    forward: forwardOf(s),
    unreachableTarget: s.forwardUnreachable,
    noAnswerMs: Math.round((s.forwardNoAnswerTimer ?? defaultNoAnswerSeconds) * 1000),
    pickupGroup: s.pickupGroup > 0 ? String(s.pickupGroup) : null,
  };
}

/**
 * The columns a `persistSettings` effect writes: DND and the forward, the only settings feature
 * codes change. The no-answer timer, forward unreachable and pickup group are the
 * administrator's (`pbx ext set`) and are left alone.
 */
export function stationPatchFromSettings(settings: StationSettings): StationPatch {
  const f = settings.forward;
  return {
    dnd: settings.dnd,
    forwardAll: f?.type === 'all' ? f.target : null,
    forwardBusy: f?.type === 'busy' ? f.target : null,
    forwardNoAnswer: f?.type === 'noAnswer' ? f.target : null,
    forwardBusyNoAnswer: f?.type === 'busyNoAnswer' ? f.target : null,
  };
}

/** True when two settings are the same (nothing to reload). */
export function sameSettings(a: StationSettings, b: StationSettings): boolean {
  return (
    a.dnd === b.dnd &&
    a.unreachableTarget === b.unreachableTarget &&
    a.noAnswerMs === b.noAnswerMs &&
    a.pickupGroup === b.pickupGroup &&
    (a.forward === null || b.forward === null
      ? a.forward === b.forward
      : a.forward.type === b.forward.type && a.forward.target === b.forward.target)
  );
}
