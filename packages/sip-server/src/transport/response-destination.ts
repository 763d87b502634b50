import { topVia } from '../message';
import type { SipResponse, Via } from '../message/types';
import { normalizeAddress } from './received';
import type { Destination, ReceiveInfo, TransportProtocol } from './types';

/** Default port of a transport (RFC 3261 §19.1.2). */
export function defaultPort(protocol: TransportProtocol): number {
  return protocol === 'tls' ? 5061 : 5060;
}

/** Maps a Via transport token to one of ours; WS/WSS/SCTP are not served and fall back to TCP. */
export function viaProtocol(transport: string): TransportProtocol {
  const t = transport.toLowerCase();
  if (t === 'udp') return 'udp';
  if (t === 'tls' || t === 'wss') return 'tls';
  return 'tcp';
}

/**
 * Where to send a response (RFC 3261 §18.2.2 with RFC 3581 §4), from its top Via and, when known,
 * how the request arrived:
 * - reliable transport: the connection the request came on; if that has closed, a new connection
 *   to `received` (else the Via host) at the Via port (else the default port);
 * - UDP: `received` (else the Via host) at `rport` (else the Via port, else 5060).
 * `maddr` is not honoured (multicast is not served).
 */
export function responseDestination(res: SipResponse, info?: ReceiveInfo): Destination {
  return destinationFromVia(topVia(res), info);
}

/** {@link responseDestination} from the response's top Via, already parsed. */
export function destinationFromVia(via: Via | undefined, info?: ReceiveInfo): Destination {
  if (!via) {
    if (info)
      return { ...info.source, ...(info.connectionId ? { connectionId: info.connectionId } : {}) };
    throw new TypeError('response has no Via header');
  }
  const protocol = info?.source.protocol ?? viaProtocol(via.transport);
  const received = via.params.received;
  const address = normalizeAddress(received ? received : via.host);
  if (protocol !== 'udp') {
    const dest: Destination = { protocol, address, port: via.port ?? defaultPort(protocol) };
    if (info?.connectionId) dest.connectionId = info.connectionId;
    return dest;
  }
  const rport = via.params.rport ? Number(via.params.rport) : NaN;
  const port = Number.isInteger(rport) && rport > 0 && rport < 65536 ? rport : (via.port ?? 5060);
  return { protocol, address, port };
}
