export { run, main } from './main';
export type { CliIo } from './io';
export { contactPort } from './commands/status';
export { parseSince, parseDurationSeconds } from './duration';
