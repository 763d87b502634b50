import { ConfigError, resolveConfig, type ResolvedConfig } from '@pbx/config';
import { Store } from '@pbx/store';
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

  constructor(
    readonly io: CliIo,
    global: GlobalOptions,
  ) {
    this.dbFromFlag = global.db !== undefined;
    this.dbPath = global.db ?? CliContext.defaultDbPath(io.env);
  }

  /** `PBX_DB`, else the file's `db.path`, else the default. */
  private static defaultDbPath(env: CliIo['env']): string {
    try {
      return resolveConfig({ env, generateSecret: () => 'unused' }).config.db.path;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return env.PBX_DB ?? env.PBX_DB_PATH ?? './data/pbx.sqlite';
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
    this.storePromise ??= Store.open({ path: this.dbPath });
    return this.storePromise;
  }

  /** The effective configuration, including options stored in the database. */
  async config(dbOverrides: Readonly<Record<string, unknown>> = {}): Promise<ResolvedConfig> {
    const store = await this.store();
    const dbOptions = { ...(await store.options.all()), ...dbOverrides };
    for (const [k, v] of Object.entries(dbOverrides)) if (v === undefined) delete dbOptions[k];
    return resolveConfig({ env: this.configEnv(), dbOptions, generateSecret: () => '(generated at start)' });
  }

  async close(): Promise<void> {
    if (!this.storePromise) return;
    const store = await this.storePromise.catch(() => undefined);
    await store?.close();
  }
}
