/**
 * AppContext: the services every feature module gets, passed explicitly (no globals, no
 * srf.locals). Built once by startPbx().
 */
import type { Logger } from 'pino';
import type { PbxConfig } from '@pbx/config';
import type { Store } from '@pbx/store';
import type { SrfApp } from './signalling/srf';

export interface AppContext {
  /** Current configuration; replaced in place when `pbx config set` changes it. */
  config: PbxConfig;
  store: Store;
  log: Logger;
  srf: SrfApp;
  /** Epoch milliseconds; injectable for tests. */
  now: () => number;
}

/** A feature module installs its SIP handlers and returns how to stop it. */
export interface PbxModule {
  name: string;
  /** Called when the CLI changed an area in the database (stations, whitelist, config, blocks). */
  onChange?(area: string): void | Promise<void>;
  stop?(): void | Promise<void>;
}
