import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import { TransportError } from '../errors';
import { presentedCertificate, tlsServerOptions } from './tls-server-options';
import type { ListenOptions } from './transport-layer';
import type { SendResult, TransportProtocol } from './types';

export interface UdpListener {
  protocol: 'udp';
  opts: ListenOptions;
  socket: dgram.Socket;
  address: string;
  port: number;
  family: 4 | 6;
  /** What each successful send from this socket resolves with (made on first use). */
  sent?: SendResult;
}

export interface StreamListener {
  protocol: 'tcp' | 'tls';
  opts: ListenOptions;
  server: net.Server;
  address: string;
  port: number;
  family: 4 | 6;
}

export type Listener = UdpListener | StreamListener;

export interface UdpHandlers {
  onDatagram(l: UdpListener, buf: Buffer, rinfo: dgram.RemoteInfo): void;
  onError(l: UdpListener, err: Error): void;
}

export interface StreamHandlers {
  /** Backstop for the kernel-level count (TLS handshakes in progress are not yet ours). */
  maxConnections: number;
  handshakeTimeoutMs: number;
  /** A TCP or a completed TLS connection. */
  onAccepted(l: StreamListener, socket: net.Socket): void;
  /** A raw TCP connection to a TLS listener, before its handshake. */
  onTlsRawConnection(raw: net.Socket): void;
  onTlsHandshakeDone(socket: tls.TLSSocket): void;
  onTlsClientError(err: Error): void;
  onError(l: StreamListener, err: Error): void;
}

function familyOf(address: string): 4 | 6 {
  // Runs per datagram sent (pickListener): an IPv6 address always holds a colon, so an IPv4 one
  // is told without the IPv6 grammar's regex.
  return address.includes(':') && net.isIPv6(address) ? 6 : 4;
}

/** Whether `s` is a dotted-quad IPv4 literal (`net.isIPv4` without its regex). */
export function isIPv4Literal(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 0x2e : s.charCodeAt(i);
    if (c === 0x2e) {
      // No empty part, no leading zero (as net.isIPv4), each part at most 255.
      if (digits === 0 || value > 255 || (digits > 1 && s.charCodeAt(i - digits) === 0x30))
        return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (++digits > 3) return false;
      value = value * 10 + (c - 0x30);
    } else return false;
  }
  return parts === 4;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The UDP socket's address lookup. dgram looks up every destination before each send, even an IP
 * literal (dns.lookup: option checks, an isIP regex and a nextTick per datagram); an address that
 * is already an IP, as every destination of ours is in practice (a Via's received= or the packet
 * source), is handed back at once, and only a host name goes to dns.lookup.
 */
function udpLookup(family: 4 | 6): (host: string, opts: unknown, cb: LookupCallback) => void {
  return (host, _opts, cb) => {
    if (family === 4 ? isIPv4Literal(host) : host.includes(':') && net.isIPv6(host))
      cb(null, host, family);
    else dns.lookup(host, family, cb);
  };
}

const UDP_BUFFER_BYTES = 4 * 1024 * 1024;

/** Binds a UDP socket; port 0 picks a free port, reported in the listener. */
export function bindUdp(l: ListenOptions, handlers: UdpHandlers): Promise<UdpListener> {
  const family = familyOf(l.address);
  const socket = dgram.createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    lookup: udpLookup(family),
  });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(
        new TransportError(`cannot bind udp ${l.address}:${l.port}: ${err.message}`, {
          cause: err,
        }),
      );
    };
    socket.once('error', onError);
    socket.bind(l.port, l.address, () => {
      socket.off('error', onError);
      // Bursts of requests (phones re-registering after an outage, load tests) overflow the
      // default ~200 KiB receive buffer; the kernel caps this at net.core.rmem_max.
      try {
        socket.setRecvBufferSize(UDP_BUFFER_BYTES);
        socket.setSendBufferSize(UDP_BUFFER_BYTES);
      } catch {
        // Not fatal: the kernel keeps its default.
      }
      const listener: UdpListener = {
        protocol: 'udp',
        opts: l,
        socket,
        address: l.address,
        port: socket.address().port,
        family,
      };
      socket.on('error', (err) => handlers.onError(listener, err));
      socket.on('message', (buf, rinfo) => handlers.onDatagram(listener, buf, rinfo));
      resolve(listener);
    });
  });
}

/** Starts a TCP or TLS server. */
export function bindStream(l: ListenOptions, handlers: StreamHandlers): Promise<StreamListener> {
  const protocol = l.protocol === 'tls' ? 'tls' : 'tcp';
  let server: net.Server;
  if (protocol === 'tls') {
    if (!l.tls)
      return Promise.reject(
        new TransportError(`tls listener ${l.address}:${l.port} has no certificate`),
      );
    let options: tls.TlsOptions;
    try {
      options = tlsServerOptions(l.tls, handlers.handshakeTimeoutMs);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new TransportError(String(err)));
    }
    const anyClientCert = l.tls.clientCert === 'any';
    const tlsServer = tls.createServer(options);
    tlsServer.on('connection', (raw: net.Socket) => handlers.onTlsRawConnection(raw));
    tlsServer.on('secureConnection', (socket) => {
      handlers.onTlsHandshakeDone(socket);
      if (anyClientCert && !presentedCertificate(socket)) {
        handlers.onTlsClientError(new Error('peer presented no client certificate'));
        socket.destroy();
        return;
      }
      handlers.onAccepted(listener, socket);
    });
    tlsServer.on('tlsClientError', (err) => handlers.onTlsClientError(err));
    server = tlsServer;
  } else {
    server = net.createServer((socket) => handlers.onAccepted(listener, socket));
  }
  server.maxConnections = handlers.maxConnections;
  const listener: StreamListener = {
    protocol,
    opts: l,
    server,
    address: l.address,
    port: l.port,
    family: familyOf(l.address),
  };
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.close();
      reject(
        new TransportError(`cannot listen ${protocol} ${l.address}:${l.port}: ${err.message}`, {
          cause: err,
        }),
      );
    };
    server.once('error', onError);
    server.listen(l.port, l.address, () => {
      server.off('error', onError);
      server.on('error', (err) => handlers.onError(listener, err));
      const addr = server.address();
      if (addr && typeof addr === 'object') listener.port = addr.port;
      resolve(listener);
    });
  });
}

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

/**
 * The listener to send from: same protocol and address family; preferring the requested local
 * address, then one bound to the destination address itself, then a specific address of the same
 * kind (loopback for loopback), then a wildcard one.
 */
export function pickListener(
  listeners: readonly Listener[],
  protocol: TransportProtocol,
  address: string,
  localAddress?: string,
): Listener | undefined {
  const family = familyOf(address);
  const loopback = isLoopback(address);
  let best: Listener | undefined;
  let bestScore = -1;
  for (const l of listeners) {
    if (l.protocol !== protocol || l.family !== family) continue;
    let score = 0;
    if (localAddress && l.address === localAddress) score = 4;
    else if (l.address === address) score = 3;
    else if (!isWildcard(l.address) && isLoopback(l.address) === loopback) score = 2;
    else if (isWildcard(l.address)) score = 1;
    if (score > bestScore) {
      best = l;
      bestScore = score;
    }
  }
  return best;
}
