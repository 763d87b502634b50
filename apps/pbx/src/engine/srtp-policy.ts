/**
 * The SRTP policy (`security.srtp`, and each station's `srtp` setting): which stations must use
 * encrypted media, and whether an offer to or from one of them is refused for being plain RTP.
 * Pure functions; the caller side is judged by the transport its INVITE came on, the callee side
 * by the transport of its contact.
 */
import type { PbxConfig } from '@pbx/config';
import type { StationSrtp } from '@pbx/store';
import { isSrtpSdp } from '../sip/srtp';

export type SrtpPolicy = PbxConfig['security']['srtp'];

/**
 * Whether a station reached over `protocol` (`udp`, `tcp`, `tls`) must use SRTP: always when the
 * station's own setting is `required`, otherwise as the system policy says.
 */
export function mustUseSrtp(
  policy: SrtpPolicy,
  protocol: string,
  station: StationSrtp = 'policy',
): boolean {
  if (station === 'required') return true;
  switch (policy) {
    case 'optional':
      return false;
    case 'tls':
      return protocol.toLowerCase() === 'tls';
    case 'all':
      return true;
  }
}

/** True when `sdp` offers plain RTP to or from a station that must use SRTP. */
export function refusesPlainMedia(
  policy: SrtpPolicy,
  protocol: string,
  sdp: string,
  station: StationSrtp = 'policy',
): boolean {
  return mustUseSrtp(policy, protocol, station) && !isSrtpSdp(sdp);
}

/**
 * {@link refusesPlainMedia} towards a contact: its transport is read from the URI only when the
 * policy depends on it (not at all under the default `optional`, for every call's b-leg).
 */
export function refusesPlainMediaTo(
  policy: SrtpPolicy,
  contactUri: string,
  sdp: string,
  station: StationSrtp = 'policy',
): boolean {
  if (station !== 'required' && policy === 'optional') return false;
  return refusesPlainMedia(policy, contactProtocol(contactUri), sdp, station);
}

/** The transport a contact URI asks for: `tls` for `sips:` or `;transport=tls`. */
export function contactProtocol(uri: string): string {
  if (/^sips:/i.test(uri)) return 'tls';
  return /;\s*transport=([a-z]+)/i.exec(uri)?.[1]?.toLowerCase() ?? 'udp';
}
