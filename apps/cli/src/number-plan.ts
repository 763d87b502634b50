import { checkNewNumber, describeEntry, planFromStored, type NumberPlan } from '@pbx/dialplan';
import type { Store } from '@pbx/store';
import { CommandFailedError, UsageError } from './errors';

/**
 * The number plan in force: the dialplan defaults (feature codes, trunk access code, auth feature
 * code) with the stored changes on top. Rows naming an id this program does not know (written by
 * a newer one) are ignored.
 */
export async function loadNumberPlan(store: Store): Promise<NumberPlan> {
  return planFromStored(await store.numberPlan.overrides());
}

/** Station and group numbers (ring groups and chat groups), for the clash checks. */
export async function dialledNumbers(
  store: Store,
): Promise<{ stations: string[]; groups: string[] }> {
  const stations = (await store.stations.list()).map((s) => s.tel);
  const groups = [...(await store.ringGroups.numbers()), ...(await store.chatGroups.numbers())];
  return { stations, groups };
}

/**
 * Refuses a new station or ring group number that clashes with the number plan: a feature code
 * equal to it or a prefix of it (or the other way round), or the same number as a ring group
 * (for a station) or a station (for a group). Bad syntax is a usage error (exit 2), a clash a
 * failure (exit 1).
 */
export async function assertNumberFree(
  store: Store,
  number: string,
  kind: 'station' | 'group',
): Promise<void> {
  const problems = checkNewNumber(await loadNumberPlan(store), number, kind);
  const syntax = problems.find((p) => p.kind === 'syntax');
  if (syntax) throw new UsageError(syntax.message);
  const messages = problems.map((p) => p.message);
  const self = { number, owner: { kind } } as const;
  if (kind === 'station' && (await store.ringGroups.exists(number))) {
    messages.push(
      `${describeEntry(self)} is the same number as ${describeEntry({ number, owner: { kind: 'group' } })}`,
    );
  }
  if (await store.chatGroups.byNumber(number))
    messages.push(`${describeEntry(self)} is the same number as chat group ${number}`);
  if (kind === 'group' && (await store.stations.exists(number))) {
    messages.push(
      `${describeEntry(self)} is the same number as ${describeEntry({ number, owner: { kind: 'station' } })}`,
    );
  }
  if (messages.length > 0) throw new CommandFailedError(messages.join('; '));
}
