import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type tls from 'node:tls';
import { TransportError } from '../errors';
import { silentLogger, type Logger } from '../logger';
import {
  makeResponse,
  parseMessage,
  randomTag,
  reasonPhrase,
  serializeMessage,
  toTag,
} from '../message';
import type { SipMessage, SipParseErrorInfo } from '../message/types';
import { openStream } from './connect';
import { LogLimiter } from './log-limiter';
import {
  bindStream,
  bindUdp,
  isWildcard,
  pickListener,
  type Listener,
  type StreamHandlers,
  type StreamListener,
  type UdpHandlers,
  type UdpListener,
} from './listeners';
import { applyReceived, normalizeAddress } from './received';
import { StreamConnection, type StreamConnectionLimits } from './stream-connection';
import {
  secureContextFor,
  type TlsCredentials,
  type TlsServerSettings,
} from './tls-server-options';
import type {
  Destination,
  HostPort,
  ListenAddress,
  ReceiveInfo,
  SendResult,
  TransportLayerEvents,
  TransportProtocol,
} from './types';

/** One address to listen on. */
export interface ListenOptions {
  protocol: TransportProtocol;
  address: string;
  /** 0 picks a free port; `listenAddresses()` reports the real one after `start()`. */
  port: number;
  /** Advertised in Contact and `hostports` instead of `address` (NAT). */
  externalAddress?: string;
  /** Certificate, key and client-certificate policy of a TLS listener. */
  tls?: TlsServerSettings;
}

export interface TransportLimits {
  /** Largest message accepted, datagram or framed (default 65535). */
  maxMessageBytes: number;
  /** Open TCP/TLS connections, both directions (default 4096). */
  maxConnections: number;
  /**
   * Connections accepted from one address at once (default 512): one source (a flood of
   * half-open connections) cannot take the whole table, phones behind one NAT still fit.
   */
  maxConnectionsPerAddress: number;
  /** A connection with no complete message or keep-alive for this long is closed (5 min). */
  idleTimeoutMs: number;
  /** An accepted connection that has not completed a message in this time is closed (30 s). */
  firstMessageTimeoutMs: number;
  /** Unframed input or unsent output held per connection (default 2 × maxMessageBytes). */
  maxBufferedBytesPerConnection: number;
  /** Outgoing TCP connect / TLS handshake timeout (default 10 s). */
  connectTimeoutMs: number;
}

export interface TransportLayerOptions {
  listen: ListenOptions[];
  logger?: Logger;
  limits?: Partial<TransportLimits>;
  /**
   * Decides, before any parsing, whether bytes from a source are looked at at all (a blocked
   * address is dropped silently and costs nothing more). Replaceable later with setAdmission().
   */
  admission?: Admission;
  /** Outgoing TLS: certificate checking (default on) and extra trusted CAs. */
  tlsClient?: { rejectUnauthorized?: boolean; ca?: string | Buffer | Array<string | Buffer> };
}

/** True to accept what a source sends, false to drop it unread. */
export type Admission = (source: ReceiveInfo['source']) => boolean;

/** Optional hints for {@link TransportLayer.send}. */
export interface SendOptions {
  /** Prefer the listener bound to this local address. */
  localAddress?: string;
}

/**
 * SIP over UDP, TCP and TLS (RFC 3261 §18). Receives and parses messages, stamps rport/received on
 * requests, answers unparsable but answerable requests with 400/413/505, reuses connections in both
 * directions, and bounds what hostile peers can make it hold (connection cap, per-connection
 * buffers, idle and first-message timers).
 */
