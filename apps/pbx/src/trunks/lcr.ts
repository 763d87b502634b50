/**
 * Least-cost routing, pure: which trunks an outside number is tried on, in order. The longest
 * matching prefix comes first (its rows by priority), then shorter matching prefixes, each trunk
 * once: the fail-over order on 5xx or timeout. Without any route, every trunk is tried in name
 * order, so one trunk works without an LCR table.
 */
import type { TrunkRoute } from '@pbx/store';

/** One trunk to try and the number it gets. */
export interface RouteChoice {
  readonly trunk: string;
  /** The number sent to the provider (after strip and prepend). */
  readonly number: string;
}

export function chooseRoutes(
  digits: string,
  routes: readonly TrunkRoute[],
  trunkNames: readonly string[],
): RouteChoice[] {
  const known = new Set(trunkNames);
  if (routes.length === 0)
    return [...trunkNames].sort().map((trunk) => ({ trunk, number: digits }));
  const matching = routes
    .filter((r) => digits.startsWith(r.prefix) && known.has(r.trunk))
    .sort((a, b) => b.prefix.length - a.prefix.length || a.priority - b.priority);
  const seen = new Set<string>();
  const out: RouteChoice[] = [];
  for (const r of matching) {
    if (seen.has(r.trunk)) continue;
    seen.add(r.trunk);
    out.push({ trunk: r.trunk, number: `${r.addPrefix}${digits.slice(r.strip)}` });
  }
  return out;
}
