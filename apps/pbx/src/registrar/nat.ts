/**
 * NAT handling of the manual's "NAT Check" station setting: deciding whether a phone is behind
 * NAT when it registers (which shortens its registration to the NAT Reg Expire Time), and where
 * later requests to it go.
 *
 * - `ip` (default): only the IP addresses are compared; requests go to the address and port in
 *   the Contact header, as the manual says for this setting (so a phone whose Contact port
 *   differs from its source port is still reached on its Contact port).
 * - `ip-port`: IP and port are compared; when either differs, requests go to the packet's source
 *   address and port (the NAT binding), while the Request-URI stays the Contact.
 */
import { isIP } from 'node:net';
import { normalizeIp, type NatCheck, type Registration, type SipProtocol } from '@pbx/store';
import { defaultPort, parseSipUri, type ContactValue, type ViaParts } from '../sip/header-values';

/** Where a REGISTER came from (the packet, not the headers). */
export interface PacketSource {
  ip: string;
  port: number;
  protocol: SipProtocol;
}

/** Where to send a request to a registered contact. */
export interface ContactTarget {
  /** Request-URI: always the registered Contact. */
  requestUri: string;
  /** Next hop when it differs from the Request-URI (drachtio-srf `proxy` / wire `routeUrl`). */
  routeUrl?: string;
  /** Which address the request is sent to. */
  via: 'contact' | 'source';
}

/** Same address, however written; equal text (the usual case, once per REGISTER) needs no parse. */
const sameIp = (a: string, b: string): boolean =>
  a === b || (normalizeIp(a) ?? a.toLowerCase()) === (normalizeIp(b) ?? b.toLowerCase());

const hostText = (ip: string): string => (isIP(ip) === 6 ? `[${ip}]` : ip);

/**
 * True when the phone looks to be behind NAT: the top Via's sent-by (host, and port over UDP)
 * or a Contact's IP address differs from the packet source. Host names are not compared.
 */
export function isBehindNat(
  source: PacketSource,
  via: ViaParts | undefined,
  contacts: readonly ContactValue[],
): boolean {
  if (via && isIP(via.host) !== 0) {
    if (!sameIp(via.host, source.ip)) return true;
    if (source.protocol === 'udp' && (via.port ?? 5060) !== source.port) return true;
  }
  for (const c of contacts) {
    if (c.kind !== 'address') continue;
    const uri = parseSipUri(c.uri);
    if (uri && isIP(uri.host) !== 0 && !sameIp(uri.host, source.ip)) return true;
  }
  return false;
}

/**
 * The Request-URI and next hop of a request to `registration` under the station's NAT Check
 * setting. For the call-routing code: `srf.createUAC(t.requestUri, { proxy: t.routeUrl, ... })`.
 */
export function contactTarget(
  registration: Pick<Registration, 'contact' | 'sourceIp' | 'sourcePort' | 'protocol'>,
  station: { natCheck: NatCheck },
): ContactTarget {
  const requestUri = registration.contact;
  if (station.natCheck === 'ip') return { requestUri, via: 'contact' };
  const uri = parseSipUri(registration.contact);
  const contactPort = uri
    ? (uri.port ?? defaultPort(uri.scheme, registration.protocol))
    : undefined;
  if (uri && sameIp(uri.host, registration.sourceIp) && contactPort === registration.sourcePort) {
    return { requestUri, via: 'contact' };
  }
  const transport = registration.protocol === 'udp' ? '' : `;transport=${registration.protocol}`;
  return {
    requestUri,
    routeUrl: `sip:${hostText(registration.sourceIp)}:${registration.sourcePort}${transport}`,
    via: 'source',
  };
}
