/**
 * AppContext: the services every module gets, passed explicitly (no globals, no srf.locals).
 * Built once by startPbx(). SIP is not in it: each module gets the SIP port it needs.
 */
import type { Logger } from 'pino';
import type { PbxConfig } from '@pbx/config';
import type { Store } from '@pbx/store';

export interface AppContext {
  /** Current configuration; replaced in place when `pbx config set` changes it. */
  config: PbxConfig;
  store: Store;
  log: Logger;
  /** Epoch milliseconds; injectable for tests. */
  now: () => number;
}

/** An installed module: how to tell it about CLI changes and how to stop it. */
export interface PbxModule {
  readonly name: string;
  /** Called when the CLI changed an area in the database (stations, whitelist, config, blocks). */
  onChange?(area: string): void | Promise<void>;
  stop?(): void | Promise<void>;
}
