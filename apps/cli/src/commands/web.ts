import { readFile } from 'node:fs/promises';
import { checkWebPassword } from '@pbx/admin';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { CommandFailedError, UsageError } from '../errors';
import { isoTime, printJson, printTable, say } from '../format';
import { readPassword } from '../password';

interface LiveCall {
  ref: string;
  kind: string;
  dialled: string;
  caller: { number: string; station?: string; name?: string };
  callee: string | null;
  state: string;
  startedAt: number;
  answeredAt: number | null;
}

/**
 * Asks the running PBX's HTTP API (http.host:http.port) as the local administrator: the token
 * the PBX writes beside the database (`<db>.api-token`, mode 0600) proves the caller may read
 * the database, which is what every other `pbx` command needs too.
 */
async function api(c: CliContext, method: string, path: string): Promise<unknown> {
  const { config } = await c.config();
  let token: string;
  try {
    token = (await readFile(`${c.dbPath}.api-token`, 'utf8')).trim();
  } catch {
    throw new CommandFailedError(
      `the PBX is not running on ${c.dbPath} (no ${c.dbPath}.api-token); start it with npm start`,
    );
  }
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const scheme = config.http.cert ? 'https' : 'http';
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${config.http.port}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { method, headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new CommandFailedError(
      `the PBX's HTTP API at ${url} does not answer: ${(err as Error).message}`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) throw new CommandFailedError(body.message ?? `HTTP ${res.status}`);
  return body;
}

/** `pbx admin passwd`, `pbx ext cti-password <tel>`, `pbx calls [hangup <ref>]`. */
export function registerWeb(program: Command, ctx: () => CliContext): void {
  const admin = program.command('admin').description('the web console administrator');
  admin
    .command('passwd')
    .description("set the web console administrator's password (user admin)")
    .option('--password-stdin', 'read the password from standard input (one line)')
    .action(async (opts: { passwordStdin?: boolean }) => {
      const c = ctx();
      c.checkDbPath();
      const pw = await readPassword(c.io, opts, {
        required: true,
        tel: '',
        label: 'the web administrator',
      });
      await (await c.store()).webAuth.setAdminPassword(checkWebPassword(pw ?? '', 'password'));
      say(c.io, 'web administrator password set (log in as admin)');
    });

  const ext = program.commands.find((cmd) => cmd.name() === 'ext');
  (ext ?? program)
    .command('cti-password <tel>')
    .description("set a station's CTI (web console) password, separate from its SIP password")
    .option('--password-stdin', 'read the password from standard input (one line)')
    .option('--clear', 'remove it (the station can no longer log in to the console)')
    .action(async (tel: string, opts: { passwordStdin?: boolean; clear?: boolean }) => {
      const c = ctx();
      c.checkDbPath();
      const store = await c.store();
      if (opts.clear) {
        if (opts.passwordStdin) throw new UsageError('--clear: no password to read');
        await store.webAuth.clearCtiPassword(tel);
        return say(c.io, `CTI password of station ${tel} removed`);
      }
      if (!(await store.stations.exists(tel))) throw new CommandFailedError(`no station ${tel}`);
      const pw = await readPassword(c.io, opts, {
        required: true,
        tel,
        label: `station ${tel} (CTI)`,
      });
      await store.webAuth.setCtiPassword(tel, checkWebPassword(pw ?? '', 'password'));
      say(c.io, `CTI password of station ${tel} set`);
    });

  const calls = program
    .command('calls')
    .description('live calls in the running PBX (through its HTTP API)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const list = (await api(c, 'GET', '/api/calls')) as LiveCall[];
      if (opts.json) return printJson(c.io, list);
      if (list.length === 0) return say(c.io, 'no calls');
      printTable(
        c.io,
        ['Call', 'State', 'From', 'To', 'Dialled', 'Started', 'Answered'],
        list.map((call) => [
          call.ref,
          call.state,
          call.caller.station ?? call.caller.number,
          call.callee ?? '',
          call.dialled,
          isoTime(call.startedAt),
          call.answeredAt === null ? '' : isoTime(call.answeredAt),
        ]),
      );
    });
  calls
    .command('hangup <ref>')
    .description('end a live call (both parties get BYE, a ringing caller 480)')
    .action(async (ref: string) => {
      const c = ctx();
      await api(c, 'DELETE', `/api/calls/${encodeURIComponent(ref)}`);
      say(c.io, `call ${ref} hung up`);
    });
}
