/**
 * Runs the `pbx` command in this process against a test PBX's database, as an administrator
 * would beside the running PBX, and fails the test unless it exits 0 with nothing on stderr.
 */
import { run as runCli } from '../../../cli/src/main';

/** `pbx --db <dbPath> ...argv`; resolves its standard output. */
export async function cliOk(dbPath: string, ...argv: string[]): Promise<string> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--db', dbPath, ...argv], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
  });
  expect({ argv, code, stderr }).toEqual({ argv, code: 0, stderr: '' });
  return stdout;
}
