/**
 * A mailbox's options as the administrator sets them (`pbx ext set --voicemail --vm-pin
 * --vm-pin-clear --vm-when`, `PATCH /api/voicemail/:tel`): on/off, the PIN (stored as a salted
 * hash only), and which unreached calls go to voice mail.
 */
import { hashPin, PIN_PATTERN, type VoicemailBox, type VoicemailBoxPatch } from '@pbx/store';
import { InputError } from './errors';

const CONDITIONS = {
  'no-answer': 'onNoAnswer',
  busy: 'onBusy',
  dnd: 'onDnd',
  unregistered: 'onUnregistered',
} as const;

/** The mailbox options as given (undefined: unchanged). */
export interface VoicemailInput {
  /** `on`/`off` or a boolean. */
  enabled?: string | boolean;
  pin?: string;
  pinClear?: boolean;
  /** `no-answer,busy,dnd,unregistered`, `all` or `none` (a list or one comma-separated text). */
  when?: string | readonly string[];
}

/** How each input is named in messages. */
export interface VoicemailLabels {
  enabled: string;
  pin: string;
  pinClear: string;
  when: string;
  /** The command named when PIN and clear are both given. */
  command: string;
}

export const CLI_VOICEMAIL_LABELS: VoicemailLabels = {
  enabled: '--voicemail',
  pin: '--vm-pin',
  pinClear: '--vm-pin-clear',
  when: '--vm-when',
  command: 'ext set',
};

/** The patch for `input`, or undefined when nothing was given. */
export function voicemailPatch(
  input: VoicemailInput,
  labels: VoicemailLabels = CLI_VOICEMAIL_LABELS,
): VoicemailBoxPatch | undefined {
  const patch: VoicemailBoxPatch = {};
  if (input.enabled !== undefined) {
    const v =
      typeof input.enabled === 'boolean'
        ? input.enabled
          ? 'on'
          : 'off'
        : input.enabled.trim().toLowerCase();
    if (v !== 'on' && v !== 'off') throw new InputError(`${labels.enabled}: say on or off`);
    patch.enabled = v === 'on';
  }
  if (input.pin !== undefined && input.pinClear === true)
    throw new InputError(
      `${labels.command}: give either ${labels.pin} or ${labels.pinClear}, not both`,
    );
  if (input.pin !== undefined) {
    if (!PIN_PATTERN.test(input.pin))
      throw new InputError(`${labels.pin}: a PIN is 4 to 10 digits`);
    patch.pinHash = hashPin(input.pin);
  }
  if (input.pinClear === true) patch.pinHash = '';
  if (input.when !== undefined) {
    const words = (typeof input.when === 'string' ? input.when.split(',') : [...input.when])
      .map((w) => w.trim().toLowerCase())
      .filter((w) => w !== '');
    const all = words.includes('all');
    const none = words.includes('none');
    for (const w of words)
      if (w !== 'all' && w !== 'none' && !(w in CONDITIONS))
        throw new InputError(
          `${labels.when}: ${w} is not one of no-answer, busy, dnd, unregistered, all, none`,
        );
    if (words.length === 0 || (none && words.length > 1))
      throw new InputError(`${labels.when}: give conditions, all, or none alone`);
    for (const [w, key] of Object.entries(CONDITIONS)) patch[key] = all || words.includes(w);
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** The conditions a box sends to voice mail, as words. */
export function voicemailWhen(b: VoicemailBox): string[] {
  return Object.entries(CONDITIONS)
    .filter(([, key]) => b[key])
    .map(([w]) => w);
}
