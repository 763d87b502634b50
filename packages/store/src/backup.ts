/**
 * Backup and restore of the database file with SQLite's online backup API, and the checks a file
 * must pass before it may replace the live database (`pbx backup`, `pbx restore`).
 */
import { copyFileSync, chmodSync, existsSync } from 'node:fs';
import sqlite3 from 'sqlite3';
import { onlineBackup, type Database } from './database';
import { defaultKeyPath } from './credentials';
import { StoreError } from './errors';
import { findMigrationsDir, listMigrations } from './migrate';

/** Tables a database of ours always has once migrated. */
const REQUIRED_TABLES = [
  'schema_migrations',
  'stations',
  'registrations',
  'system_options',
  'cdrs',
];

/** What a checked backup holds. */
export interface BackupSummary {
  /** Highest migration applied in the file. */
  version: number;
  stations: number;
  callRecords: number;
}

/** What {@link backupDatabase} wrote. */
export interface BackupResult extends BackupSummary {
  file: string;
  /** The password key copied beside it (mode 0600), or undefined when the database has none. */
  keyFile: string | undefined;
}

/**
 * Writes a consistent copy of `db` to `dest` (online: the PBX may keep running) and copies the
 * password key file of `dbPath` to `<dest>.key` (mode 0600). Then checks the copy.
 */
export async function backupDatabase(
  db: Database,
  dbPath: string,
  dest: string,
): Promise<BackupResult> {
  await db.backupTo(dest);
  const key = defaultKeyPath(dbPath);
  let keyFile: string | undefined;
  if (existsSync(key)) {
    keyFile = defaultKeyPath(dest);
    copyFileSync(key, keyFile);
    chmodSync(keyFile, 0o600);
  }
  const summary = await checkBackup(dest);
  return { ...summary, file: dest, keyFile };
}

function openReadOnly(file: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db: sqlite3.Database = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) =>
      err ? reject(new StoreError(`${file}: cannot open: ${err.message}`, undefined)) : resolve(db),
    );
  });
}

function all<T>(db: sqlite3.Database, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) =>
    db.all(sql, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))),
  );
}

/**
 * Checks that `file` is a sound database of ours that this version can use: SQLite's integrity
 * check passes, the tables are there, and no migration newer than this version's is applied.
 * Throws StoreError saying what is wrong.
 */
export async function checkBackup(file: string, migrationsDir?: string): Promise<BackupSummary> {
  if (!existsSync(file)) throw new StoreError(`${file}: no such file`, 'ENOENT');
  const db = await openReadOnly(file);
  try {
    let integrity: Array<{ integrity_check: string }>;
    try {
      integrity = await all(db, 'PRAGMA integrity_check');
    } catch (err) {
      throw new StoreError(
        `${file}: not a usable SQLite database (${(err as Error).message})`,
        undefined,
      );
    }
    const problems = integrity.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    if (problems.length > 0)
      throw new StoreError(
        `${file}: integrity check failed: ${problems.slice(0, 3).join('; ')}`,
        undefined,
      );
    const tables = new Set(
      (await all<{ name: string }>(db, "SELECT name FROM sqlite_master WHERE type = 'table'")).map(
        (r) => r.name,
      ),
    );
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
    if (missing.length > 0)
      throw new StoreError(
        `${file}: not a PBX database (no table ${missing.join(', ')})`,
        undefined,
      );
    const [v] = await all<{ v: number | null }>(
      db,
      'SELECT MAX(version) AS v FROM schema_migrations',
    );
    const version = v?.v ?? 0;
    const known = listMigrations(migrationsDir ?? findMigrationsDir());
    const latest = known.length > 0 ? (known[known.length - 1]?.version ?? 0) : 0;
    if (version > latest)
      throw new StoreError(
        `${file}: schema version ${version} is newer than this PBX knows (${latest}); use a newer PBX`,
        undefined,
      );
    const [counts] = await all<{ stations: number; cdrs: number }>(
      db,
      'SELECT (SELECT COUNT(*) FROM stations) AS stations, (SELECT COUNT(*) FROM cdrs) AS cdrs',
    );
    return { version, stations: counts?.stations ?? 0, callRecords: counts?.cdrs ?? 0 };
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

/**
 * Replaces the database at `dbPath` with the checked backup `file` (online backup API into the
 * live file, so other connections see either the old or the new database, never a mix), and its
 * key file `<file>.key` into `<dbPath>.key`. The database replaced is first saved as
 * `<dbPath>.before-restore` (and its key as `<dbPath>.before-restore.key`).
 */
export async function restoreDatabase(
  file: string,
  dbPath: string,
  options: { migrationsDir?: string } = {},
): Promise<BackupSummary & { saved: string | undefined }> {
  const summary = await checkBackup(file, options.migrationsDir);
  const srcKey = defaultKeyPath(file);
  if (!existsSync(srcKey))
    throw new StoreError(
      `${srcKey}: the backup's password key is missing; without it the station passwords cannot be read`,
      'ENOENT',
    );
  let saved: string | undefined;
  if (existsSync(dbPath)) {
    saved = `${dbPath}.before-restore`;
    const live = await openReadOnly(dbPath);
    try {
      await onlineBackup(live, saved);
    } finally {
      await new Promise<void>((resolve) => live.close(() => resolve()));
    }
    if (existsSync(defaultKeyPath(dbPath))) {
      copyFileSync(defaultKeyPath(dbPath), defaultKeyPath(saved));
      chmodSync(defaultKeyPath(saved), 0o600);
    }
  }
  const src = await openReadOnly(file);
  try {
    await onlineBackup(src, dbPath);
  } finally {
    await new Promise<void>((resolve) => src.close(() => resolve()));
  }
  copyFileSync(srcKey, defaultKeyPath(dbPath));
  chmodSync(defaultKeyPath(dbPath), 0o600);
  return { ...summary, saved };
}
