import { Command, CommanderError } from 'commander';
import { registerAccessLog } from './commands/access-log';
import { registerBlock } from './commands/block';
import { registerCdr } from './commands/cdr';
import { registerConfig } from './commands/config';
import { registerExt } from './commands/ext';
import { registerGroup } from './commands/group';
import { registerNumplan } from './commands/numplan';
import { registerStatus } from './commands/status';
import { registerWhitelist } from './commands/whitelist';
import { CliContext, type GlobalOptions } from './context';
import { describeError, EXIT_USAGE } from './errors';
import type { CliIo } from './io';

export type { CliIo } from './io';

function buildProgram(io: CliIo, ctx: () => CliContext): Command {
  const program = new Command('pbx')
    .description('administer the office PBX: stations, white list, status, access log, system options, feature codes, ring groups, call records')
    .option('--db <path>', 'SQLite database (default: $PBX_DB or ./data/pbx.sqlite)')
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
  registerNumplan(program, ctx);
  registerGroup(program, ctx);
  registerCdr(program, ctx);
  // Subcommands inherit exitOverride and output only when set before they are added; set them
  // on every command so a usage error anywhere throws instead of exiting the process.
  const walk = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
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
  const ctx = (): CliContext => {
    context ??= new CliContext(io, (program?.opts() ?? {}) as GlobalOptions);
    return context;
  };
  try {
    program = buildProgram(io, ctx);
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help text).
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const { code, lines } = describeError(err);
    for (const line of lines) io.stderr.write(`error: ${line}\n`);
    return code;
  } finally {
    await context?.close().catch(() => undefined);
  }
}

/** Entry point of bin/pbx.js: runs `process.argv` and sets the exit status. */
export function main(): void {
  // A closed pipe (pbx ext list | head) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
