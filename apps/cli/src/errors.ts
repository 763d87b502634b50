import { InputError } from '@pbx/admin';
import { ConfigError } from '@pbx/config';
import {
  ConflictError,
  InvalidAddressError,
  LicenceError,
  MigrationError,
  NotFoundError,
  SecretKeyError,
  StoreError,
} from '@pbx/store';

/** Exit status for bad input (unknown command or option, invalid value). */
export const EXIT_USAGE = 2;
/** Exit status for a failure with valid input (not found, conflict, licence, database). */
export const EXIT_FAILURE = 1;

/** The command line is wrong in a way commander does not catch. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A valid request that cannot be carried out (exit status 1), with a message for the user. */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
}

/** The exit status and the lines for stderr of an error (no stack traces). */
export function describeError(err: unknown): { code: number; lines: string[] } {
  if (
    err instanceof UsageError ||
    err instanceof InputError ||
    err instanceof InvalidAddressError
  ) {
    return { code: EXIT_USAGE, lines: [err.message] };
  }
  if (err instanceof ConfigError) {
    return { code: EXIT_USAGE, lines: err.message.split('\n') };
  }
  if (err instanceof LicenceError) {
    return {
      code: EXIT_FAILURE,
      lines: [
        `licence full: ${err.limit} stations allowed (license.maxStations); remove a station or raise the limit`,
      ],
    };
  }
  if (
    err instanceof NotFoundError ||
    err instanceof ConflictError ||
    err instanceof CommandFailedError
  ) {
    return { code: EXIT_FAILURE, lines: [err.message] };
  }
  if (err instanceof SecretKeyError) {
    return { code: EXIT_FAILURE, lines: [`password key: ${err.message}`] };
  }
  if (err instanceof MigrationError) {
    return { code: EXIT_FAILURE, lines: [`database schema: ${err.message}`] };
  }
  if (err instanceof StoreError) {
    return { code: EXIT_FAILURE, lines: [`database: ${err.message}`] };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: EXIT_FAILURE, lines: [message.split('\n')[0] ?? 'unknown error'] };
}
