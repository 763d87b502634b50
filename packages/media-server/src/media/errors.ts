/** Errors of the media engine (MediaFileError lives in types.ts, part of the contract). */

/** Every even port of the configured RTP range is taken. */
export class PortRangeExhaustedError extends Error {
  override name = 'PortRangeExhaustedError';
  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    super(`no free RTP port pair in ${min}-${max}`);
  }
}

/** An operation the object's current state does not allow (closed, already attached, …). */
export class MediaStateError extends Error {
  override name = 'MediaStateError';
}