export class TransportLayer extends EventEmitter<{
  [E in keyof TransportLayerEvents]: Parameters<TransportLayerEvents[E]>;
}> {
  private readonly log: Logger;
  private readonly limits: TransportLimits;
  private admission: Admission | undefined;
  /** Accepted connections open now, by remote address. */
  private readonly perAddress = new Map<string, number>();
  private readonly limiter: LogLimiter;
  /** Messages dropped or answered statelessly here, by kind (`dropped-malformed`, ...). */
  readonly drops = new Map<string, number>();
  private readonly bound: Listener[] = [];
  private readonly connections = new Map<string, StreamConnection>();
  /** `protocol|address|port` of the peer → newest open connection to it. */
  private readonly byRemote = new Map<string, StreamConnection>();
  private readonly connecting = new Map<string, Promise<StreamConnection>>();
  private readonly pendingSockets = new Set<net.Socket>();
  /** Accepted TLS sockets still in the handshake, by `address|port` of the peer. */
  private readonly handshaking = new Map<string, { raw: net.Socket; timer: NodeJS.Timeout }>();
  private readonly udpHandlers: UdpHandlers;
  private readonly streamHandlers: StreamHandlers;
  private started = false;
  private stopping = false;

  constructor(private readonly opts: TransportLayerOptions) {
    super();
    this.log = (opts.logger ?? silentLogger).child({ component: 'transport' });
    const given = opts.limits ?? {};
    const pick = (name: keyof TransportLimits, fallback: number): number => {
      const v = given[name];
      return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;
    };
    const maxMessageBytes = pick('maxMessageBytes', 65535);
    this.admission = opts.admission;
    this.limits = {
      maxMessageBytes,
      maxConnections: pick('maxConnections', 4096),
      maxConnectionsPerAddress: pick('maxConnectionsPerAddress', 512),
      idleTimeoutMs: pick('idleTimeoutMs', 5 * 60_000),
      firstMessageTimeoutMs: pick('firstMessageTimeoutMs', 30_000),
      maxBufferedBytesPerConnection: pick('maxBufferedBytesPerConnection', 2 * maxMessageBytes),
      connectTimeoutMs: pick('connectTimeoutMs', 10_000),
    };
    this.limiter = new LogLimiter(this.log);
    this.udpHandlers = {
      onDatagram: (l, buf, rinfo) => this.safely(() => this.onDatagram(l, buf, rinfo)),
      onError: (l, err) => this.log.warn({ err, port: l.port }, 'udp socket error'),
    };
    this.streamHandlers = {
      maxConnections: this.limits.maxConnections,
      handshakeTimeoutMs: this.limits.firstMessageTimeoutMs,
      onAccepted: (l, socket) => this.safely(() => this.onAccepted(l, socket)),
      onTlsRawConnection: (raw) => this.safely(() => this.onTlsRawConnection(raw)),
      onTlsHandshakeDone: (socket) => this.safely(() => this.handshakeDone(socket)),
      onTlsClientError: (err) =>
        this.limiter.warn('tls-handshake', { err: err.message }, 'tls handshake failed'),
      onError: (l, err) => this.log.warn({ err, port: l.port }, 'listener error'),
    };
  }

  /** Binds every listener; on any failure closes those already bound and rejects. */
  async start(): Promise<void> {
    if (this.started) throw new TransportError('transport already started');
    this.started = true;
    this.stopping = false;
    try {
      for (const l of this.opts.listen) {
        this.bound.push(
          l.protocol === 'udp'
            ? await bindUdp(l, this.udpHandlers)
            : await bindStream(l, this.streamHandlers),
        );
      }
    } catch (err) {
      await this.stop();
      throw err instanceof TransportError
        ? err
        : new TransportError(`listen failed: ${String(err)}`, { cause: err });
    }
    for (const l of this.bound)
      this.log.info({ protocol: l.protocol, address: l.address, port: l.port }, 'listening');
  }

  /** Closes listeners, connections and timers. Safe to call more than once. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const socket of this.pendingSockets) socket.destroy();
    this.pendingSockets.clear();
    for (const { raw, timer } of this.handshaking.values()) {
      clearTimeout(timer);
      raw.destroy();
    }
    this.handshaking.clear();
    for (const conn of [...this.connections.values()]) conn.destroy();
    const closing = this.bound.splice(0).map(
      (l) =>
        new Promise<void>((resolve) => {
          try {
            if (l.protocol === 'udp') l.socket.close(() => resolve());
            else l.server.close(() => resolve());
          } catch {
            resolve(); // Already closed.
          }
        }),
    );
    await Promise.all(closing);
    this.started = false;
  }

  listenAddresses(): ListenAddress[] {
    return this.bound.map((l) => ({
      protocol: l.protocol,
      address: l.address,
      port: l.port,
      advertisedAddress: l.opts.externalAddress ?? l.address,
    }));
  }

  /**
   * Replaces the certificate (and client CAs) of every TLS listener without closing anything:
   * connections made from now on get the new one, open ones keep theirs. Throws TransportError,
   * changing nothing, when the pair is unusable.
   */
  reloadTls(credentials: TlsCredentials): number {
    secureContextFor(credentials);
    let count = 0;
    for (const l of this.bound) {
      if (l.protocol !== 'tls') continue;
      (l.server as tls.Server).setSecureContext({
        cert: credentials.cert,
        key: credentials.key,
        ...(credentials.ca ? { ca: credentials.ca } : {}),
      });
      count++;
    }
    this.log.info({ listeners: count }, 'tls certificate reloaded');
    return count;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Whether a stream connection with this id is open. */
  hasConnection(connectionId: string): boolean {
    return this.connections.get(connectionId)?.isOpen ?? false;
  }

  /**
   * Sends one message. UDP goes out of the listening socket; TCP/TLS reuse `dest.connectionId`, or
   * any open connection to the peer, or connect. Rejects with TransportError.
   */
  send(dest: Destination, data: Buffer, options: SendOptions = NO_OPTIONS): Promise<SendResult> {
    // Not async: a UDP send (every response of ours) costs the one promise sendUdp makes.
    try {
      if (this.stopping || !this.started) throw new TransportError('transport is not running');
      if (this.listenerCount('traffic') > 0) this.emit('traffic', 'out', data, dest);
      if (dest.protocol === 'udp') return this.sendUdp(dest, data, options);
      return this.sendStream(dest, data, options);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * {@link send} reporting to `done` (once, never synchronously) instead of a promise: a UDP
   * datagram costs no promise at all.
   */
  sendThen(
    dest: Destination,
    data: Buffer,
    done: (err: Error | undefined, result: SendResult | undefined) => void,
    options: SendOptions = NO_OPTIONS,
  ): void {
    if (dest.protocol !== 'udp' || this.stopping || !this.started) {
      this.send(dest, data, options).then(
        (result) => done(undefined, result),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err)), undefined),
      );
      return;
    }
    if (this.listenerCount('traffic') > 0) this.emit('traffic', 'out', data, dest);
    const l = pickListener(this.bound, 'udp', dest.address, options.localAddress);
    if (!l || l.protocol !== 'udp') {
      const err = new TransportError(`no udp listener for ${dest.address}`);
      process.nextTick(done, err, undefined);
      return;
    }
    if (data.length > this.limits.maxMessageBytes) {
      const err = new TransportError(`message of ${data.length} bytes too large for udp`);
      process.nextTick(done, err, undefined);
      return;
    }
    const failed = (err: Error): TransportError =>
      new TransportError(`udp send to ${dest.address}:${dest.port} failed: ${err.message}`, {
        cause: err,
      });
    try {
      l.socket.send(data, dest.port, dest.address, (err) => {
        if (err) done(failed(err), undefined);
        else done(undefined, (l.sent ??= { local: { address: l.address, port: l.port } }));
      });
    } catch (err) {
      process.nextTick(
        done,
        failed(err instanceof Error ? err : new Error(String(err))),
        undefined,
      );
    }
  }

  private async sendStream(
    dest: Destination,
    data: Buffer,
    options: SendOptions,
  ): Promise<SendResult> {
    const conn = await this.streamFor(dest, options);
    await conn.write(data);
    return {
      connectionId: conn.id,
      local: {
        address: conn.socket.localAddress ?? conn.local.address,
        port: conn.socket.localPort ?? conn.local.port,
      },
    };
  }

  // ------------------------------------------------------------------------------------------
  // Receiving.

  private onDatagram(l: UdpListener, buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const info: ReceiveInfo = {
      source: { protocol: 'udp', address: normalizeAddress(rinfo.address), port: rinfo.port },
      local: { address: l.address, port: l.port },
      bytes: buf.length,
    };
    // RFC 5626 §4.4.1: CRLF keep-alives on UDP are ignored.
    if (isLineBreaksOnly(buf)) return;
    this.onBytes(buf, info, undefined);
  }

  /**
   * Whether an accepted connection from `raw`'s address may stay: not from a source the PBX drops
   * (a blocked address gets no connection at all), and within the per-address limit. Counts it
   * until it closes.
   */
  private admitConnection(raw: net.Socket, protocol: 'tcp' | 'tls'): boolean {
    const address = normalizeAddress(raw.remoteAddress ?? '');
    const source = { protocol, address, port: raw.remotePort ?? 0 };
    if (this.admission && !this.admission(source)) {
      this.count('dropped-blocked-connection');
      this.limiter.warn(
        'blocked-connection',
        { source: address },
        'connection closed: source not admitted',
      );
      raw.destroy();
      return false;
    }
    const open = this.perAddress.get(address) ?? 0;
    if (open >= this.limits.maxConnectionsPerAddress) {
      this.count('dropped-connection-limit-per-address');
      this.limiter.warn(
        `conn-limit-address-${protocol}`,
        { source: address, limit: this.limits.maxConnectionsPerAddress },
        'connection refused: per-address limit reached',
      );
      raw.destroy();
      return false;
    }
    this.perAddress.set(address, open + 1);
    raw.once('close', () => {
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n > 0) this.perAddress.set(address, n);
      else this.perAddress.delete(address);
    });
    return true;
  }

  /** A TCP connection to a TLS listener: bounded in number and in handshake time. */
  private onTlsRawConnection(raw: net.Socket): void {
    if (
      this.stopping ||
      this.connections.size + this.handshaking.size >= this.limits.maxConnections
    ) {
      this.limiter.warn(
        'conn-limit-tls',
        { limit: this.limits.maxConnections },
        'connection refused: limit reached',
      );
      raw.destroy();
      return;
    }
    if (!this.admitConnection(raw, 'tls')) return;
    const key = `${normalizeAddress(raw.remoteAddress ?? '')}|${raw.remotePort ?? 0}`;
    const timer = setTimeout(() => raw.destroy(), this.limits.firstMessageTimeoutMs);
    this.handshaking.set(key, { raw, timer });
    raw.once('close', () => {
      const entry = this.handshaking.get(key);
      if (entry?.raw === raw) {
        clearTimeout(entry.timer);
        this.handshaking.delete(key);
      }
    });
  }

  private handshakeDone(socket: tls.TLSSocket): void {
    const key = `${normalizeAddress(socket.remoteAddress ?? '')}|${socket.remotePort ?? 0}`;
    const entry = this.handshaking.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.handshaking.delete(key);
  }

  private onAccepted(l: StreamListener, socket: net.Socket): void {
    if (this.stopping || this.connections.size >= this.limits.maxConnections) {
      this.limiter.warn(
        `conn-limit-${l.protocol}`,
        { limit: this.limits.maxConnections },
        'connection refused: limit reached',
      );
      socket.destroy();
      return;
    }
    // A TLS socket was counted as its raw connection (onTlsRawConnection).
    if (l.protocol === 'tcp' && !this.admitConnection(socket, 'tcp')) return;
    const conn = this.adopt(l.protocol, socket, { address: l.address, port: l.port }, false);
    this.log.debug({ connectionId: conn.id, remote: conn.remote }, 'connection accepted');
  }

  private adopt(
    protocol: 'tcp' | 'tls',
    socket: net.Socket,
    local: { address: string; port: number },
    outbound: boolean,
  ): StreamConnection {
    const limits: StreamConnectionLimits = {
      maxMessageBytes: this.limits.maxMessageBytes,
      maxBufferedBytes: this.limits.maxBufferedBytesPerConnection,
      firstMessageTimeoutMs: this.limits.firstMessageTimeoutMs,
      idleTimeoutMs: this.limits.idleTimeoutMs,
    };
    const conn = new StreamConnection(protocol, socket, local, outbound, limits, {
      onMessage: (c, data) =>
        this.safely(() =>
          this.onBytes(
            data,
            { source: c.remote, local: c.local, connectionId: c.id, bytes: data.length },
            c,
          ),
        ),
      onFramingError: (c, reason) =>
        this.malformed(reason, { source: c.remote, local: c.local, connectionId: c.id, bytes: 0 }),
      onClose: (c) => this.safely(() => this.onConnectionClosed(c)),
    });
    this.connections.set(conn.id, conn);
    this.byRemote.set(remoteKey(conn.remote), conn);
    return conn;
  }

  private onConnectionClosed(conn: StreamConnection): void {
    this.connections.delete(conn.id);
    const key = remoteKey(conn.remote);
    if (this.byRemote.get(key) === conn) {
      this.byRemote.delete(key);
      // Another open connection to the same peer takes its place.
      for (const other of this.connections.values()) {
        if (other.isOpen && remoteKey(other.remote) === key) {
          this.byRemote.set(key, other);
          break;
        }
      }
    }
    this.log.debug({ connectionId: conn.id }, 'connection closed');
    this.emit('connectionClosed', conn.id);
  }

  /** Replaces the admission check (the PBX installs its blocked-address list after start-up). */
  setAdmission(admission: Admission | undefined): void {
    this.admission = admission;
  }

  private onBytes(buf: Buffer, info: ReceiveInfo, conn: StreamConnection | undefined): void {
    if (this.admission && !this.admission(info.source)) {
      this.count('dropped-blocked-source');
      this.limiter.warn(
        'blocked-source',
        { source: info.source },
        'message dropped: source not admitted',
      );
      this.emit('refused', info);
      return;
    }
    const result = parseMessage(buf, { maxBytes: this.limits.maxMessageBytes });
    if (!result.ok) {
      this.onParseError(result.error, info, conn);
      return;
    }
    let msg: SipMessage = result.message;
    if (msg.kind === 'request') msg = applyReceived(msg, info.source);
    if (this.log.isLevelEnabled('trace')) {
      this.log.trace(
        { source: info.source, connectionId: info.connectionId, sip: buf.toString('utf8') },
        'recv',
      );
    }
    if (this.listenerCount('traffic') > 0) this.emit('traffic', 'in', buf, info.source);
    this.emit('message', msg, info);
  }

  private onParseError(
    error: SipParseErrorInfo,
    info: ReceiveInfo,
    conn: StreamConnection | undefined,
  ): void {
    this.malformed(error.reason, info);
    const req = error.answerable;
    if (!req || req.kind !== 'request' || req.method === 'ACK') return;
    const reason = error.status === 400 ? error.reason : reasonPhrase(error.status);
    const res = makeResponse(req, error.status, reason, toTag(req) ? {} : { toTag: randomTag() });
    const data = serializeMessage(res);
    // Stateless answer straight back to the packet source (same connection for streams).
    const sending = conn
      ? conn.write(data)
      : this.sendUdp(info.source, data, { localAddress: info.local.address });
    sending.catch((err: unknown) =>
      this.log.debug({ err, source: info.source }, 'could not answer malformed request'),
    );
  }

  private count(kind: string): void {
    this.drops.set(kind, (this.drops.get(kind) ?? 0) + 1);
  }

  private malformed(reason: string, info: ReceiveInfo): void {
    this.count('malformed');
    this.limiter.warn(
      `malformed-${info.source.protocol}`,
      { reason, source: info.source },
      'malformed message',
    );
    this.emit('malformed', reason, info);
  }

  // ------------------------------------------------------------------------------------------
  // Sending.

  private sendUdp(dest: HostPort, data: Buffer, options: SendOptions): Promise<SendResult> {
    const l = pickListener(this.bound, 'udp', dest.address, options.localAddress);
    if (!l || l.protocol !== 'udp') {
      return Promise.reject(new TransportError(`no udp listener for ${dest.address}`));
    }
    if (data.length > this.limits.maxMessageBytes) {
      return Promise.reject(
        new TransportError(`message of ${data.length} bytes too large for udp`),
      );
    }
    return new Promise((resolve, reject) => {
      const failed = (err: Error): void =>
        reject(
          new TransportError(`udp send to ${dest.address}:${dest.port} failed: ${err.message}`, {
            cause: err,
          }),
        );
      try {
        l.socket.send(data, dest.port, dest.address, (err) => {
          if (err) failed(err);
          // One result per listener, shared by its sends (nobody changes a result).
          else resolve((l.sent ??= { local: { address: l.address, port: l.port } }));
        });
      } catch (err) {
        failed(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  private async streamFor(dest: Destination, options: SendOptions): Promise<StreamConnection> {
    if (dest.connectionId) {
      const conn = this.connections.get(dest.connectionId);
      if (conn?.isOpen) return conn;
    }
    const key = remoteKey({
      protocol: dest.protocol,
      address: normalizeAddress(dest.address),
      port: dest.port,
    });
    const existing = this.byRemote.get(key);
    if (existing?.isOpen) return existing;
    let pending = this.connecting.get(key);
    if (!pending) {
      pending = this.connect(dest, options).finally(() => this.connecting.delete(key));
      this.connecting.set(key, pending);
    }
    return pending;
  }

  private connect(dest: Destination, options: SendOptions): Promise<StreamConnection> {
    const protocol = dest.protocol as 'tcp' | 'tls';
    if (this.connections.size + this.pendingSockets.size >= this.limits.maxConnections) {
      return Promise.reject(new TransportError('connection limit reached'));
    }
    const l = pickListener(this.bound, protocol, dest.address, options.localAddress);
    const local = l ? { address: l.address, port: l.port } : { address: '', port: 0 };
    const localAddress = l && !isWildcard(l.address) ? l.address : undefined;
    const opening = openStream({
      protocol,
      host: dest.address,
      port: dest.port,
      ...(localAddress ? { localAddress } : {}),
      timeoutMs: this.limits.connectTimeoutMs,
      ...(this.opts.tlsClient ? { tlsClient: this.opts.tlsClient } : {}),
    });
    this.pendingSockets.add(opening.socket);
    return opening.ready.then(
      (socket) => {
        this.pendingSockets.delete(socket);
        if (this.stopping) {
          socket.destroy();
          throw new TransportError('transport stopped');
        }
        const conn = this.adopt(protocol, socket, local, true);
        this.log.debug({ connectionId: conn.id, remote: conn.remote }, 'connection opened');
        return conn;
      },
      (err: unknown) => {
        this.pendingSockets.delete(opening.socket);
        throw err;
      },
    );
  }

  /** Runs socket callback work; nothing may throw out of a socket callback. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'transport handler failed');
    }
  }
}

const NO_OPTIONS: SendOptions = {};

function remoteKey(h: HostPort): string {
  return `${h.protocol}|${h.address}|${h.port}`;
}

/** A datagram of nothing but CR/LF bytes: a keep-alive. */
function isLineBreaksOnly(buf: Buffer): boolean {
  for (const b of buf) if (b !== 0x0d && b !== 0x0a) return false;
  return true;
}
