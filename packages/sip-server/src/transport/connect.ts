import net from 'node:net';
import tls from 'node:tls';
import { TransportError } from '../errors';

export interface OpenStreamOptions {
  protocol: 'tcp' | 'tls';
  host: string;
  port: number;
  localAddress?: string;
  timeoutMs: number;
  /** Outgoing TLS: certificate checking (default on) and extra trusted CAs. */
  tlsClient?: { rejectUnauthorized?: boolean; ca?: string | Buffer | Array<string | Buffer> };
}

/**
 * Opens an outgoing TCP connection or TLS session. `socket` is available at once (so a shutdown
 * can destroy it); `ready` resolves when it is usable and rejects with TransportError on error or
 * timeout, leaving the socket destroyed.
 */
export function openStream(o: OpenStreamOptions): {
  socket: net.Socket;
  ready: Promise<net.Socket>;
} {
  const local = o.localAddress ? { localAddress: o.localAddress } : {};
  let socket: net.Socket;
  if (o.protocol === 'tls') {
    socket = tls.connect({
      host: o.host,
      port: o.port,
      ...local,
      ...(net.isIP(o.host) ? {} : { servername: o.host }),
      rejectUnauthorized: o.tlsClient?.rejectUnauthorized ?? true,
      ...(o.tlsClient?.ca ? { ca: o.tlsClient.ca } : {}),
    });
  } else {
    socket = net.connect({ host: o.host, port: o.port, ...local });
  }
  const readyEvent = o.protocol === 'tls' ? 'secureConnect' : 'connect';
  const ready = new Promise<net.Socket>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.off(readyEvent, done);
      socket.off('close', closed);
    };
    const fail = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(
        new TransportError(`${o.protocol} connect to ${o.host}:${o.port} failed: ${err.message}`, {
          cause: err,
        }),
      );
    };
    const closed = (): void => fail(new Error('closed before ready'));
    const done = (): void => {
      cleanup();
      resolve(socket);
    };
    const timer = setTimeout(() => fail(new Error('connect timeout')), o.timeoutMs);
    socket.once('error', fail);
    socket.once('close', closed);
    socket.once(readyEvent, done);
  });
  return { socket, ready };
}
