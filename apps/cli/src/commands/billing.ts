import { readFile } from 'node:fs/promises';
import { AccountIdSchema, ConfigError, parseMoney, type ConfigIssue } from '@pbx/config';
import { csvLine, formatMoney, NotFoundError, type AccountKind, type Rate } from '@pbx/store';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { CommandFailedError, UsageError } from '../errors';
import { parseSince } from '../duration';
import { isoTime, printJson, printPairs, printTable, say } from '../format';

/** The rate CSV's columns, in order (a header row naming them is optional). */
export const RATE_COLUMNS = ['prefix', 'per_minute', 'minimum', 'increment', 'setup_fee'] as const;

/** One CSV line split on commas, quotes allowed (RFC 4180, no line breaks inside fields). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

/**
 * Parses the rate table: `prefix,per_minute,minimum,increment,setup_fee` per line (prices as
 * decimal amounts, minimum and increment in seconds). Every bad line is named.
 */
export function parseRates(text: string): Rate[] {
  const issues: ConfigIssue[] = [];
  const rates: Rate[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const key = `line ${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    const f = splitCsv(line);
    if (i === 0 && f[0]?.toLowerCase() === 'prefix') return;
    if (f.length !== 5) {
      issues.push({
        key,
        message: `must have 5 fields (${RATE_COLUMNS.join(',')}), got ${f.length}`,
      });
      return;
    }
    const [prefix = '', perMinute = '', minimum = '', increment = '', setup = ''] = f;
    if (!/^\+?\d{0,32}$/.test(prefix)) {
      issues.push({
        key,
        message: `prefix must be up to 32 digits, got ${JSON.stringify(prefix)}`,
      });
      return;
    }
    if (seen.has(prefix)) {
      issues.push({ key, message: `prefix ${prefix || '(any)'} is listed twice` });
      return;
    }
    try {
      const rate: Rate = {
        prefix,
        perMinute: parseMoney(`${key} per_minute`, perMinute),
        minSeconds: seconds(`${key} minimum`, minimum, 0),
        incrementSeconds: seconds(`${key} increment`, increment, 1),
        setupFee: parseMoney(`${key} setup_fee`, setup || '0'),
      };
      seen.add(prefix);
      rates.push(rate);
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
    }
  });
  if (issues.length) throw new ConfigError(issues);
  if (rates.length === 0)
    throw new ConfigError([{ key: 'rates', message: 'the file has no rate' }]);
  return rates;
}

function seconds(key: string, text: string, min: number): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < min)
    throw new ConfigError([
      { key, message: `must be whole seconds, at least ${min}`, got: JSON.stringify(text) },
    ]);
  return Number(text);
}

const KINDS: readonly AccountKind[] = ['prepaid', 'postpaid', 'flat'];

function accountId(id: string): string {
  if (!AccountIdSchema.safeParse(id).success)
    throw new UsageError(`account ${id}: must be 1 to 32 of letters, digits, "_" or "-"`);
  return id;
}

/** `pbx rate import|list`, `pbx account add|topup|show|list|remove|statement`. */
export function registerBilling(program: Command, ctx: () => CliContext): void {
  const rate = program
    .command('rate')
    .description(
      'rate table for trunk calls: prefix, price per minute, minimum, increment, setup fee',
    );
  rate
    .command('import <csv>')
    .description(
      `replace the rate table from a CSV file (${RATE_COLUMNS.join(',')}; prices as amounts, times in seconds; longest prefix wins)`,
    )
    .action(async (file: string) => {
      const c = ctx();
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new CommandFailedError(`${file}: ${(err as Error).message}`, { cause: err });
      }
      const rates = parseRates(text);
      await (await c.store()).billing.replaceRates(rates);
      say(c.io, `${rates.length} rates imported`);
    });
  rate
    .command('list')
    .description('the rate table')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const rates = await (await c.store()).billing.rates();
      if (opts.json) return printJson(c.io, rates);
      printTable(
        c.io,
        ['Prefix', 'Per minute', 'Minimum', 'Increment', 'Setup fee'],
        rates.map((r) => [
          r.prefix || '(any)',
          formatMoney(r.perMinute),
          `${r.minSeconds}s`,
          `${r.incrementSeconds}s`,
          formatMoney(r.setupFee),
        ]),
      );
    });

  const account = program
    .command('account')
    .description(
      'billing accounts: a station number or an auth code account; prepaid, postpaid or flat rate',
    );
  account
    .command('add <id>')
    .description("add an account (a station number bills that station's calls)")
    .requiredOption('--kind <prepaid|postpaid|flat>', 'how the account pays')
    .option('--name <text>', 'who the account belongs to', '')
    .option('--flat-fee <amount>', 'flat: the fee posted each calendar month', '0')
    .action(async (id: string, opts: { kind: string; name: string; flatFee: string }) => {
      const c = ctx();
      if (!KINDS.includes(opts.kind as AccountKind))
        throw new UsageError(`--kind ${opts.kind}: must be prepaid, postpaid or flat`);
      const flatFee = parseMoney('--flat-fee', opts.flatFee);
      const a = await (
        await c.store()
      ).billing.createAccount({
        id: accountId(id),
        name: opts.name,
        kind: opts.kind as AccountKind,
        flatFee,
      });
      say(c.io, `account ${a.id} added (${a.kind})`);
    });
  account
    .command('topup <id> <amount>')
    .description('add money to an account (a negative amount corrects one)')
    .option('--note <text>', 'why', 'top-up')
    .action(async (id: string, amount: string, opts: { note: string }) => {
      const c = ctx();
      const micros = parseMoney('amount', amount, true);
      const a = await (await c.store()).billing.post(accountId(id), micros, { note: opts.note });
      say(c.io, `account ${a.id}: balance ${formatMoney(a.balance)}`);
    });
  account
    .command('show <id>')
    .description('an account with its balance and its latest ledger entries')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const c = ctx();
      const store = await c.store();
      const a = await store.billing.account(accountId(id));
      if (!a) throw new NotFoundError('account', id);
      const ledger = (await store.billing.ledger(id)).slice(-10);
      if (opts.json) return printJson(c.io, { ...a, ledger });
      printPairs(c.io, [
        ['Account', a.id],
        ['Name', a.name],
        ['Kind', a.kind],
        ['Balance', formatMoney(a.balance)],
        ['Flat Fee', formatMoney(a.flatFee)],
        [
          'Ledger',
          ledger.map((l) => `${isoTime(l.at)} ${formatMoney(l.amount)} ${l.note}`).join('\n') ||
            'empty',
        ],
      ]);
    });
  account
    .command('list')
    .description('every account')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const accounts = await (await c.store()).billing.accounts();
      if (opts.json) return printJson(c.io, accounts);
      printTable(
        c.io,
        ['Account', 'Kind', 'Balance', 'Name'],
        accounts.map((a) => [a.id, a.kind, formatMoney(a.balance), a.name]),
      );
    });
  account
    .command('remove <id>')
    .description('delete an account and its ledger (call records keep its id)')
    .action(async (id: string) => {
      const c = ctx();
      await (await c.store()).billing.removeAccount(accountId(id));
      say(c.io, `account ${id} removed`);
    });
  account
    .command('statement <id>')
    .description('the calls billed to an account in a period, as CSV with a total line')
    .requiredOption('--since <when>', 'start: ISO time or duration back from now')
    .option('--until <when>', 'end: ISO time or duration back from now (default now)')
    .action(async (id: string, opts: { since: string; until?: string }) => {
      const c = ctx();
      const store = await c.store();
      const a = await store.billing.account(accountId(id));
      if (!a) throw new NotFoundError('account', id);
      const since = parseSince(opts.since, c.now());
      const until = opts.until === undefined ? c.now() : parseSince(opts.until, c.now(), '--until');
      const w = (s: string): unknown => c.io.stdout.write(s);
      w(csvLine(['start', 'caller', 'number', 'trunk', 'duration_s', 'charge']));
      let total = 0;
      for await (const r of store.cdrs.iterate({ account: id, since, until })) {
        if (r.trunk === null) continue;
        total += r.charge ?? 0;
        w(
          csvLine([
            new Date(r.startAt).toISOString(),
            r.callerTel,
            r.calleeTel ?? r.dialled,
            r.trunk,
            r.durationMs === null ? '0' : String(r.durationMs / 1000),
            formatMoney(r.charge ?? 0),
          ]),
        );
      }
      // A flat-rate account pays the fees the PBX posted in the period (one per month), not calls.
      let fees = 0;
      if (a.kind === 'flat')
        for (const e of await store.billing.ledger(a.id, since, until)) {
          if (!e.note.startsWith('flat fee ')) continue;
          fees += -e.amount;
          w(csvLine([new Date(e.at).toISOString(), '', '', '', e.note, formatMoney(-e.amount)]));
        }
      const due = a.kind === 'flat' ? fees : total;
      w(csvLine(['', '', '', '', 'total', formatMoney(due)]));
    });
}
