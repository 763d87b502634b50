import { UsageError } from './errors';
import type { CliIo } from './io';

/** More than any password line (64 characters at most); stops a file piped in by mistake. */
const MAX_STDIN_BYTES = 4096;

/** The password options of `ext add` and `ext set` as commander parsed them. */
export interface PasswordOptions {
  /** `--password <pw>` gives the value, `--password` alone (true) asks on the terminal. */
  password?: string | boolean;
  /** `--password-stdin`: one line read from standard input. */
  passwordStdin?: boolean;
}

/**
 * The password a command was given: on the command line, on standard input
 * (`--password-stdin`), or typed at a prompt without echo (`--password` without a value, or no
 * password option when `required` and standard input is a terminal). Undefined when none was
 * asked for and none is required. The value never appears in an error message.
 */
export async function readPassword(
  io: CliIo,
  opts: PasswordOptions,
  { required, tel, label }: { required: boolean; tel: string; label?: string },
): Promise<string | undefined> {
  if (opts.passwordStdin && opts.password !== undefined) {
    throw new UsageError('--password and --password-stdin: give only one');
  }
  if (typeof opts.password === 'string') return opts.password;
  const stdin = io.stdin;
  if (opts.passwordStdin) {
    if (!stdin) throw new UsageError('--password-stdin: no standard input');
    if (stdin.isTTY) return prompt(io, label ?? `station ${tel}`);
    return oneLine(await stdin.readAll(MAX_STDIN_BYTES));
  }
  if (opts.password === true || required) {
    if (!stdin?.isTTY) {
      throw new UsageError(
        `${opts.password === true ? '--password without a value' : 'a password is required'}: ` +
          'give --password <pw> or --password-stdin, or run in a terminal to be asked',
      );
    }
    return prompt(io, label ?? `station ${tel}`);
  }
  return undefined;
}

/** Asks twice (nothing is echoed, so a typo would go unseen) and returns the password. */
async function prompt(io: CliIo, whose: string): Promise<string> {
  const stdin = io.stdin;
  if (!stdin) throw new UsageError('no standard input');
  const first = await stdin.promptSecret(`Password for ${whose}: `);
  if (first === '') throw new UsageError('no password given');
  if ((await stdin.promptSecret('Retype the password: ')) !== first) {
    throw new UsageError('the passwords typed do not match');
  }
  return first;
}

/** The password on standard input: one line, its line end (LF or CRLF) dropped. */
function oneLine(text: string): string {
  const line = text.replace(/\r?\n$/, '');
  if (line === '') throw new UsageError('--password-stdin: standard input is empty');
  if (/[\r\n]/.test(line)) throw new UsageError('--password-stdin: give the password on one line');
  return line;
}
