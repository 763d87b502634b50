/**
 * Addresses: where a request goes (RFC 3263 reduced to A/AAAA lookups with default ports), which
 * of our transports and addresses it uses, the `@localhost` rewrite of app headers (wire spec
 * §4.2), and the "can not send request to myself" check.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import type { SipUri } from '../message/types';
import { parseNameAddr, formatNameAddr } from '../message';
import type { Destination, ListenAddress, TransportProtocol } from '../transport/types';

export class AddressError extends Error {
  override name = 'AddressError';
}

export function protocolOf(uri: SipUri): TransportProtocol {
  const t = uri.params['transport']?.toLowerCase();
  if (t === 'tcp') return 'tcp';
  if (t === 'tls') return 'tls';
  if (t === 'udp') return 'udp';
  if (t) throw new AddressError('requested protocol/transport not available');
  return uri.scheme === 'sips' ? 'tls' : 'udp';
}

/** Resolves a SIP URI to the next hop (A/AAAA; SRV/NAPTR are not used). */
export async function resolveUri(uri: SipUri): Promise<Destination> {
  const protocol = protocolOf(uri);
  const port = uri.port ?? (protocol === 'tls' ? 5061 : 5060);
  let address = uri.host;
  if (!net.isIP(address)) {
    try {
      const found = await dns.lookup(address, { family: 4 });
      address = found.address;
    } catch {
      try {
        address = (await dns.lookup(address)).address;
      } catch {
        throw new AddressError(`unable to resolve ${uri.host}`);
      }
    }
  }
  return { protocol, address, port };
}

/** Chooses our listener for a protocol and the address to advertise towards `peer`. */
export function localAddressFor(
  listen: ListenAddress[],
  protocol: TransportProtocol,
  peer?: string,
): { address: string; port: number } | undefined {
  const candidates = listen.filter((l) => l.protocol === protocol);
  if (candidates.length === 0) return undefined;
  const peerV6 = peer ? net.isIPv6(peer) : false;
  const l =
    candidates.find((c) => peer && c.address === peer) ??
    candidates.find((c) => net.isIPv6(c.address) === peerV6) ??
    candidates[0]!;
  let address = l.advertisedAddress;
  if (address === '0.0.0.0' || address === '::') address = concreteAddress(peer, address === '::');
  return { address, port: l.port };
}

/** The machine's interface addresses, read at most every few seconds (not once per request). */
let interfaces: { at: number; list: os.NetworkInterfaceInfo[] } | undefined;
function interfaceAddresses(): os.NetworkInterfaceInfo[] {
  const now = Date.now();
  if (!interfaces || now - interfaces.at > 5000) {
    interfaces = { at: now, list: Object.values(os.networkInterfaces()).flatMap((l) => l ?? []) };
  }
  return interfaces.list;
}

function concreteAddress(peer: string | undefined, v6: boolean): string {
  if (peer && (peer.startsWith('127.') || peer === '::1'))
    return peer === '::1' ? '::1' : '127.0.0.1';
  const found = interfaceAddresses().find(
    (i) => !i.internal && (v6 ? i.family === 'IPv6' : i.family === 'IPv4'),
  );
  return found?.address ?? (v6 ? '::1' : '127.0.0.1');
}

/** True when `dest` is one of our own SIP addresses. */
export function isSelf(dest: Destination, listen: ListenAddress[]): boolean {
  return listen.some((l) => {
    if (l.port !== dest.port) return false;
    if (l.address === dest.address || l.advertisedAddress === dest.address) return true;
    if (l.address === '0.0.0.0' || l.address === '::') {
      if (dest.address.startsWith('127.') || dest.address === '::1') return true;
      return interfaceAddresses().some((i) => i.address === dest.address);
    }
    return false;
  });
}

export function hostPortText(address: string, port: number): string {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * `sip:100@localhost` → `<sip:100@ourIP:ourPort>`, keeping display name and parameters. With
 * `anyLocalhost` (From of a new request) a bare `localhost` host is rewritten too.
 */
export function rewriteLocalhost(
  value: string,
  address: string,
  port: number,
  anyLocalhost = false,
): string {
  if (!value.includes('@localhost') && !(anyLocalhost && value.includes('localhost'))) return value;
  const na = parseNameAddr(value);
  if (!na || na.uri.host.toLowerCase() !== 'localhost') return value;
  na.uri.host = address;
  na.uri.port = port;
  return formatNameAddr(na);
}
