import { normalizeIp, NotFoundError } from '@pbx/store';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { parseDurationSeconds } from '../duration';
import { UsageError } from '../errors';
import { isoTime, printJson, printTable, remaining, say } from '../format';

function ipArg(text: string): string {
  const ip = normalizeIp(text);
  if (!ip) throw new UsageError(`"${text}" is not an IP address`);
  return ip;
}

/** `pbx block list|add|remove`: IP addresses blocked by Comm Exclusive (or by hand). */
export function registerBlock(program: Command, ctx: () => CliContext): void {
  const block = program.command('block').description('IP addresses blocked by Comm Exclusive');

  block
    .command('list')
    .description('blocks in force')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const now = c.now();
      const rows = await (await c.store()).blocks.list({ activeAt: now });
      if (opts.json) {
        return printJson(
          c.io,
          rows.map((b) => ({
            ip: b.ip,
            blockedAt: isoTime(b.blockedAt),
            blockedUntil: isoTime(b.blockedUntil),
            remainingSeconds: Math.max(0, Math.round((b.blockedUntil - now) / 1000)),
            failures: b.failures,
            reason: b.reason,
          })),
        );
      }
      if (rows.length === 0) return say(c.io, 'no blocked IP addresses');
      printTable(
        c.io,
        ['IP Address', 'Blocked Until', 'Remaining', 'Failures', 'Reason'],
        rows.map((b) => [
          b.ip,
          isoTime(b.blockedUntil),
          remaining(b.blockedUntil, now),
          b.failures,
          b.reason,
        ]),
      );
    });

  block
    .command('add <ip>')
    .description('block an IP address by hand')
    .option('--for <duration>', 'how long (90s, 10m, 1h); default security.commonBlockTimer')
    .option('--reason <text>', 'shown by list and the access log', 'blocked by administrator')
    .action(async (text: string, opts: { for?: string; reason: string }) => {
      const c = ctx();
      const ip = ipArg(text);
      const seconds =
        opts.for !== undefined
          ? parseDurationSeconds(opts.for, '--for')
          : (await c.config()).config.security.commonBlockTimer;
      const store = await c.store();
      const now = c.now();
      const b = await store.blocks.block({
        ip,
        blockedUntil: now + Math.round(seconds * 1000),
        reason: opts.reason,
      });
      await store.accessLog.add({ at: now, ip, reason: opts.reason });
      say(c.io, `blocked ${ip} until ${isoTime(b.blockedUntil)}`);
    });

  block
    .command('remove <ip>')
    .alias('unblock')
    .description('unblock an IP address')
    .action(async (text: string) => {
      const c = ctx();
      const ip = ipArg(text);
      const store = await c.store();
      const wasActive = await store.blocks.isBlocked(ip, c.now());
      const existed = await store.blocks.remove(ip);
      if (!existed) throw new NotFoundError('blocked IP', ip);
      say(c.io, wasActive ? `unblocked ${ip}` : `removed expired block of ${ip}`);
    });
}
