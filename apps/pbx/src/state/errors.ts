/**
 * A command that is impossible in the machine's current state: a bug in the caller, not late
 * network input (late input is ignored and returns the state unchanged).
 */
export class InvalidStateError extends Error {
  override name = 'InvalidStateError';
  constructor(
    readonly machine: string,
    readonly state: string,
    readonly command: string,
    options?: ErrorOptions,
  ) {
    super(`${machine}: ${command} is impossible in state ${state}`, options);
  }
}

/** Makes a `switch` over a closed union fail to compile until every member is handled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled variant ${JSON.stringify(value)}`);
}

/** A station, slot or call that does not exist was named. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    readonly what: string,
    readonly id: string,
    options?: ErrorOptions,
  ) {
    super(`${what} ${id} not found`, options);
  }
}
