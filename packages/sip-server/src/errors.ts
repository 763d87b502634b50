/** Errors of the SIP server package. */

export class SipParseError extends Error {
  override name = 'SipParseError';
  constructor(
    message: string,
    readonly status: 400 | 413 | 505 = 400,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class TransportError extends Error {
  override name = 'TransportError';
}

export class TransactionTimeoutError extends Error {
  override name = 'TransactionTimeoutError';
  constructor(
    readonly branch: string,
    options?: ErrorOptions,
  ) {
    super(`timer B/F fired for ${branch}`, options);
  }
}

export class InvalidStateError extends Error {
  override name = 'InvalidStateError';
}
