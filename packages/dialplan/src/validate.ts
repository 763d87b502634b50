import {
  FEATURE_IDS,
  isValidCodeSyntax,
  type FeatureCodes,
  type FeatureId,
  type NumberPlan,
} from './feature-codes';

/** Who a number in the plan belongs to. */
export type NumberOwner =
  | { readonly kind: 'feature'; readonly feature: FeatureId }
  | { readonly kind: 'station' }
  | { readonly kind: 'group' }
  | { readonly kind: 'trunkPrefix' }
  | { readonly kind: 'authCode' };

/** One number of the plan with its owner. */
export interface PlanEntry {
  readonly number: string;
  readonly owner: NumberOwner;
}

/** Something that makes a plan unusable, with a sentence for the CLI. */
export type PlanProblem =
  | { readonly kind: 'syntax'; readonly entry: PlanEntry; readonly message: string }
  | {
      readonly kind: 'clash';
      readonly entry: PlanEntry;
      readonly other: PlanEntry;
      readonly message: string;
    };

/** The outcome of `checkCodeChange`: the new plan, or why it is refused. */
export type CodeChangeResult =
  | { readonly ok: true; readonly plan: NumberPlan }
  | { readonly ok: false; readonly message: string; readonly problems: readonly PlanProblem[] };

const STATION_SYNTAX = /^[0-9]{1,8}$/;

/**
 * Every problem in a plan: a code or trunk prefix that is not dialable, and every pair of numbers
 * where a code or the trunk prefix is equal to or a prefix of another code, the trunk prefix, a
 * station or a ring group number. Station and ring group numbers clash with each other only when
 * equal: phones send the whole number at once, so 20 and 201 can both be stations.
 *
 * An empty array means the plan is valid.
 */
export function validatePlan(
  plan: NumberPlan,
  stationNumbers: Iterable<string>,
  groupNumbers: Iterable<string>,
): PlanProblem[] {
  const entries = planEntries(plan, stationNumbers, groupNumbers);
  const problems: PlanProblem[] = [];
  for (const entry of entries) {
    const syntax = syntaxProblem(entry);
    if (syntax) problems.push(syntax);
  }
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const clash = clashBetween(entries[i]!, entries[j]!);
      if (clash) problems.push(clash);
    }
  }
  return problems;
}

/**
 * Checks `pbx numplan set <feature> <code>` (or `clear <feature>` when `code` is null) against the
 * rest of the plan and the configured station and ring group numbers. Only problems caused by the
 * new code refuse the change; setting a feature to its current code is accepted.
 */
export function checkCodeChange(
  plan: NumberPlan,
  feature: FeatureId,
  code: string | null,
  stationNumbers: Iterable<string>,
  groupNumbers: Iterable<string>,
): CodeChangeResult {
  const codes: FeatureCodes = { ...plan.codes, [feature]: code };
  const next: NumberPlan = { ...plan, codes };
  if (code === null) return { ok: true, plan: next };

  const entry: PlanEntry = { number: code, owner: { kind: 'feature', feature } };
  const syntax = syntaxProblem(entry);
  if (syntax) return { ok: false, message: syntax.message, problems: [syntax] };

  const others = planEntries(next, stationNumbers, groupNumbers).filter(
    (e) => !(e.owner.kind === 'feature' && e.owner.feature === feature),
  );
  const problems = others.flatMap((other) => clashBetween(entry, other) ?? []);
  if (problems.length > 0) {
    return { ok: false, message: problems.map((p) => p.message).join('; '), problems };
  }
  return { ok: true, plan: next };
}

/**
 * Checks a station or ring group number about to be added against the codes and trunk prefix,
 * for `pbx ext add` and `pbx group add`. An empty array means the number is free of clashes.
 */
export function checkNewNumber(
  plan: NumberPlan,
  number: string,
  kind: 'station' | 'group',
): PlanProblem[] {
  const entry: PlanEntry = {
    number,
    owner: kind === 'station' ? { kind: 'station' } : { kind: 'group' },
  };
  const syntax = syntaxProblem(entry);
  if (syntax) return [syntax];
  return planEntries(plan, [], []).flatMap((other) => clashBetween(entry, other) ?? []);
}

/** Names an entry the way CLI messages do: `code 40 (dnd)`, `station 401`. */
export function describeEntry(entry: PlanEntry): string {
  switch (entry.owner.kind) {
    case 'feature':
      return `code ${entry.number} (${entry.owner.feature})`;
    case 'station':
      return `station ${entry.number}`;
    case 'group':
      return `ring group ${entry.number}`;
    case 'trunkPrefix':
      return `trunk access code ${entry.number}`;
    case 'authCode':
      return `auth code ${entry.number}`;
  }
}

