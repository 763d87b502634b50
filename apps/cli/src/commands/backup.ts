import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { backupDatabase, restoreDatabase, StoreError } from '@pbx/store';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { CommandFailedError, UsageError } from '../errors';
import { say } from '../format';

function checkTarget(file: string, force: boolean | undefined, dbPath: string): void {
  const folder = dirname(resolve(file));
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new UsageError(`${file}: folder ${folder} does not exist; create it first`);
  if (resolve(file) === resolve(dbPath))
    throw new UsageError(`${file}: is the database itself; name another file`);
  if (existsSync(file) && !force)
    throw new CommandFailedError(`${file}: already exists; give --force to overwrite it`);
}

/** `pbx backup <file>` and `pbx restore <file>`. */
export function registerBackup(program: Command, ctx: () => CliContext): void {
  program
    .command('backup')
    .description(
      'consistent copy of the database while the PBX runs (SQLite online backup), with its password key as <file>.key',
    )
    .argument('<file>', 'where to write the copy')
    .option('--force', 'overwrite <file> when it exists')
    .action(async (file: string, opts: { force?: boolean }) => {
      const c = ctx();
      checkTarget(file, opts.force, c.dbPath);
      const store = await c.store();
      const r = await backupDatabase(store.db, c.dbPath, file).catch((err: unknown) => {
        throw new CommandFailedError(
          err instanceof StoreError ? err.message : `backup failed: ${String(err)}`,
        );
      });
      say(
        c.io,
        `backup written to ${r.file} (schema ${r.version}, ${r.stations} stations, ${r.callRecords} call records)`,
      );
      if (r.keyFile) {
        c.io.stderr.write(
          `warning: ${r.keyFile} holds the key that decrypts the station passwords in the backup; ` +
            'keep it as safe as the passwords themselves (mode 0600, not beside the backup on shared storage)\n',
        );
      }
    });

  program
    .command('restore')
    .description(
      'replace the database with a backup after checking it (integrity, schema); stop the PBX first',
    )
    .argument('<file>', 'a file written by pbx backup (its key <file>.key beside it)')
    .action(async (file: string) => {
      const c = ctx();
      if (!existsSync(file)) throw new CommandFailedError(`${file}: no such file`);
      if (resolve(file) === resolve(c.dbPath))
        throw new UsageError(`${file}: is the database itself; name a backup`);
      const folder = dirname(resolve(c.dbPath));
      if (!existsSync(folder))
        throw new UsageError(`${c.dbPath}: folder ${folder} does not exist; create it first`);
      const r = await restoreDatabase(file, c.dbPath).catch((err: unknown) => {
        throw new CommandFailedError(
          err instanceof StoreError
            ? `restore refused: ${err.message}`
            : `restore failed: ${String(err)}`,
        );
      });
      say(
        c.io,
        `restored ${c.dbPath} from ${file} (schema ${r.version}, ${r.stations} stations, ${r.callRecords} call records)`,
      );
      if (r.saved) say(c.io, `the database it replaced is kept as ${r.saved}`);
      say(c.io, 'start (or restart) the PBX to use it');
    });
}
