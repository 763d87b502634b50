/**
 * Where a station is reached and whether a request really comes from it, from the registrations
 * the registrar stored (RegistrationRepo) and its `contactTarget` rule.
 */
import type { NatCheck, Registration, Store } from '@pbx/store';
import { contactTarget as registrarTarget } from '../registrar/nat';

/** Request-URI and next hop of an INVITE to a station. */
export interface ContactTarget {
  readonly uri: string;
  /** `sip:ip:port[;transport=x]` when the packet must go to the registration's source address. */
  readonly nextHop?: string;
}

/** The live registrations of every station, read once per call. */
export interface RegistrationSnapshot {
  readonly byTel: ReadonlyMap<string, readonly Registration[]>;
  isRegistered(tel: string): boolean;
  /** The most recent binding of the station. */
  newest(tel: string): Registration | undefined;
}

/** Reads the live registrations at `now`. */
export async function snapshotRegistrations(store: Store, now: number): Promise<RegistrationSnapshot> {
  const rows = await store.registrations.list({ activeAt: now });
  const byTel = new Map<string, Registration[]>();
  for (const r of rows) {
    const list = byTel.get(r.tel);
    if (list) list.push(r);
    else byTel.set(r.tel, [r]);
  }
  return {
    byTel,
    isRegistered: (tel) => (byTel.get(tel)?.length ?? 0) > 0,
    newest: (tel) => {
      const list = byTel.get(tel);
      if (!list || list.length === 0) return undefined;
      return list.reduce((a, b) => (b.updatedAt > a.updatedAt ? b : a));
    },
  };
}

function bareIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/** The INVITE target for a registration, under the station's NAT Check setting (the registrar's rule). */
export function inviteTarget(reg: Registration, natCheck: NatCheck): ContactTarget {
  const t = registrarTarget(reg, { natCheck });
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
  natCheck: 'ip' | 'ip-port',
): boolean {
  if (!regs) return false;
  const ip = bareIp(source.address);
  return regs.some((r) => bareIp(r.sourceIp) === ip && (natCheck === 'ip' || r.sourcePort === source.port));
}
