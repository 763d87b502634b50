/** Where the CLI writes and what it reads: the process in production, buffers in tests. */
export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  /** Clock (epoch ms); tests pin it. */
  now?: () => number;
  /** Standard input, for passwords; without it no password can be read or asked for. */
  stdin?: CliStdin;
}

/** Standard input as the password options use it (`--password-stdin` and the prompt). */
export interface CliStdin {
  /** True when standard input is a terminal, where a password is asked for without echo. */
  readonly isTTY: boolean;
  /** Reads standard input to its end (at most `maxBytes`; more is an error). */
  readAll(maxBytes: number): Promise<string>;
  /** Writes `prompt` to stderr and reads one line from the terminal without echoing it. */
  promptSecret(prompt: string): Promise<string>;
}
