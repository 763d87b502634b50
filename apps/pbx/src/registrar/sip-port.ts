/**
 * The SIP port of the registrar: what it needs from the SIP stack, in its own words.
 * `signalling/srf-registrar-port.ts` implements it on drachtio-srf; unit tests can fake it.
 */
import type { Admission } from './comm-exclusive';
import type { ContactTarget } from './nat';
import type { RegisterOutcome, RegisterRequest } from './registrar';

export interface RegistrarSipPort {
  /**
   * Puts `admit` in front of every other handler for requests other than REGISTER (the
   * registrar makes the same check itself): `refuse` is answered 403, `drop` not at all.
   */
  guard(admit: (sourceIp: string) => Admission): void;
  /**
   * Answers every REGISTER with what `handle` decides (a `drop` outcome sends nothing): at once
   * when it returns an outcome, once it resolves when it returns a promise.
   */
  onRegister(handle: (req: RegisterRequest) => RegisterOutcome | Promise<RegisterOutcome>): void;
  /** Sends one OPTIONS to `target`; resolves with the final status or 'timeout'. */
  sendOptions(target: ContactTarget, from: string, timeoutMs: number): Promise<number | 'timeout'>;
}
