/** Where the CLI writes and what it reads: the process in production, buffers in tests. */
export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  /** Clock (epoch ms); tests pin it. */
  now?: () => number;
}
