import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { formatMoney, type CallRecord, type CdrFilter } from '@pbx/store';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { parseSince } from '../duration';
import { CommandFailedError, UsageError } from '../errors';
import { isoTime, printJson, printTable, say } from '../format';

interface FilterOptions {
  since?: string;
  until?: string;
  ext?: string;
  account?: string;
  trunk?: string;
}

function parseFilter(c: CliContext, opts: FilterOptions): CdrFilter {
  const filter: CdrFilter = {};
  if (opts.since !== undefined) filter.since = parseSince(opts.since, c.now());
  if (opts.until !== undefined) filter.until = parseSince(opts.until, c.now(), '--until');
  if (opts.ext !== undefined) {
    if (!/^[0-9*#]{1,32}$/.test(opts.ext)) {
      throw new UsageError(
        `--ext: must be a station or dialled number (digits) (got ${JSON.stringify(opts.ext)})`,
      );
    }
    filter.ext = opts.ext;
  }
  if (opts.account !== undefined) filter.account = opts.account;
  if (opts.trunk !== undefined) filter.trunk = opts.trunk;
  return filter;
}

/** Seconds as `75s`, `1m 15s`, `1h 2m 3s`. */
function duration(ms: number | null): string {
  if (ms === null) return '';
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  return m > 0 ? `${m}m ${s}s` : `${s}s`;
}

/** Forward, pickup, transfer and feature markers as one short column. */
function details(r: CallRecord): string {
  const parts: string[] = [];
  if (r.forwardedFrom !== null)
    parts.push(`forwarded by ${r.forwardedFrom}${r.forwardReason ? ` (${r.forwardReason})` : ''}`);
  if (r.pickedUpFrom !== null) parts.push(`picked up from ${r.pickedUpFrom}`);
  if (r.transferredBy !== null) parts.push(`transferred by ${r.transferredBy}`);
  if (r.feature !== null) parts.push(r.feature);
  if (r.note) parts.push(r.note);
  return parts.join('; ');
}

function recordJson(r: CallRecord): Record<string, unknown> {
  return {
    ...r,
    startAt: new Date(r.startAt).toISOString(),
    answerAt: r.answerAt === null ? null : new Date(r.answerAt).toISOString(),
    endAt: r.endAt === null ? null : new Date(r.endAt).toISOString(),
  };
}

async function writeTo(stream: WriteStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/** `pbx cdr list|export`: call records. */
export function registerCdr(program: Command, ctx: () => CliContext): void {
  const cdr = program
    .command('cdr')
    .description('call records: every call attempt with its outcome');

  cdr
    .command('list')
    .description('the newest call records, oldest first')
    .option('--since <when>', 'ISO time or duration back from now (30m, 1h, 2d)')
    .option('--until <when>', 'ISO time or duration back from now')
    .option(
      '--ext <tel>',
      'only calls involving this number (caller, callee, forwarding, pickup, transfer)',
    )
    .option('--account <id>', 'only calls billed to this account')
    .option('--trunk <name>', 'only calls on this trunk')
    .option('--limit <n>', 'newest records to show', '50')
    .option('--json', 'print JSON')
    .action(async (opts: FilterOptions & { limit: string; json?: boolean }) => {
      const c = ctx();
      if (!/^\d+$/.test(opts.limit) || Number(opts.limit) < 1) {
        throw new UsageError(
          `--limit: must be a positive integer (got ${JSON.stringify(opts.limit)})`,
        );
      }
      const filter = parseFilter(c, opts);
      const records = await (await c.store()).cdrs.list({ ...filter, limit: Number(opts.limit) });
      if (opts.json) return printJson(c.io, records.map(recordJson));
      if (records.length === 0) return say(c.io, 'no call records');
      printTable(
        c.io,
        [
          'Start',
          'Caller',
          'Dialled',
          'Callee',
          'Result',
          'SIP',
          'Talk',
          'Hung up',
          'Details',
          'Trunk',
          'Price',
          'Account',
        ],
        records.map((r) => [
          isoTime(r.startAt),
          r.callerName ? `${r.callerTel} (${r.callerName})` : r.callerTel,
          r.dialled,
          r.calleeTel ?? '',
          r.disposition ?? 'in progress',
          r.sipStatus ?? '',
          duration(r.durationMs),
          r.hangupSide ?? '',
          details(r),
          r.trunk ?? '',
          r.charge === null ? '' : formatMoney(r.charge),
          r.account ?? '',
        ]),
      );
    });

  cdr
    .command('export')
    .description('call records as CSV (RFC 4180, header row), oldest first')
    .option('--since <when>', 'ISO time or duration back from now (30m, 1h, 2d)')
    .option('--until <when>', 'ISO time or duration back from now')
    .option('--ext <tel>', 'only calls involving this number')
    .option('--account <id>', 'only calls billed to this account')
    .option('--trunk <name>', 'only calls on this trunk')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (opts: FilterOptions & { out?: string }) => {
      const c = ctx();
      const filter = parseFilter(c, opts);
      const store = await c.store();
      if (opts.out === undefined) {
        await store.cdrs.exportCsv(filter, (chunk) => c.io.stdout.write(chunk));
        return;
      }
      const stream = createWriteStream(opts.out);
      let n: number;
      try {
        await once(stream, 'open');
        n = await store.cdrs.exportCsv(filter, (chunk) => writeTo(stream, chunk));
        stream.end();
        await once(stream, 'finish');
      } catch (err) {
        stream.destroy();
        // File system errors name the file; database errors keep their own message.
        const fsError = err as Partial<NodeJS.ErrnoException>;
        if (fsError.syscall === undefined) throw err;
        const message = typeof fsError.message === 'string' ? fsError.message : String(err);
        throw new CommandFailedError(`--out: cannot write ${opts.out}: ${message}`, { cause: err });
      }
      say(c.io, `exported ${n} call records to ${opts.out}`);
    });
}
