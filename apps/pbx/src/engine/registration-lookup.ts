/**
 * What call control asks the registrar: whether a station is registered, where an INVITE to it
 * goes, and whether a request really comes from it. The registrar implements it from its live
 * bindings (registrar/registration-lookup.ts); call control never reads registrations itself.
 */
import type { NatCheck } from '@pbx/store';

/** Request-URI and next hop of an INVITE to a station. */
export interface InviteTarget {
  readonly uri: string;
  /** `sip:ip:port[;transport=x]` when the packet must go to the registration's source address. */
  readonly nextHop?: string;
}

/** The live registrations, as call control reads them. */
export interface RegistrationLookup {
  /** Whether the station has a live binding now. */
  isRegistered(tel: string): boolean;
  /** Where to send an INVITE to the station now (its newest binding); undefined when none. */
  locate(tel: string, natCheck: NatCheck): InviteTarget | undefined;
  /** Every live binding of the station, newest first (a MESSAGE goes to all of them). */
  locateAll(tel: string, natCheck: NatCheck): InviteTarget[];
  /**
   * The manual's source check: the station is registered from `source` (the IP; also the port
   * when its NAT check is `ip-port`).
   */
  matchesSource(
    tel: string,
    source: { readonly address: string; readonly port: number },
    natCheck: NatCheck,
  ): boolean;
  /** Tells `listener` the tel number of every station whose bindings changed. */
  onChange(listener: (tel: string) => void): void;
}
