import {
  checkCodeChange,
  describePlan,
  FEATURE_CODES,
  FEATURE_IDS,
  isFeatureId,
  type FeatureId,
} from '@pbx/dialplan';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { CommandFailedError, UsageError } from '../errors';
import { printJson, printTable, say } from '../format';
import { dialledNumbers, loadNumberPlan } from '../number-plan';

function featureArg(feature: string): FeatureId {
  if (!isFeatureId(feature)) {
    throw new UsageError(`${feature}: unknown feature; one of ${FEATURE_IDS.join(', ')}`);
  }
  return feature;
}

/**
 * Checks a change with dialplan's rules against the codes, stations and ring groups, then stores
 * it. A code equal to the default is stored as "no change" (the row is removed), so the table only
 * holds differences from the defaults.
 */
async function changeCode(c: CliContext, feature: FeatureId, code: string | null): Promise<void> {
  const store = await c.store();
  const plan = await loadNumberPlan(store);
  const { stations, groups } = await dialledNumbers(store);
  const result = checkCodeChange(plan, feature, code, stations, groups);
  if (!result.ok) {
    const syntax = result.problems.some((p) => p.kind === 'syntax');
    throw syntax ? new UsageError(result.message) : new CommandFailedError(result.message);
  }
  if (code === FEATURE_CODES[feature].defaultCode) await store.numberPlan.reset(feature);
  else await store.numberPlan.set(feature, code);
}

const shownCode = (code: string | null): string => code ?? '(unassigned)';

/** `pbx numplan list|set|clear|reset`: the feature codes. */
export function registerNumplan(program: Command, ctx: () => CliContext): void {
  const numplan = program
    .command('numplan')
    .description('feature codes (number plan): call forward, DND, conference, park, pickup');

  numplan
    .command('list')
    .description('every feature with its code, what follows the code, and what it does')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const rows = describePlan(await loadNumberPlan(await c.store()));
      if (opts.json) {
        return printJson(
          c.io,
          rows.map((r) => ({ ...r, changed: r.code !== r.defaultCode })),
        );
      }
      printTable(
        c.io,
        ['Code', 'Feature', 'Argument', 'Default', 'Description'],
        rows.map((r) => [
          shownCode(r.code),
          r.officeServName ? `${r.feature} (${r.officeServName})` : r.feature,
          r.argument,
          shownCode(r.defaultCode),
          r.description,
        ]),
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
      const def = FEATURE_CODES[id].defaultCode;
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
      const def = FEATURE_CODES[id].defaultCode;
      await changeCode(c, id, def);
      say(
        c.io,
        `${id}: ${def === null ? 'unassigned (the default)' : `code ${def} (the default)`}`,
      );
    });
}
