import { changeFeatureCode, codeId, defaultCodeOf, loadNumberPlan, planCodeRows } from '@pbx/admin';
import { describePlan } from '@pbx/dialplan';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { printJson, printTable, say } from '../format';

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
      const planRows = planCodeRows(plan);
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
      const id = codeId(feature);
      await changeFeatureCode(await c.store(), id, code);
      const def = defaultCodeOf(id);
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
      const id = codeId(feature);
      await changeFeatureCode(await c.store(), id, null);
      say(c.io, `${id}: unassigned`);
    });

  numplan
    .command('reset <feature>')
    .description("go back to the feature's default code")
    .action(async (feature: string) => {
      const c = ctx();
      const id = codeId(feature);
      const def = defaultCodeOf(id);
      await changeFeatureCode(await c.store(), id, def);
      say(
        c.io,
        `${id}: ${def === null ? 'unassigned (the default)' : `code ${def} (the default)`}`,
      );
    });
}
