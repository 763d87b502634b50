/**
 * Sends OPTIONS to the registered contacts of a station, addressed the way every later request
 * to it is (NAT Check, {@link contactTarget}). Used by tests to see where the PBX reaches a phone,
 * and usable as a reachability check ("qualify").
 */
import type { NatCheck, Registration } from '@pbx/store';
import { contactTarget, type ContactTarget } from './nat';
import type { RegistrarSipPort } from './sip-port';

export interface QualifyResult {
  contact: string;
  target: ContactTarget;
  /** Final status, or 'timeout' when none came within the time limit. */
  status: number | 'timeout';
}

export const DEFAULT_QUALIFY_TIMEOUT_MS = 5_000;

export interface QualifyDeps {
  readonly port: Pick<RegistrarSipPort, 'sendOptions'>;
  /** The station's NAT check, undefined when it does not exist. */
  station(tel: string): Promise<{ natCheck: NatCheck } | undefined>;
  /** Its live bindings. */
  bindings(tel: string): readonly Registration[];
  /** The SIP domain (our From). */
  domain(): string;
}

/** OPTIONS to every live contact of station `tel`; [] when it has none or does not exist. */
export async function qualifyStation(
  deps: QualifyDeps,
  tel: string,
  opts: { timeoutMs?: number } = {},
): Promise<QualifyResult[]> {
  const station = await deps.station(tel);
  if (!station) return [];
  const from = `<sip:pbx@${deps.domain()}>`;
  return Promise.all(
    deps.bindings(tel).map(async (r) => {
      const target = contactTarget(r, station);
      const status = await deps.port.sendOptions(
        target,
        from,
        opts.timeoutMs ?? DEFAULT_QUALIFY_TIMEOUT_MS,
      );
      return { contact: r.contact, target, status };
    }),
  );
}
