import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { StreamFramer } from '../message';
import { TransportError } from '../errors';
import { normalizeAddress } from './received';
import type { HostPort, TransportProtocol } from './types';

export interface StreamConnectionLimits {
  maxMessageBytes: number;
  maxBufferedBytes: number;
  /** Close a connection that has not completed a single message within this time. */
  firstMessageTimeoutMs: number;
  /** Close a connection with no complete message or keep-alive within this time. */
  idleTimeoutMs: number;
}

export interface StreamConnectionHandlers {
  /** One complete framed message. */
  onMessage(conn: StreamConnection, data: Buffer): void;
  /** A framing error or a buffer overflow; the connection is being closed. */
  onFramingError(conn: StreamConnection, reason: string): void;
  onClose(conn: StreamConnection): void;
}

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

/**
 * One TCP or TLS connection, accepted or opened by us. Frames the byte stream into SIP messages,
 * answers RFC 5626 double-CRLF keep-alives with a single CRLF, and closes itself when idle,
 * slow (no complete message within the first-message timeout) or over its buffer limits.
 */
export class StreamConnection {
  readonly id = randomUUID();
  readonly remote: HostPort;
  /** The listening address this connection belongs to (reported as ReceiveInfo.local). */
  readonly local: { address: string; port: number };
  private readonly framer: StreamFramer;
  private timer: NodeJS.Timeout | undefined;
  private messages = 0;
  private closed = false;

  constructor(
    readonly protocol: Exclude<TransportProtocol, 'udp'>,
    readonly socket: Socket,
    local: { address: string; port: number },
    readonly outbound: boolean,
    private readonly limits: StreamConnectionLimits,
    private readonly handlers: StreamConnectionHandlers,
  ) {
    this.remote = {
      protocol,
      address: normalizeAddress(socket.remoteAddress ?? ''),
      port: socket.remotePort ?? 0,
    };
    this.local = local;
    this.framer = new StreamFramer({
      maxBytes: limits.maxMessageBytes,
      maxHeaderBytes: limits.maxMessageBytes,
      maxBodyBytes: limits.maxMessageBytes,
      onPing: () => this.onPing(),
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.destroy());
    socket.on('end', () => this.destroy());
    socket.on('close', () => this.destroy());
    this.armTimer(outbound ? limits.idleTimeoutMs : limits.firstMessageTimeoutMs);
  }

  get isOpen(): boolean {
    return !this.closed && !this.socket.destroyed && this.socket.writable;
  }

  /** Writes one message; resolves once handed to the kernel, rejects with TransportError. */
  write(data: Buffer): Promise<void> {
    if (!this.isOpen) return Promise.reject(new TransportError(`connection ${this.id} is closed`));
    // A peer that does not read must not make us buffer without bound.
    if (this.socket.writableLength + data.length > this.limits.maxBufferedBytes) {
      this.destroy();
      return Promise.reject(new TransportError(`connection ${this.id}: peer not reading`));
    }
    if (this.messages > 0 || this.outbound) this.armTimer(this.limits.idleTimeoutMs);
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => {
        if (err)
          reject(new TransportError(`write to ${this.id} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.socket.destroy();
    this.handlers.onClose(this);
  }

  private armTimer(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.destroy(), ms);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      const frames = this.framer.push(chunk);
      if (this.framer.bufferedBytes > this.limits.maxBufferedBytes) {
        this.fail('too much unframed data');
        return;
      }
      for (const frame of frames) {
        if (this.closed) return;
        this.messages++;
        this.armTimer(this.limits.idleTimeoutMs);
        this.handlers.onMessage(this, frame);
      }
      // A framing error after complete messages is only thrown by the next push.
      if (frames.length > 0 && !this.closed) this.framer.push(EMPTY);
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
  }

  /** RFC 5626 §4.4.1: a CRLFCRLF ping is answered with CRLF and counts as activity. */
  private onPing(): void {
    if (this.socket.writable) this.socket.write(CRLF);
    if (this.messages > 0 || this.outbound) this.armTimer(this.limits.idleTimeoutMs);
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.handlers.onFramingError(this, reason);
    this.destroy();
  }
}
