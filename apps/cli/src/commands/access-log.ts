import type { Command } from 'commander';
import type { CliContext } from '../context';
import { parseSince } from '../duration';
import { UsageError } from '../errors';
import { isoTime, printJson, printTable, say } from '../format';

/** `pbx access-log [--since] [--limit]`: the Access Information table. */
export function registerAccessLog(program: Command, ctx: () => CliContext): void {
  program
    .command('access-log')
    .description('Access Information: refused or failed registrations and blocked IPs')
    .option('--since <when>', 'ISO time or duration back from now (30m, 1h, 2d)')
    .option('--limit <n>', 'newest entries to show', '200')
    .option('--json', 'print JSON')
    .action(async (opts: { since?: string; limit: string; json?: boolean }) => {
      const c = ctx();
      if (!/^\d+$/.test(opts.limit) || Number(opts.limit) < 1) {
        throw new UsageError(
          `--limit: must be a positive integer (got ${JSON.stringify(opts.limit)})`,
        );
      }
      const since = opts.since === undefined ? undefined : parseSince(opts.since, c.now());
      const entries = await (await c.store()).accessLog.list({ since, limit: Number(opts.limit) });
      if (opts.json) {
        return printJson(
          c.io,
          entries.map((e) => ({
            date: isoTime(e.at),
            ip: e.ip,
            port: e.port,
            callerId: e.callerId,
            reason: e.reason,
          })),
        );
      }
      if (entries.length === 0) return say(c.io, 'no access log entries');
      printTable(
        c.io,
        ['Date', 'IP Address', 'Caller ID', 'Reason'],
        entries.map((e) => [
          isoTime(e.at),
          e.port === null ? e.ip : `${e.ip}:${e.port}`,
          e.callerId,
          e.reason,
        ]),
      );
    });
}
