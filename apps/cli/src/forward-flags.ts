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

/** The word that names the station's own mailbox as a forward destination. */
export const VOICEMAIL_WORD = 'voicemail';

/**
 * Replaces a forward destination of `voicemail` (or the number plan's voice-mail access code, as
 * dialled after 601-604) by the station's own number, which is how a forward to the station's own
 * mailbox is stored (a station cannot otherwise forward to itself). Returns the flags that named
 * voice mail, so the caller can check the mailbox is on.
 */
export function voicemailForwards(
  raw: Record<string, unknown>,
  tel: string,
  voicemailCode: string | null | undefined,
): string[] {
  const named: string[] = [];
  for (const [field, flag] of FORWARDS) {
    const v = raw[field];
    if (typeof v !== 'string') continue;
    const text = v.trim().toLowerCase();
    // The own number is how it is stored, so it means the same.
    if (
      text === VOICEMAIL_WORD ||
      text === tel ||
      (voicemailCode != null && text === voicemailCode)
    ) {
      raw[field] = tel;
      named.push(flag);
    }
  }
  return named;
}

/** A forward destination as `pbx ext show` prints it: the own number is the mailbox. */
export function forwardText(tel: string, target: string | null): string {
  if (target === null || target === '') return 'none';
  return target === tel ? VOICEMAIL_WORD : target;
}
