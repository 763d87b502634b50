import type { Logger } from '../../src/logger';

/** A logger that drops every line: for tests that start a server thread and read no logs. */
export const quiet: Logger = {
  child: () => quiet,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  isLevelEnabled: () => false,
};
