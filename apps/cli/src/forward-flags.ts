import { UsageError } from './errors';

/** Station fields of the four call forward types, with their flags. */
const FORWARDS = [
  ['forwardAll', '--forward-all'],
  ['forwardBusy', '--forward-busy'],
  ['forwardNoAnswer', '--forward-no-answer'],
  ['forwardBusyNoAnswer', '--forward-busy-no-answer'],
] as const;

type ForwardField = (typeof FORWARDS)[number][0];

const isSet = (v: unknown): boolean =>
  v !== undefined && !(typeof v === 'string' && v.trim().toLowerCase() === 'none');

/**
 * A station has one call forward at a time, as with the codes 601-604 (each replaces the
 * others) and as the call router reads it. Given the raw `ext add|set` input, refuses more than
 * one forward destination, or a destination together with `--forward-clear`, and returns the
 * fields to write besides the parsed input: the other forward types cleared when one is set, or
 * all four cleared by `--forward-clear`.
 */
export function forwardPatch(
  raw: Readonly<Record<string, unknown>>,
  clear: boolean,
): Partial<Record<ForwardField, null>> {
  const given = FORWARDS.filter(([field]) => isSet(raw[field]));
  if (given.length > 1) {
    throw new UsageError(
      `${given.map(([, flag]) => flag).join(', ')}: give one forward destination; a station has one call forward at a time (as with 601-604)`,
    );
  }
  if (clear && given.length > 0) {
    throw new UsageError(`--forward-clear: cannot be combined with ${given[0]![1]}`);
  }
  const out: Partial<Record<ForwardField, null>> = {};
  if (!clear && given.length === 0) return out;
  for (const [field] of FORWARDS) {
    if (clear || field !== given[0]![0]) out[field] = null;
  }
  return out;
}
