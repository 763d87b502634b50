/**
 * Why a registration is refused: the SIP answer and the Access Information reason of each case,
 * in one table (README.md shows it). The reasons follow the manual's "SIP REGISTER ... Invalid"
 * wording, with our detail in parentheses.
 */
import { reasonPhrase } from '../sip/status';

export type RefusalKind =
  | 'unknown-station'
  | 'wrong-user-id'
  | 'bad-password'
  | 'not-whitelisted'
  | 'licence-full'
  | 'digest-uri-mismatch';

export interface Refusal {
  status: number;
  /** Reason phrase of the SIP response. */
  phrase: string;
  /** Access log reason. */
  reason: string;
  /** Whether it counts towards the Comm Exclusive retry limit. */
  countsAsFailure: boolean;
}

export const REFUSALS: Readonly<Record<RefusalKind, Refusal>> = Object.freeze({
  'unknown-station': {
    status: 403,
    phrase: reasonPhrase(403),
    reason: 'SIP REGISTER TELNO Invalid (unknown station)',
    countsAsFailure: true,
  },
  'wrong-user-id': {
    status: 403,
    phrase: reasonPhrase(403),
    reason: 'SIP REGISTER USER ID Invalid',
    countsAsFailure: true,
  },
  'bad-password': {
    status: 403,
    phrase: reasonPhrase(403),
    reason: 'SIP REGISTER PASSWORD Invalid',
    countsAsFailure: true,
  },
  'not-whitelisted': {
    status: 403,
    phrase: reasonPhrase(403),
    reason: 'SIP REGISTER IP Invalid (not on the white list)',
    countsAsFailure: true,
  },
  'licence-full': {
    status: 403,
    phrase: 'Licence Full',
    reason: 'SIP REGISTER refused (licence full)',
    countsAsFailure: false,
  },
  // RFC 2617 §3.2.2.5: credentials computed for another Request-URI are a replay or a forgery.
  'digest-uri-mismatch': {
    status: 400,
    phrase: 'Digest URI Mismatch',
    reason: 'SIP REGISTER refused (digest uri is not the Request-URI)',
    countsAsFailure: true,
  },
});

export const REASON = {
  /** Access log reason of a Comm Exclusive block. */
  blocked: (failures: number): string =>
    `IP blocked after ${failures} failed registrations (Comm Exclusive)`,
  /** Access log reason when one station is turned away at an address other phones share. */
  stationBlocked: (failures: number, station: string): string =>
    `station ${station} blocked at this address after ${failures} failures (Comm Exclusive, shared address)`,
} as const;
