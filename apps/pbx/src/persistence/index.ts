/**
 * SQLite-backed implementations of what call control reads and changes: the live stations with
 * their persisted settings, and the number plan (feature codes, ring groups). Call records are
 * written with the store's `CdrRepo` directly. Park slots are live media state and are not
 * persisted: a restart drops the media they hold.
 */
export {
  forwardOf,
  sameSettings,
  settingsFromStation,
  stationPatchFromSettings,
} from './station-settings';
export { SqliteStationStore } from './sqlite-station-store';
export type { SqliteStationStoreOptions, StationEffectListener } from './sqlite-station-store';
export { planFromOverrides, StoreNumberPlan } from './store-number-plan';
export type { RingGroupView, StoreNumberPlanOptions } from './store-number-plan';
