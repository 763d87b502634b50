/** A row that must exist does not (unknown station, unknown white-list entry, ...). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    readonly what: string,
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`${what} ${key} not found`, options);
  }
}

/** A write would break a uniqueness rule (station exists, user ID taken, entry exists). */
export class ConflictError extends Error {
  override name = 'ConflictError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The licence (maximum number of stations) does not allow another station. */
export class LicenceError extends Error {
  override name = 'LicenceError';
  constructor(
    readonly limit: number,
    options?: ErrorOptions,
  ) {
    super(`the licence allows ${limit} stations and all are in use`, options);
  }
}

/** A migration file is malformed, failed to apply, or the database is newer than this program. */
export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The password encryption key is missing, unreadable or does not decrypt a stored password. */
export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Any failure reported by SQLite, with the statement's first words for context. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
