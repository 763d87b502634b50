import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Database } from './database';
import { MigrationError } from './errors';

/** One numbered SQL file of the migrations folder. */
export interface MigrationFile {
  version: number;
  name: string;
  file: string;
}

/** A row of `schema_migrations`. */
export interface AppliedMigration {
  version: number;
  name: string;
  appliedAt: string;
}

/** Options for {@link migrate}. */
export interface MigrateOptions {
  /** The folder of numbered SQL files; found by {@link findMigrationsDir} when omitted. */
  dir?: string;
  /** Apply migrations up to and including this version only (tests of upgrades in place). */
  upTo?: number;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** The migrations applied by this call, in order. */
  applied: MigrationFile[];
  /** The highest version applied to the database after this call (0 for none). */
  version: number;
}

const FILE_RE = /^(\d{4})_([a-z0-9][a-z0-9_-]*)\.sql$/;

/**
 * Walks up from `start` until a folder holding a `migrations` directory is found, so the same
 * code finds the repository's `migrations/` from `src` (jest) and from `dist` (node).
 */
export function findMigrationsDir(start: string = __dirname): string {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'migrations');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new MigrationError(`no migrations folder found above ${start}`);
    dir = parent;
  }
}

/** Lists the migration files of `dir` in version order; rejects malformed or duplicate names. */
export function listMigrations(dir: string): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const entry of readdirSync(dir)) {
    if (!entry.endsWith('.sql')) continue;
    const m = FILE_RE.exec(entry);
    if (!m || m[1] === undefined || m[2] === undefined) {
      throw new MigrationError(`migration file ${entry} must be named NNNN_name.sql (lower case)`);
    }
    files.push({ version: Number(m[1]), name: m[2], file: join(dir, entry) });
  }
  files.sort((a, b) => a.version - b.version);
  for (let i = 1; i < files.length; i++) {
    const prev = files[i - 1];
    const cur = files[i];
    if (prev && cur && prev.version === cur.version) {
      throw new MigrationError(
        `two migrations have version ${cur.version}: ${prev.file}, ${cur.file}`,
      );
    }
  }
  return files;
}

/** The migrations recorded in the database, in version order. */
export async function appliedMigrations(db: Database): Promise<AppliedMigration[]> {
  await ensureTable(db);
  return db.all<AppliedMigration>(
    'SELECT version, name, applied_at AS appliedAt FROM schema_migrations ORDER BY version',
  );
}

async function ensureTable(db: Database): Promise<void> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, each in its own transaction,
 * in version order. Safe to call on every start and from concurrent processes: a version applied
 * meanwhile by another process is skipped. Forward only: a database that records a version newer
 * than the newest file is refused, since this program would not understand its schema.
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<MigrateResult> {
  const dir = options.dir ?? findMigrationsDir();
  const files = listMigrations(dir);
  const newest = files.at(-1)?.version ?? 0;
  await ensureTable(db);
  const before = await currentVersion(db);
  if (before > newest) {
    throw new MigrationError(
      `database schema version ${before} is newer than this program knows (${newest}); upgrade the program`,
    );
  }
  const applied: MigrationFile[] = [];
  for (const file of files) {
    if (options.upTo !== undefined && file.version > options.upTo) break;
    const sql = readFileSync(file.file, 'utf8');
    const did = await db.transaction(async (tx) => {
      const row = await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [
        file.version,
      ]);
      if (row) return false;
      try {
        await tx.exec(sql);
      } catch (err) {
        throw new MigrationError(
          `migration ${file.version}_${file.name} failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        file.version,
        file.name,
        new Date().toISOString(),
      ]);
      return true;
    });
    if (did) applied.push(file);
  }
  return { applied, version: await currentVersion(db) };
}

async function currentVersion(db: Database): Promise<number> {
  const top = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return top?.v ?? 0;
}
