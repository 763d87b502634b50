import { copyFile, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { NotFoundError, type Store, type VoicemailBoxPatch } from '@pbx/store';
import {
  resetGreeting,
  setGreeting,
  voicemailPatch as sharedVoicemailPatch,
  voicemailWhen,
} from '@pbx/admin';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { isoTime, printJson, printTable, say } from '../format';

/** The voice-mail folder the PBX keeps beside the database (apps/pbx/src/voicemail). */
export function voicemailDir(dbPath: string): string {
  return path.join(path.dirname(path.resolve(dbPath)), 'voicemail');
}

function idArg(text: string): number {
  if (!/^\d{1,12}$/.test(text.trim())) throw new UsageError(`${text}: a message id is a number`);
  return Number.parseInt(text, 10);
}

/**
 * The voice-mail options of `pbx ext set`: `--voicemail on|off`, `--vm-pin <digits>` (stored as a
 * salted hash only), `--vm-pin-clear`, `--vm-when <list>` (which unreached calls go to voice mail).
 * Returns the patch, or undefined when none of them was given (checks in @pbx/admin).
 */
export function voicemailPatch(opts: Record<string, unknown>): VoicemailBoxPatch | undefined {
  return sharedVoicemailPatch({
    ...(opts.voicemail === undefined ? {} : { enabled: String(opts.voicemail) }),
    ...(opts.vmPin === undefined ? {} : { pin: String(opts.vmPin) }),
    ...(opts.vmPinClear === true ? { pinClear: true } : {}),
    ...(opts.vmWhen === undefined ? {} : { when: String(opts.vmWhen) }),
  });
}

/** Adds the voice-mail options to `pbx ext set`. */
export function addVoicemailFlags(cmd: Command): Command {
  return cmd
    .option('--voicemail <on|off>', 'voice mail for the station (on by default)')
    .option('--vm-pin <digits>', 'voice-mail PIN, 4 to 10 digits (stored hashed)')
    .option('--vm-pin-clear', 'remove the voice-mail PIN (the mailbox cannot be dialled into)')
    .option(
      '--vm-when <list>',
      'calls that go to voice mail: no-answer,busy,dnd,unregistered (or all, none)',
    );
}

/** Writes the options; the message says what changed (never the PIN). */
export async function applyVoicemailPatch(
  store: Store,
  tel: string,
  patch: VoicemailBoxPatch,
): Promise<string> {
  const b = await store.voicemail.setBox(tel, patch);
  const when = voicemailWhen(b);
  return `voice mail ${b.enabled ? 'on' : 'off'}, PIN ${b.hasPin ? 'set' : 'not set'}, for ${
    when.length ? when.join(', ') : 'no calls'
  }`;
}

/** `pbx vm list|export|delete`: the messages kept in each station's mailbox. */
export function registerVm(program: Command, ctx: () => CliContext): void {
  const vm = program.command('vm').description('voice mail: messages in the mailboxes');

  vm.command('list [tel]')
    .description("list messages (one station's, or every station's)")
    .option('--json', 'print JSON')
    .action(async (tel: string | undefined, opts: { json?: boolean }) => {
      const c = ctx();
      const store = await c.store();
      if (tel !== undefined && !(await store.stations.get(tel)))
        throw new NotFoundError('station', tel);
      const rows = await store.voicemail.messages(tel);
      if (opts.json)
        return printJson(
          c.io,
          rows.map((m) => ({ ...m, receivedAt: isoTime(m.receivedAt) })),
        );
      if (rows.length === 0) return say(c.io, tel ? `no messages for ${tel}` : 'no messages');
      printTable(
        c.io,
        ['Tel', 'Id', 'State', 'From', 'Name', 'Received', 'Seconds'],
        rows.map((m) => [
          m.tel,
          m.id,
          m.heard ? 'old' : 'new',
          m.callerTel,
          m.callerName,
          isoTime(m.receivedAt),
          (m.durationMs / 1000).toFixed(1),
        ]),
      );
    });

  vm.command('export <tel> <id> <file>')
    .description('copy a message to a WAV file (8 kHz 16-bit mono)')
    .action(async (tel: string, idText: string, file: string) => {
      const c = ctx();
      const store = await c.store();
      const m = await store.voicemail.message(tel, idArg(idText));
      if (!m) throw new NotFoundError('message', `${tel}/${idText}`);
      const from = path.join(voicemailDir(c.dbPath), m.file);
      if (
        !(await stat(from).then(
          (s) => s.isFile(),
          () => false,
        ))
      )
        throw new UsageError(`message ${tel}/${m.id}: its audio file is missing`);
      await copyFile(from, file).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot write ${file}: ${err.code ?? err.message}`);
      });
      say(c.io, `message ${tel}/${m.id} written to ${file}`);
    });

  vm.command('greeting <tel> [file]')
    .description(
      "set a station's greeting from a WAV file (16-bit PCM mono, 8 or 16 kHz, 0.5 to 60 s), or --reset it",
    )
    .option('--reset', 'back to the default greeting')
    .action(async (tel: string, file: string | undefined, opts: { reset?: boolean }) => {
      const c = ctx();
      if (opts.reset === true && file !== undefined)
        throw new UsageError('vm greeting: give a file or --reset, not both');
      if (opts.reset !== true && file === undefined)
        throw new UsageError('vm greeting: give the WAV file, or --reset for the default greeting');
      const store = await c.store();
      if (!(await store.stations.get(tel))) throw new NotFoundError('station', tel);
      const dir = voicemailDir(c.dbPath);
      if (file === undefined) {
        await resetGreeting(store, dir, tel);
        return say(c.io, `station ${tel}: the default greeting`);
      }
      const wav = await readFile(file).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read ${file}: ${err.code ?? err.message}`);
      });
      const info = await setGreeting(store, dir, tel, wav, file);
      say(c.io, `station ${tel}: greeting set from ${file} (${info.seconds.toFixed(1)} s)`);
    });

  vm.command('delete <tel> <id>')
    .description('delete a message (the lamp follows)')
    .action(async (tel: string, idText: string) => {
      const c = ctx();
      const store = await c.store();
      const m = await store.voicemail.deleteMessage(tel, idArg(idText));
      if (!m) throw new NotFoundError('message', `${tel}/${idText}`);
      // The row first: a file left by a failure here is removed at the PBX's next start.
      await rm(path.join(voicemailDir(c.dbPath), m.file), { force: true });
      const counts = await store.voicemail.syncCounts(tel);
      say(
        c.io,
        `message ${tel}/${m.id} deleted (${counts.newMessages} new, ${counts.oldMessages} old)`,
      );
    });
}
