/**
 * Strings of their own for what the registrar keeps. The header values drachtio-srf hands over
 * are slices of the whole message's text, and the engine keeps that whole text alive for as long
 * as any slice of it lives: a nonce kept for replay checks or a binding kept for an hour would
 * each hold a complete REGISTER (about a kilobyte) instead of a few dozen characters. The copy is
 * the SIP server's own (`ownString`), which its transactions and dialogs use for the same reason.
 */
import { ownString } from '@pbx/sip-server';

export { ownString };

/**
 * `value` as a string of its own, reusing `kept` when it is equal (a refresh repeats what the
 * binding already holds, so only a changed value is copied).
 */
export function ownUnlessKept(value: string, kept: string | undefined): string {
  return value === kept ? kept : ownString(value);
}
