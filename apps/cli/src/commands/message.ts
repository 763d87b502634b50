import type { Command } from 'commander';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { isoTime, printJson, printTable, say } from '../format';

/**
 * `pbx message send|list`: instant messages. `send` queues a text/plain message from the PBX
 * (From `sip:pbx@<domain>`) in the database; the running PBX delivers it within a second to every
 * registered contact, or when the station registers. `list` is the history, newest first.
 */
export function registerMessage(program: Command, ctx: () => CliContext): void {
  const message = program.command('message').description('instant messages (RFC 3428)');

  message
    .command('send <to> <text...>')
    .description('send a text message from the PBX to a station, or to every station with "all"')
    .action(async (to: string, words: string[]) => {
      const text = words.join(' ');
      if (!text.trim()) throw new UsageError('the message is empty');
      const c = ctx();
      const store = await c.store();
      const stations = (await store.stations.list()).map((s) => s.tel);
      const targets = to === 'all' ? stations : [to];
      for (const tel of targets) {
        if (!stations.includes(tel)) throw new UsageError(`no station ${tel}`);
        await store.messages.add({ fromTel: 'pbx', toTel: tel, body: text });
      }
      say(c.io, `queued for ${targets.length} station${targets.length === 1 ? '' : 's'}`);
    });

  message
    .command('list')
    .description('message history, newest first')
    .option('--ext <tel>', 'only messages from or to this station')
    .option('--peer <tel>', 'with --ext: only between the two stations')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(async (opts: { ext?: string; peer?: string; limit: string; json?: boolean }) => {
      const c = ctx();
      const limit = Number.parseInt(opts.limit, 10);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a number');
      const rows = await (
        await c.store()
      ).messages.list({
        ...(opts.ext !== undefined ? { ext: opts.ext } : {}),
        ...(opts.peer !== undefined ? { peer: opts.peer } : {}),
        limit,
      });
      if (opts.json)
        return printJson(
          c.io,
          rows.map((m) => ({
            ...m,
            createdAt: isoTime(m.createdAt),
            deliveredAt: m.deliveredAt === null ? null : isoTime(m.deliveredAt),
          })),
        );
      if (rows.length === 0) return say(c.io, 'no messages');
      printTable(
        c.io,
        ['Time', 'From', 'To', 'Delivered', 'Text'],
        rows.map((m) => [
          isoTime(m.createdAt),
          m.fromTel,
          m.toTel,
          m.deliveredAt === null ? 'waiting' : isoTime(m.deliveredAt),
          m.contentType.startsWith('text/') ? m.body.trim().slice(0, 60) : `(${m.contentType})`,
        ]),
      );
    });
}
