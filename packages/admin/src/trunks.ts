/**
 * Trunk names, DIDs and LCR routes as the administrator gives them (`pbx trunk did|route`,
 * `/api/trunks/...`): the checks both front ends make, with the same messages. Trunk settings
 * themselves are checked by `@pbx/config` (`parseTrunkCreate`, `parseTrunkUpdate`).
 */
import { DidSchema, RoutePrefixSchema, TrunkNameSchema } from '@pbx/config';
import { ConflictError, type Store, type TrunkRoute } from '@pbx/store';
import { InputError } from './errors';

/** A trunk name (1 to 32 of a-z, 0-9, `_`, `-`). */
export function trunkName(name: string): string {
  if (!TrunkNameSchema.safeParse(name).success)
    throw new InputError(`${name}: a trunk name must be 1 to 32 of a-z, 0-9, "_" or "-"`);
  return name;
}

/** A DID's target must be an existing station or ring group ('' = the operator). */
export async function assertDidTarget(store: Store, target: string): Promise<void> {
  if (!/^\d{1,8}$/.test(target))
    throw new InputError(`${target}: a DID target must be a station or ring group number`);
  if (!(await store.stations.exists(target)) && !(await store.ringGroups.exists(target)))
    throw new ConflictError(`${target}: no station or ring group has this number`);
}

/** A DID and its target, checked ('' target: the operator). */
export async function didEntry(
  store: Store,
  did: string,
  target: string,
): Promise<{ did: string; target: string }> {
  if (!DidSchema.safeParse(did).success)
    throw new InputError(`DID ${did}: must be 1 to 32 digits (a leading + allowed)`);
  if (target !== '') await assertDidTarget(store, target);
  return { did, target };
}

/** `DID` or `DID=target` (the command line's `--did`). */
export async function parseDid(
  store: Store,
  text: string,
): Promise<{ did: string; target: string }> {
  const [did = '', target = '', extra] = text.split('=');
  if (extra !== undefined || !DidSchema.safeParse(did).success)
    throw new InputError(
      `--did ${text}: give DID or DID=target (DID: 1 to 32 digits, a leading + allowed)`,
    );
  return didEntry(store, did, target);
}

/** An LCR route prefix ("any" or "" for every number). */
export function routePrefix(prefix: string): string {
  const p = RoutePrefixSchema.safeParse(prefix);
  if (!p.success) throw new InputError(`prefix ${prefix}: ${p.error.issues[0]?.message}`);
  return p.data;
}

/** An integer option in [min, max], given as text or a number. */
export function intInRange(
  label: string,
  value: string | number,
  min: number,
  max: number,
): number {
  const text = String(value);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new InputError(`${label} ${text}: must be an integer between ${min} and ${max}`);
  return n;
}

/** What a route is given as (text or numbers); labels name the inputs in messages. */
export interface RouteInput {
  prefix: string;
  trunk: string;
  priority?: string | number;
  strip?: string | number;
  prepend?: string;
}

/** Checks a route: prefix, trunk name, priority 0-1000, strip 0-32, prepend up to 32 digits. */
export function routeEntry(
  input: RouteInput,
  labels: { priority: string; strip: string; prepend: string } = {
    priority: '--priority',
    strip: '--strip',
    prepend: '--prepend',
  },
): TrunkRoute {
  const prefix = routePrefix(input.prefix);
  const priority = intInRange(labels.priority, input.priority ?? 0, 0, 1000);
  const strip = intInRange(labels.strip, input.strip ?? 0, 0, 32);
  const prepend = input.prepend ?? '';
  if (!/^\+?\d{0,32}$/.test(prepend))
    throw new InputError(`${labels.prepend} ${prepend}: must be up to 32 digits`);
  return { prefix, trunk: trunkName(input.trunk), priority, strip, addPrefix: prepend };
}
