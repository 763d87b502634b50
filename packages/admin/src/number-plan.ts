/**
 * The number plan as the administrator changes it: the codes in force, the clash checks for a new
 * station or ring group number, and a feature code change (`pbx numplan set|clear|reset`,
 * `PUT|DELETE /api/numplan/:feature`).
 */
import {
  checkCodeChange,
  checkNewNumber,
  checkPlanCodeChange,
  describeEntry,
  FEATURE_CODES,
  FEATURE_IDS,
  isFeatureId,
  isPlanCodeId,
  PLAN_CODE_IDS,
  PLAN_CODES,
  planFromStored,
  type CodeChangeResult,
  type FeatureId,
  type NumberPlan,
  type PlanCodeId,
} from '@pbx/dialplan';
import { ConflictError, type Store } from '@pbx/store';
import { InputError } from './errors';

/** A feature code or a plan code (trunk access, auth code dialling). */
export type CodeId = FeatureId | PlanCodeId;

/**
 * The number plan in force: the dialplan defaults with the stored changes on top. Rows naming an
 * id this program does not know (written by a newer one) are ignored.
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
 * equal to it or a prefix of it (or the other way round), the same number as a chat group, or the
 * same number as a ring group (for a station) or a station (for a group). Bad syntax is an {@link InputError}, a clash a
 * `ConflictError`.
 */
export async function assertNumberFree(
  store: Store,
  number: string,
  kind: 'station' | 'group',
): Promise<void> {
  const problems = checkNewNumber(await loadNumberPlan(store), number, kind);
  const syntax = problems.find((p) => p.kind === 'syntax');
  if (syntax) throw new InputError(syntax.message);
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
  if (messages.length > 0) throw new ConflictError(messages.join('; '));
}

/** Every code id, feature codes first. */
export const CODE_IDS: readonly CodeId[] = [...FEATURE_IDS, ...PLAN_CODE_IDS];

/** The id named by `text`, or an {@link InputError} listing the ids. */
export function codeId(text: string): CodeId {
  if (!isFeatureId(text) && !isPlanCodeId(text))
    throw new InputError(`${text}: unknown feature; one of ${CODE_IDS.join(', ')}`);
  return text;
}

/** The code a feature has when nothing is stored (null: unassigned). */
export const defaultCodeOf = (id: CodeId): string | null =>
  isPlanCodeId(id) ? PLAN_CODES[id].defaultCode : FEATURE_CODES[id].defaultCode;

/**
 * Checks a code change with dialplan's rules against the codes, stations and ring groups, then
 * stores it (null: unassigned). A code equal to the default is stored as "no change" (the row is
 * removed), so the table only holds differences from the defaults. Bad syntax is an
 * {@link InputError}, a clash a `ConflictError`.
 */
export async function changeFeatureCode(
  store: Store,
  feature: CodeId,
  code: string | null,
): Promise<void> {
  const plan = await loadNumberPlan(store);
  const { stations, groups } = await dialledNumbers(store);
  const result: CodeChangeResult = isPlanCodeId(feature)
    ? checkPlanCodeChange(plan, feature, code, stations, groups)
    : checkCodeChange(plan, feature, code, stations, groups);
  if (!result.ok) {
    const syntax = result.problems.some((p) => p.kind === 'syntax');
    throw syntax ? new InputError(result.message) : new ConflictError(result.message);
  }
  if (code === defaultCodeOf(feature)) await store.numberPlan.reset(feature);
  else await store.numberPlan.set(feature, code);
}

/** One row of the plan as `pbx numplan list --json` and `GET /api/numplan` show it. */
export interface PlanCodeRow {
  feature: PlanCodeId;
  code: string | null;
  defaultCode: string | null;
  argument: string;
  dial: string;
  description: string;
  officeServName: string;
}

/** The trunk access and auth code dialling codes of `plan`, described like feature codes. */
export function planCodeRows(plan: NumberPlan): PlanCodeRow[] {
  return PLAN_CODE_IDS.map((id) => {
    const code = (id === 'trunk' ? plan.trunkPrefix : plan.authCode) ?? null;
    const trunk = plan.trunkPrefix ?? '(trunk code)';
    return {
      feature: id,
      code,
      defaultCode: PLAN_CODES[id].defaultCode,
      argument: id === 'trunk' ? 'number' : 'auth code + trunk code + number',
      dial:
        code === null
          ? '(unassigned)'
          : id === 'trunk'
            ? `${code} + number`
            : `${code} + auth code + ${trunk} + number`,
      description: PLAN_CODES[id].description,
      officeServName: '',
    };
  });
}
