import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, resolveConfig, type ResolvedConfig } from '@pbx/config';
import { Store } from '@pbx/store';
import { CommandFailedError, UsageError } from './errors';
import type { CliIo } from './io';

/** Options every command accepts. */
export interface GlobalOptions {
  db?: string;
}

/**
 * What a command works with: the database (opened and migrated on first use) and the
 * configuration (defaults < PBX_CONFIG file < database < environment), both loaded lazily so
 * commands that need neither stay cheap and `config set` can repair a bad stored value.
 */
export class CliContext {
  private storePromise: Promise<Store> | undefined;
  readonly dbPath: string;
  /** True when `--db` chose the database. */
  readonly dbFromFlag: boolean;
  /** What chose the database, for messages: `--db`, `PBX_DB`, `db.path` or `default`. */
  readonly dbSource: string;
  /**
   * Whether the running command may create a missing database file (commands that add
   * something); the others refuse, so a mistyped path is reported instead of starting empty.
   */
  mayCreateDb = false;

  constructor(
    readonly io: CliIo,
    global: GlobalOptions,
  ) {
    this.dbFromFlag = global.db !== undefined;
    const chosen =
      global.db !== undefined
        ? { path: global.db, source: '--db' }
        : CliContext.defaultDbPath(io.env);
    this.dbPath = chosen.path;
    this.dbSource = chosen.source;
  }

  /** `PBX_DB`, else the file's `db.path`, else the default. */
  private static defaultDbPath(env: CliIo['env']): { path: string; source: string } {
    try {
      const { config, sources } = resolveConfig({ env, generateSecret: () => 'unused' });
      const source = sources['db.path'] ?? 'default';
      return {
        path: config.db.path,
        source: source.startsWith('env:')
          ? source.slice(4)
          : source === 'file'
            ? 'db.path'
            : source,
      };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      if (env.PBX_DB !== undefined) return { path: env.PBX_DB, source: 'PBX_DB' };
      if (env.PBX_DB_PATH !== undefined) return { path: env.PBX_DB_PATH, source: 'PBX_DB_PATH' };
      return { path: './data/pbx.sqlite', source: 'default' };
    }
  }

  now(): number {
    return this.io.now?.() ?? Date.now();
  }

  /** The environment as loadConfig should see it, with `--db` applied. */
  configEnv(): Record<string, string | undefined> {
    return { ...this.io.env, PBX_DB: this.dbPath, PBX_DB_PATH: undefined };
  }

  store(): Promise<Store> {
    this.storePromise ??= this.openStore();
    return this.storePromise;
  }

  /**
   * Checks the database path without opening it: the folder must exist (the CLI never creates
   * folders, so a mistyped `--db` fails instead of starting an empty PBX somewhere else), and a
   * missing file may be created only by commands that add something. Commands that ask for a
   * password call this first, so nobody types one for nothing.
   */
  checkDbPath(): void {
    const path = this.dbPath;
    const named = `${this.dbSource === 'default' ? 'database (default)' : this.dbSource} ${path}`;
    const folder = dirname(resolve(path));
    if (!isFolder(folder)) {
      throw new UsageError(`${named}: folder ${folder} does not exist; create it first`);
    }
    if (isFolder(path))
      throw new UsageError(`${named}: is a folder; give the database file's path`);
    if (!existsSync(path) && !this.mayCreateDb) {
      throw new CommandFailedError(
        `${named}: no database there; the PBX creates it when it starts, as do commands that add something (e.g. pbx ext add)`,
      );
    }
  }

  /** The store when a command already opened it (never opens or creates the database). */
  openedStore(): Promise<Store> | undefined {
    return this.storePromise;
  }

  private async openStore(): Promise<Store> {
    this.checkDbPath();
    return Store.open({ path: this.dbPath });
  }

  /** The effective configuration, including options stored in the database. */
  async config(dbOverrides: Readonly<Record<string, unknown>> = {}): Promise<ResolvedConfig> {
    const store = await this.store();
    const dbOptions = { ...(await store.options.all()), ...dbOverrides };
    for (const [k, v] of Object.entries(dbOverrides)) if (v === undefined) delete dbOptions[k];
    return resolveConfig({
      env: this.configEnv(),
      dbOptions,
      generateSecret: () => '(generated at start)',
    });
  }

  async close(): Promise<void> {
    if (!this.storePromise) return;
    const store = await this.storePromise.catch(() => undefined);
    await store?.close();
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
