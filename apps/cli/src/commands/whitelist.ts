import type { Command } from 'commander';
import type { CliContext } from '../context';
import { isoTime, printJson, printTable, say } from '../format';

/** `pbx whitelist add|list|remove` (Phone IP White List). */
export function registerWhitelist(program: Command, ctx: () => CliContext): void {
  const wl = program
    .command('whitelist')
    .description(
      'Phone IP White List: addresses, CIDR blocks or broadcast addresses (192.168.1.255 = 192.168.1.0/24)',
    );

  wl.command('add <entry>')
    .description('allow an IP, a CIDR block, or a broadcast address')
    .option('--note <text>', 'free text shown by list')
    .action(async (entry: string, opts: { note?: string }) => {
      const c = ctx();
      const row = await (await c.store()).whitelist.add(entry, opts.note ?? '');
      const how = row.form === 'broadcast' ? ` (broadcast address ${entry.trim()})` : '';
      say(c.io, `added ${row.cidr}${how}`);
    });

  wl.command('remove <entry>')
    .description('remove the entry (any form of the same block)')
    .action(async (entry: string) => {
      const c = ctx();
      const row = await (await c.store()).whitelist.remove(entry);
      say(c.io, `removed ${row.cidr}`);
    });

  wl.command('list')
    .description('list the entries')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const rows = await (await c.store()).whitelist.list();
      if (opts.json) {
        return printJson(
          c.io,
          rows.map((r) => ({ cidr: r.cidr, note: r.note, createdAt: isoTime(r.createdAt) })),
        );
      }
      if (rows.length === 0) return say(c.io, 'white list is empty');
      printTable(
        c.io,
        ['CIDR', 'Note', 'Added'],
        rows.map((r) => [r.cidr, r.note, isoTime(r.createdAt)]),
      );
    });
}
