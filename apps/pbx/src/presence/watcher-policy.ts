/**
 * Who may watch a station's presence and busy lamp (`presence.watchers`): the office default
 * `all` (every station watches every station), `group` (stations that share a ring group), or
 * `none` (a station only itself). Only stations are guarded: a ring group's or park slot's lamp
 * shows calls to a shared number, not a person, and stays open to every station.
 */
import { assertNever } from '../state/errors';

/** The values of `presence.watchers`. */
export type WatcherPolicy = 'all' | 'group' | 'none';

/** What the policy needs to know about the number plan. */
export interface WatcherFacts {
  /** True when `number` is a station (only stations are guarded). */
  isStation(number: string): boolean;
  /** Every ring group's members. */
  groups(): readonly { readonly members: readonly string[] }[];
}

/** True when station `watcher` may watch `resource` under `policy`. */
export function mayWatch(
  policy: WatcherPolicy,
  watcher: string,
  resource: string,
  facts: WatcherFacts,
): boolean {
  if (watcher === resource || !facts.isStation(resource)) return true;
  switch (policy) {
    case 'all':
      return true;
    case 'none':
      return false;
    case 'group':
      return facts
        .groups()
        .some((g) => g.members.includes(watcher) && g.members.includes(resource));
    default:
      return assertNever(policy);
  }
}
