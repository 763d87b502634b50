import {
  checkCodeChange,
  checkPlanCodeChange,
  describePlan,
  FEATURE_CODES,
  FEATURE_IDS,
  isFeatureId,
  isPlanCodeId,
  PLAN_CODE_IDS,
  PLAN_CODES,
  type CodeChangeResult,
  type FeatureId,
  type PlanCodeId,
} from '@pbx/dialplan';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { CommandFailedError, UsageError } from '../errors';
import { printJson, printTable, say } from '../format';
import { dialledNumbers, loadNumberPlan } from '../number-plan';

type CodeId = FeatureId | PlanCodeId;

function featureArg(feature: string): CodeId {
  if (!isFeatureId(feature) && !isPlanCodeId(feature)) {
    throw new UsageError(
      `${feature}: unknown feature; one of ${[...FEATURE_IDS, ...PLAN_CODE_IDS].join(', ')}`,
    );
  }
  return feature;
}

const defaultOf = (id: CodeId): string | null =>
  isPlanCodeId(id) ? PLAN_CODES[id].defaultCode : FEATURE_CODES[id].defaultCode;

/**
 * Checks a change with dialplan's rules against the codes, stations and ring groups, then stores
 * it. A code equal to the default is stored as "no change" (the row is removed), so the table only
 * holds differences from the defaults.
 */
async function changeCode(c: CliContext, feature: CodeId, code: string | null): Promise<void> {
  const store = await c.store();
  const plan = await loadNumberPlan(store);
  const { stations, groups } = await dialledNumbers(store);
  const result: CodeChangeResult = isPlanCodeId(feature)
    ? checkPlanCodeChange(plan, feature, code, stations, groups)
    : checkCodeChange(plan, feature, code, stations, groups);
  if (!result.ok) {
    const syntax = result.problems.some((p) => p.kind === 'syntax');
    throw syntax ? new UsageError(result.message) : new CommandFailedError(result.message);
  }
  if (code === defaultOf(feature)) await store.numberPlan.reset(feature);
  else await store.numberPlan.set(feature, code);
}

const shownCode = (code: string | null): string => code ?? '(unassigned)';

/** `pbx numplan list|set|clear|reset`: the feature codes. */
export function registerNumplan(program: Command, ctx: () => CliContext): void {
  const numplan = program
    .command('numplan')
    .description(
      'feature codes (number plan): call forward, DND, conference, park, pickup, trunk access, auth code',
    );

  numplan
    .command('list')
    .description('every feature with its code, what follows the code, and what it does')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const plan = await loadNumberPlan(await c.store());
      const rows = describePlan(plan);
      const planRows = PLAN_CODE_IDS.map((id) => {
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
      if (opts.json) {
        return printJson(c.io, [
          ...rows.map((r) => ({ ...r, changed: r.code !== r.defaultCode })),
          ...planRows.map((r) => ({ ...r, changed: r.code !== r.defaultCode })),
        ]);
      }
      printTable(
        c.io,
        ['Code', 'Feature', 'Argument', 'Default', 'Description'],
        rows
          .map((r) => [
            shownCode(r.code),
            r.officeServName ? `${r.feature} (${r.officeServName})` : r.feature,
            r.argument,
            shownCode(r.defaultCode),
            r.description,
          ])
          .concat(
            planRows.map((r) => [
              shownCode(r.code),
              r.feature,
              r.argument,
              shownCode(r.defaultCode),
              r.description,
            ]),
          ),
      );
    });

  numplan
    .command('set <feature> <code>')
    .description(
      'give a feature a code (1-8 of 0-9 * #); refused if it clashes with a station, group or code',
    )
    .action(async (feature: string, code: string) => {
      const c = ctx();
      const id = featureArg(feature);
      await changeCode(c, id, code);
      const def = defaultOf(id);
      say(
        c.io,
        `${id}: code ${code}${code === def ? ' (the default)' : ` (default: ${def ?? 'unassigned'})`}`,
      );
    });

  numplan
    .command('clear <feature>')
    .description('unassign a feature: no code dials it')
    .action(async (feature: string) => {
      const c = ctx();
      const id = featureArg(feature);
      await changeCode(c, id, null);
      say(c.io, `${id}: unassigned`);
    });

  numplan
    .command('reset <feature>')
    .description("go back to the feature's default code")
    .action(async (feature: string) => {
      const c = ctx();
      const id = featureArg(feature);
      const def = defaultOf(id);
      await changeCode(c, id, def);
      say(
        c.io,
        `${id}: ${def === null ? 'unassigned (the default)' : `code ${def} (the default)`}`,
      );
    });
}
