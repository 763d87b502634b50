import type { Command } from 'commander';
import type { CliContext } from '../context';
import { parseSince } from '../duration';
import { UsageError } from '../errors';
import { isoTime, printJson, printTable, say } from '../format';

/** Arguments and options of an entry on one line: `201 --name "Front desk" --password ***`. */
function detailText(details: Record<string, unknown>): string {
  const args = Array.isArray(details['args']) ? (details['args'] as unknown[]).map(String) : [];
  const opts = details['options'];
  const parts = [...args];
  if (opts !== null && typeof opts === 'object') {
    for (const [k, v] of Object.entries(opts as Record<string, unknown>)) {
      const flag = `--${k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`;
      parts.push(v === true ? flag : `${flag} ${JSON.stringify(v)}`);
    }
  }
  return parts.join(' ');
}

/** `pbx audit [--since] [--limit] [--action]`: who changed what, when. */
export function registerAudit(program: Command, ctx: () => CliContext): void {
  program
    .command('audit')
    .description('audit log: administrative changes made with pbx (who, what, when; no secrets)')
    .option('--since <when>', 'ISO time or duration back from now (30m, 1h, 2d)')
    .option('--limit <n>', 'newest entries to show', '200')
    .option('--action <command>', 'only this command, e.g. "ext set"')
    .option('--json', 'print JSON')
    .action(async (opts: { since?: string; limit: string; action?: string; json?: boolean }) => {
      const c = ctx();
      if (!/^\d+$/.test(opts.limit) || Number(opts.limit) < 1) {
        throw new UsageError(
          `--limit: must be a positive integer (got ${JSON.stringify(opts.limit)})`,
        );
      }
      const since = opts.since === undefined ? undefined : parseSince(opts.since, c.now());
      const entries = await (
        await c.store()
      ).audit.list({ since, limit: Number(opts.limit), action: opts.action });
      if (opts.json) {
        return printJson(
          c.io,
          entries.map((e) => ({
            date: isoTime(e.at),
            actor: e.actor,
            origin: e.origin,
            action: e.action,
            details: e.details,
            outcome: e.outcome,
            error: e.error,
          })),
        );
      }
      if (entries.length === 0) return say(c.io, 'no audit log entries');
      printTable(
        c.io,
        ['Date', 'Who', 'Command', 'Details', 'Result'],
        entries.map((e) => [
          isoTime(e.at),
          e.actor,
          e.action,
          detailText(e.details),
          e.outcome === 'ok' ? 'ok' : `failed: ${e.error}`,
        ]),
      );
    });
}
