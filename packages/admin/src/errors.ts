/**
 * Bad input to an administrative change: a value that breaks a rule, named by the caller's label
 * (`--members` on the command line, `members` in the API). The `pbx` command exits 2 with the
 * message, the HTTP API answers 400. A valid request that cannot be carried out is a store
 * `ConflictError` (exit 1, 409) or `NotFoundError` (exit 1, 404).
 */
export class InputError extends Error {
  override name = 'InputError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
