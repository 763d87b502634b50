/**
 * SIP-specific event notification (RFC 6665): what the PBX answers to a SUBSCRIBE for an event
 * package it does not serve. `489 Bad Event` (RFC 6665 §4.2.1.1) rather than the SIP server's
 * `503` for a method no app takes, which would tell a phone to retry later.
 */

/** The response to a SUBSCRIBE for an event package nobody serves. */
export function badEventResponse(served: readonly string[]): {
  status: 489;
  reason: string;
  headers: Record<string, string>;
} {
  // Allow-Events needs at least one package (RFC 6665 §8.2.2): left out when none is served.
  return {
    status: 489,
    reason: 'Bad Event',
    headers: served.length > 0 ? { 'Allow-Events': served.join(', ') } : {},
  };
}