function planEntries(
  plan: NumberPlan,
  stationNumbers: Iterable<string>,
  groupNumbers: Iterable<string>,
): PlanEntry[] {
  const entries: PlanEntry[] = [];
  for (const feature of FEATURE_IDS) {
    const code = plan.codes[feature];
    if (code !== null && code !== undefined)
      entries.push({ number: code, owner: { kind: 'feature', feature } });
  }
  if (plan.trunkPrefix !== undefined)
    entries.push({ number: plan.trunkPrefix, owner: { kind: 'trunkPrefix' } });
  if (plan.authCode !== undefined)
    entries.push({ number: plan.authCode, owner: { kind: 'authCode' } });
  for (const number of stationNumbers) entries.push({ number, owner: { kind: 'station' } });
  for (const number of groupNumbers) entries.push({ number, owner: { kind: 'group' } });
  return entries;
}

function syntaxProblem(entry: PlanEntry): PlanProblem | undefined {
  const ok =
    entry.owner.kind === 'station' || entry.owner.kind === 'group'
      ? STATION_SYNTAX.test(entry.number)
      : isValidCodeSyntax(entry.number);
  if (ok) return undefined;
  const allowed =
    entry.owner.kind === 'station' || entry.owner.kind === 'group'
      ? '1 to 8 digits'
      : '1 to 8 of the characters 0-9 * #';
  return {
    kind: 'syntax',
    entry,
    message: `${describeEntry(entry)} is not dialable: use ${allowed}`,
  };
}

/** A code or the trunk prefix must not be equal to or a prefix of any other number. */
function clashBetween(a: PlanEntry, b: PlanEntry): PlanProblem | undefined {
  const prefixMatters = isCodeLike(a) || isCodeLike(b);
  if (!prefixMatters) {
    const sameKind = a.owner.kind === b.owner.kind;
    if (sameKind || a.number !== b.number) return undefined;
    return {
      kind: 'clash',
      entry: a,
      other: b,
      message: `${describeEntry(a)} is the same number as ${describeEntry(b)}`,
    };
  }
  if (a.number === b.number) {
    return {
      kind: 'clash',
      entry: a,
      other: b,
      message: `${describeEntry(a)} is the same number as ${describeEntry(b)}`,
    };
  }
  if (b.number.startsWith(a.number)) {
    return {
      kind: 'clash',
      entry: a,
      other: b,
      message: `${describeEntry(a)} is a prefix of ${describeEntry(b)}`,
    };
  }
  if (a.number.startsWith(b.number)) {
    return {
      kind: 'clash',
      entry: a,
      other: b,
      message: `${describeEntry(b)} is a prefix of ${describeEntry(a)}`,
    };
  }
  return undefined;
}

function isCodeLike(entry: PlanEntry): boolean {
  return (
    entry.owner.kind === 'feature' ||
    entry.owner.kind === 'trunkPrefix' ||
    entry.owner.kind === 'authCode'
  );
}

/**
 * Checks `pbx numplan set trunk|authCode <code>` (or `clear` when `code` is null) like
 * {@link checkCodeChange}: refused when the new code clashes with a feature code, the other plan
 * code, a station or a ring group.
 */
export function checkPlanCodeChange(
  plan: NumberPlan,
  id: 'trunk' | 'authCode',
  code: string | null,
  stationNumbers: Iterable<string>,
  groupNumbers: Iterable<string>,
): CodeChangeResult {
  const key = id === 'trunk' ? 'trunkPrefix' : 'authCode';
  const { [key]: _old, ...rest } = plan;
  void _old;
  const next: NumberPlan = code === null ? rest : { ...rest, [key]: code };
  if (code === null) return { ok: true, plan: next };
  const entry: PlanEntry = {
    number: code,
    owner: id === 'trunk' ? { kind: 'trunkPrefix' } : { kind: 'authCode' },
  };
  const syntax = syntaxProblem(entry);
  if (syntax) return { ok: false, message: syntax.message, problems: [syntax] };
  const others = planEntries(rest, stationNumbers, groupNumbers);
  const problems = others.flatMap((other) => clashBetween(entry, other) ?? []);
  if (problems.length > 0)
    return { ok: false, message: problems.map((p) => p.message).join('; '), problems };
  return { ok: true, plan: next };
}
