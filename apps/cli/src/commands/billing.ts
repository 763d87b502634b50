import { readFile } from 'node:fs/promises';
import {
  accountChange,
  accountId,
  accountKind,
  accountStatement,
  parseRates,
  RATE_COLUMNS,
} from '@pbx/admin';
import { parseMoney } from '@pbx/config';
import { formatMoney, NotFoundError } from '@pbx/store';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { CommandFailedError } from '../errors';
import { parseSince } from '../duration';
import { isoTime, printJson, printPairs, printTable, say } from '../format';

const CLI_ACCOUNT_LABELS = { name: '--name', kind: '--kind', flatFee: '--flat-fee' };

/** `pbx rate import|list`, `pbx account add|set|topup|show|list|remove|statement`. */
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
      const kind = accountKind(opts.kind);
      const flatFee = parseMoney('--flat-fee', opts.flatFee);
      const a = await (
        await c.store()
      ).billing.createAccount({
        id: accountId(id),
        name: opts.name,
        kind,
        flatFee,
      });
      say(c.io, `account ${a.id} added (${a.kind})`);
    });
  account
    .command('set <id>')
    .description("change an account's name, kind or flat fee (the balance: topup)")
    .option('--name <text>', 'who the account belongs to')
    .option('--kind <prepaid|postpaid|flat>', 'how the account pays')
    .option('--flat-fee <amount>', 'flat: the fee posted each calendar month')
    .action(async (id: string, opts: { name?: string; kind?: string; flatFee?: string }) => {
      const c = ctx();
      const patch = accountChange(
        {
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(opts.kind !== undefined ? { kind: opts.kind } : {}),
          ...(opts.flatFee !== undefined
            ? { flatFee: parseMoney('--flat-fee', opts.flatFee) }
            : {}),
        },
        CLI_ACCOUNT_LABELS,
      );
      const a = await (await c.store()).billing.updateAccount(accountId(id), patch);
      say(
        c.io,
        `account ${a.id}: ${a.kind}, flat fee ${formatMoney(a.flatFee)}, name ${JSON.stringify(a.name)}`,
      );
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
      for await (const line of accountStatement(store, a, since, until)) c.io.stdout.write(line);
    });
}
