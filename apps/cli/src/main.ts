import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerAccessLog } from './commands/access-log';
import { actorOf, auditDetails, AUDITED_COMMANDS } from './audit';
import { registerAudit } from './commands/audit';
import { registerBackup } from './commands/backup';
import { registerAuthcode } from './commands/authcode';
import { registerBilling } from './commands/billing';
import { registerBlock } from './commands/block';
import { registerCdr } from './commands/cdr';
import { registerConfig } from './commands/config';
import { registerExt } from './commands/ext';
import { registerGroup } from './commands/group';
import { registerMessage } from './commands/message';
import { registerChat } from './commands/chat';
import { registerMwi } from './commands/mwi';
import { registerVm } from './commands/vm';
import { registerNumplan } from './commands/numplan';
import { registerStatus } from './commands/status';
import { registerTrunk } from './commands/trunk';
import { registerWeb } from './commands/web';
import { registerWhitelist } from './commands/whitelist';
import { CliContext, type GlobalOptions } from './context';
import { describeError, EXIT_USAGE } from './errors';
import type { CliIo } from './io';
import { processStdin } from './terminal';

export type { CliIo, CliStdin } from './io';

/**
 * Commands that may create a missing database: those that add something. The others refuse,
 * so `pbx --db <typo> ext list` reports the missing database instead of creating an empty one.
 */
const CREATING_COMMANDS = new Set([
  'ext add',
  'whitelist add',
  'config set',
  'block add',
  'numplan set',
  'numplan clear',
  'group add',
  'trunk add',
  'trunk did add',
  'trunk route add',
  'authcode add',
  'rate import',
  'account add',
]);

/** The `name sub` path of a command below the program (`ext add`). */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The CLI's version, from its package.json (one folder above both src/ and dist/). */
function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

function buildProgram(
  io: CliIo,
  ctx: () => CliContext,
  onCommand: (path: string, action: Command) => void,
): Command {
  const program = new Command('pbx')
    .description(
      'administer the office PBX: stations, white list, status, access log, system options, feature codes, ring groups, call records, trunks, auth codes, rates, accounts',
    )
    .version(cliVersion(), '-V, --version', 'print the version')
    .option(
      '--db <path>',
      'SQLite database in an existing folder (default: $PBX_DB or ./data/pbx.sqlite)',
    )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showSuggestionAfterError(true);
  registerExt(program, ctx);
  registerWhitelist(program, ctx);
  registerStatus(program, ctx);
  registerAccessLog(program, ctx);
  registerConfig(program, ctx);
  registerBlock(program, ctx);
  registerMwi(program, ctx);
  registerVm(program, ctx);
  registerMessage(program, ctx);
  registerChat(program, ctx);
  registerNumplan(program, ctx);
  registerGroup(program, ctx);
  registerCdr(program, ctx);
  registerBackup(program, ctx);
  registerAudit(program, ctx);
  registerTrunk(program, ctx);
  registerAuthcode(program, ctx);
  registerBilling(program, ctx);
  registerWeb(program, ctx);
  program.hook('preAction', (_program, action) => onCommand(commandPath(action), action));
  // Subcommands inherit exitOverride and output only when set before they are added; set them
  // on every command so a usage error anywhere throws instead of exiting the process.
  const walk = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({
        writeOut: (s) => io.stdout.write(s),
        writeErr: (s) => io.stderr.write(s),
      });
      walk(sub);
    }
  };
  walk(program);
  return program;
}

/**
 * Runs one `pbx` command line (without `node` and the script) and returns the exit status:
 * 0 on success, 2 for usage errors and invalid values, 1 for not found, conflicts, a full
 * licence and database failures. Errors are one line each on stderr, never a stack trace.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let context: CliContext | undefined;
  let program: Command | undefined;
  let mayCreateDb = false;
  let audited: { action: string; details: Record<string, unknown> } | undefined;
  const ctx = (): CliContext => {
    if (!context) {
      context = new CliContext(io, (program?.opts() ?? {}) as GlobalOptions);
      context.mayCreateDb = mayCreateDb;
    }
    return context;
  };
  try {
    program = buildProgram(io, ctx, (path, action) => {
      mayCreateDb = CREATING_COMMANDS.has(path);
      if (AUDITED_COMMANDS.has(path))
        audited = { action: path, details: auditDetails(path, action) };
    });
    await program.parseAsync([...argv], { from: 'user' });
    if (audited) await writeAudit(io, ctx(), audited, 'ok', '');
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help text).
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const { code, lines } = describeError(err);
    for (const line of lines) io.stderr.write(`error: ${line}\n`);
    if (audited) await writeAudit(io, ctx(), audited, 'failed', lines[0] ?? '');
    return code;
  } finally {
    await context?.close().catch(() => undefined);
  }
}

/**
 * Writes one audit log entry. A command that failed before the database could be opened (a wrong
 * --db) leaves none; a command that succeeded but cannot be audited says so on stderr.
 */
async function writeAudit(
  io: CliIo,
  c: CliContext,
  entry: { action: string; details: Record<string, unknown> },
  outcome: 'ok' | 'failed',
  error: string,
): Promise<void> {
  // A failed command writes only to a database it opened itself: a failure must not create one.
  const opening = outcome === 'ok' ? c.store() : c.openedStore();
  if (!opening) return;
  let store;
  try {
    store = await opening;
  } catch {
    return;
  }
  try {
    await store.audit.add({
      at: c.now(),
      actor: actorOf(io),
      action: entry.action,
      details: entry.details,
      outcome,
      error,
    });
  } catch (err) {
    io.stderr.write(`warning: not written to the audit log: ${(err as Error).message}\n`);
  }
}

/** Entry point of bin/pbx.js: runs `process.argv` and sets the exit status. */
export function main(): void {
  // A closed pipe (pbx ext list | head) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdin: processStdin(process.stdin, process.stderr),
  };
  run(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
