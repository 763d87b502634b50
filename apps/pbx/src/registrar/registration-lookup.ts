/**
 * The registrar's answer to call control ({@link RegistrationLookup}): read from the live
 * bindings in memory, with the registrar's NAT rule (`contactTarget`) for where an INVITE goes.
 */
import type { NatCheck, Registration } from '@pbx/store';
import type { InviteTarget, RegistrationLookup } from '../engine/registration-lookup';
import type { BindingTable } from './bindings';
import { contactTarget } from './nat';
import type { Registrar } from './registrar';

function bareIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/** The INVITE target for a registration, under the station's NAT Check setting. */
export function inviteTarget(reg: Registration, natCheck: NatCheck): InviteTarget {
  const t = contactTarget(reg, { natCheck });
  return t.routeUrl ? { uri: t.requestUri, nextHop: t.routeUrl } : { uri: t.requestUri };
}

/**
 * The manual's source check: a call is a station's only when the station is registered from
 * the address the INVITE came from (the IP; also the port when the station's NAT check is
 * `ip-port`).
 */
export function matchesRegistration(
  regs: readonly Registration[] | undefined,
  source: { address: string; port: number },
  natCheck: NatCheck,
): boolean {
  if (!regs) return false;
  const ip = bareIp(source.address);
  return regs.some(
    (r) => bareIp(r.sourceIp) === ip && (natCheck === 'ip' || r.sourcePort === source.port),
  );
}

/** {@link RegistrationLookup} over the registrar's bindings. */
export function bindingLookup(
  registrar: Registrar,
  bindings: BindingTable,
  now: () => number,
): RegistrationLookup {
  return {
    isRegistered: (tel) => bindings.isRegistered(tel, now()),
    locate(tel, natCheck) {
      const live = bindings.live(tel, now());
      if (live.length === 0) return undefined;
      const newest = live.reduce((a, b) => (b.updatedAt > a.updatedAt ? b : a));
      return inviteTarget(newest, natCheck);
    },
    locateAll: (tel, natCheck) =>
      [...bindings.live(tel, now())]
        .sort((a, b) => b.updatedAt - a.updatedAt)
        .map((r) => inviteTarget(r, natCheck)),
    matchesSource: (tel, source, natCheck) =>
      matchesRegistration(bindings.live(tel, now()), source, natCheck),
    onChange(listener) {
      registrar.on('bound', (r) => listener(r.tel));
      registrar.on('unbound', (r) => listener(r.tel));
    },
  };
}
