import type { Command } from 'commander';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { isoTime, printJson, printTable, say } from '../format';

function countArg(text: string, what: string): number {
  if (!/^\d{1,7}$/.test(text.trim())) throw new UsageError(`${what} must be a whole number`);
  return Number.parseInt(text, 10);
}

/**
 * `pbx mwi set|list|unsolicited`: message-waiting counts per station (the voice-mail issue will
 * write them; until then they are set here) and the per-station unsolicited NOTIFY option. A
 * running PBX notifies the phone within a second.
 */
export function registerMwi(program: Command, ctx: () => CliContext): void {
  const mwi = program.command('mwi').description('message-waiting lamps (voice-message counts)');

  mwi
    .command('set <tel> <new> [old]')
    .description(
      'set the new (and old) voice-message counts of a station; 0 new turns the lamp off',
    )
    .action(async (tel: string, newText: string, oldText: string | undefined) => {
      const c = ctx();
      const store = await c.store();
      const before = await store.mailboxes.get(tel);
      const old = oldText === undefined ? (before?.oldMessages ?? 0) : countArg(oldText, 'old');
      const m = await store.mailboxes.setCounts(tel, countArg(newText, 'new'), old);
      say(
        c.io,
        `${tel}: ${m.newMessages} new, ${m.oldMessages} old (lamp ${m.newMessages > 0 ? 'on' : 'off'})`,
      );
    });

  mwi
    .command('unsolicited <tel> <on|off>')
    .description(
      'send message-summary NOTIFYs without a subscription (phones that do not SUBSCRIBE)',
    )
    .action(async (tel: string, value: string) => {
      const v = value.trim().toLowerCase();
      if (v !== 'on' && v !== 'off') throw new UsageError('say on or off');
      const c = ctx();
      await (await c.store()).mailboxes.setUnsolicited(tel, v === 'on');
      say(c.io, `${tel}: unsolicited message-waiting ${v}`);
    });

  mwi
    .command('list')
    .description('mailboxes with counts or options set')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const rows = await (await c.store()).mailboxes.list();
      if (opts.json)
        return printJson(
          c.io,
          rows.map((m) => ({ ...m, updatedAt: isoTime(m.updatedAt) })),
        );
      if (rows.length === 0) return say(c.io, 'no mailbox has messages or options');
      printTable(
        c.io,
        ['Tel', 'New', 'Old', 'Lamp', 'Unsolicited', 'Updated'],
        rows.map((m) => [
          m.tel,
          m.newMessages,
          m.oldMessages,
          m.newMessages > 0 ? 'on' : 'off',
          m.unsolicited ? 'on' : 'off',
          isoTime(m.updatedAt),
        ]),
      );
    });
}
