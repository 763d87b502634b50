/**
 * The optional digest challenge of INVITEs from stations that ask for it (station option
 * `challengeInvites`, `pbx ext set <tel> --challenge-invites on`). OfficeServ checks the source
 * address only; integrators often expect a 407. The registrar implements it (it owns the
 * credentials, nonces and Comm Exclusive); the call router asks it before routing.
 */
import type { IncomingInvite } from './sip-port';

/** The verdict on one INVITE. */
export type InviteAuthResult =
  | { readonly kind: 'ok' }
  /** 407 with these headers (Proxy-Authenticate); not a call attempt, no call record. */
  | { readonly kind: 'challenge'; readonly headers: Readonly<Record<string, string>> }
  /** Refused (wrong credentials, replay, digest uri of another request): status and why. */
  | {
      readonly kind: 'refuse';
      readonly status: number;
      readonly reason: string;
      readonly note: string;
    }
  /** Nothing at all (the address was just blocked in no-response mode). */
  | { readonly kind: 'drop'; readonly note: string };

export interface InviteAuthenticator {
  check(invite: IncomingInvite, station: string): Promise<InviteAuthResult>;
}
