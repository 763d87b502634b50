/**
 * Ring groups as the administrator changes them (`pbx group add|set`, `POST|PATCH /api/groups`):
 * member lists, the voice-mail overflow, and the checks both front ends make. Messages name the
 * input by the caller's labels (`--members` or `members`).
 */
import { checkRingGroupMembers } from '@pbx/dialplan';
import {
  ConflictError,
  NotFoundError,
  type RingGroup,
  type RingGroupPatch,
  type Store,
} from '@pbx/store';
import { InputError } from './errors';
import { assertNumberFree } from './number-plan';

/** How each input is named in messages. */
export interface GroupLabels {
  members: string;
  add: string;
  remove: string;
  voicemail: string;
  voicemailAfter: string;
}

/** The command line's names. */
export const CLI_GROUP_LABELS: GroupLabels = {
  members: '--members',
  add: '--add',
  remove: '--remove',
  voicemail: '--voicemail',
  voicemailAfter: '--voicemail-after',
};

/** Checks that every item is a station number; returns them trimmed. */
export function telList(items: readonly string[], label: string): string[] {
  const out = items.map((s) => s.trim()).filter((s) => s !== '');
  for (const tel of out) {
    if (!/^[0-9]{1,8}$/.test(tel)) {
      throw new InputError(
        `${label}: ${JSON.stringify(tel)} is not a station number (digits, comma-separated)`,
      );
    }
  }
  return out;
}

/** `201,202, 203` → `['201', '202', '203']`; an empty text is an empty list. */
export function parseTelList(text: string, label: string): string[] {
  return telList(text.split(','), label);
}

/**
 * Checks a member list with dialplan's rule: duplicates and more than 10 are bad input, a member
 * that is not a station is a `ConflictError`.
 */
export async function checkMembers(
  store: Store,
  members: readonly string[],
  label: string,
): Promise<void> {
  const shape = checkRingGroupMembers(members, () => true);
  if (shape.length > 0) throw new InputError(`${label}: ${shape.join('; ')}`);
  const stations = new Set((await store.stations.list()).map((s) => s.tel));
  const missing = checkRingGroupMembers(members, (n) => stations.has(n));
  if (missing.length > 0) throw new ConflictError(`${label}: ${missing.join('; ')}`);
}

/** `<tel|none>`: the overflow mailbox's station, or null for none. */
export function parseOverflowStation(text: string, label: string): string | null {
  const t = text.trim().toLowerCase();
  if (t === 'none' || t === 'off') return null;
  if (!/^[0-9]{2,8}$/.test(t))
    throw new InputError(`${label}: ${JSON.stringify(text)} is not a station number, or none`);
  return t;
}

/** `<seconds|default>`: 0 < s <= 600, or null for the system no-answer time. */
export function parseOverflowAfter(value: string | number, label: string): number | null {
  const t = String(value).trim().toLowerCase();
  if (t === 'default') return null;
  const n = /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
  if (!(n > 0 && n <= 600))
    throw new InputError(`${label}: a number of seconds, 0 < s <= 600, or default`);
  return n;
}

/** What `group show` says of the overflow. */
export function overflowText(g: RingGroup): string {
  if (g.voicemail === null) return 'none';
  const after = g.voicemailAfter === null ? 'the no-answer time' : `${g.voicemailAfter}s`;
  return `mailbox of ${g.voicemail} after ${after}`;
}

/** The members for listings. */
export const memberText = (g: RingGroup): string =>
  g.members.length ? g.members.join(', ') : 'none';

/** Adds a ring group after the number plan and member checks. */
export async function addRingGroup(
  store: Store,
  input: { number: string; name: string; members: readonly string[] },
  labels: GroupLabels = CLI_GROUP_LABELS,
): Promise<RingGroup> {
  await assertNumberFree(store, input.number, 'group');
  await checkMembers(store, input.members, labels.members);
  return store.ringGroups.create({
    number: input.number,
    name: input.name,
    members: [...input.members],
  });
}

/** A change to a ring group, already parsed (undefined: unchanged): the store's patch. */
export type GroupChange = RingGroupPatch;

/**
 * Applies a change: the new member list (replaced, then appended, then taken out), checked; the
 * overflow station must have its mailbox on. NotFoundError for an unknown group.
 */
export async function changeRingGroup(
  store: Store,
  number: string,
  change: GroupChange,
  labels: GroupLabels = CLI_GROUP_LABELS,
): Promise<RingGroup> {
  const current = await store.ringGroups.get(number);
  if (!current) throw new NotFoundError('ring group', number);
  let members = change.members ? [...change.members] : [...current.members];
  for (const tel of change.add ?? []) {
    if (members.includes(tel))
      throw new ConflictError(`${labels.add}: ${tel} is already a member of ring group ${number}`);
    members.push(tel);
  }
  for (const tel of change.remove ?? []) {
    if (!members.includes(tel))
      throw new ConflictError(`${labels.remove}: ${tel} is not a member of ring group ${number}`);
    members = members.filter((m) => m !== tel);
  }
  await checkMembers(store, members, change.members === undefined ? labels.add : labels.members);
  const overflow = change.voicemail;
  if (overflow != null) {
    if (!(await store.stations.get(overflow)))
      throw new ConflictError(`${labels.voicemail}: station ${overflow} does not exist`);
    if (!(await store.voicemail.box(overflow)).enabled)
      throw new ConflictError(
        `${labels.voicemail}: station ${overflow} has its mailbox off (pbx ext set ${overflow} --voicemail on first)`,
      );
  }
  return store.ringGroups.update(number, {
    ...(change.name === undefined ? {} : { name: change.name }),
    members,
    ...(overflow === undefined ? {} : { voicemail: overflow }),
    ...(change.voicemailAfter === undefined ? {} : { voicemailAfter: change.voicemailAfter }),
  });
}
