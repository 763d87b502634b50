import { accountId, authCode } from '@pbx/admin';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { printJson, printTable, say } from '../format';

/** `pbx authcode add|list|remove`: codes for auth code dialling and the accounts they bill. */
export function registerAuthcode(program: Command, ctx: () => CliContext): void {
  const authcode = program
    .command('authcode')
    .description(
      "auth codes: dialled as auth feature code + auth code + trunk access code + number; the call is billed to the code's account",
    );

  authcode
    .command('add <code>')
    .description('add an auth code (2 to 12 digits)')
    .requiredOption('--account <id>', 'account the calls are billed to')
    .option('--note <text>', 'who holds the code', '')
    .action(async (code: string, opts: { account: string; note: string }) => {
      const c = ctx();
      authCode(code);
      accountId(opts.account, '--account');
      await (await c.store()).billing.addAuthCode({ code, account: opts.account, note: opts.note });
      say(c.io, `auth code ${code} added (account ${opts.account})`);
    });

  authcode
    .command('list')
    .description('every auth code with its account')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const codes = await (await c.store()).billing.authCodes();
      if (opts.json) return printJson(c.io, codes);
      printTable(
        c.io,
        ['Code', 'Account', 'Note'],
        codes.map((a) => [a.code, a.account, a.note]),
      );
    });

  authcode
    .command('remove <code>')
    .description('remove an auth code')
    .action(async (code: string) => {
      const c = ctx();
      await (await c.store()).billing.removeAuthCode(code);
      say(c.io, `auth code ${code} removed`);
    });
}
