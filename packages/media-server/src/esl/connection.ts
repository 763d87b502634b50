/**
 * One Event Socket TCP connection (either role): frames commands, runs them strictly one at a
 * time so replies go out in command order, writes events the connection subscribed to, and never
 * lets a bad frame or a failing handler take the process down.
 */
import type net from 'node:net';
import type { Logger } from '../logger';
import type { EslCommand } from './command-parser';
import { CommandParser } from './command-parser';
import type { EslEvent } from './event';
import type { HeaderList } from './frames';
import { disconnectNoticeFrame, eventJsonFrame, eventPlainFrame } from './frames';
import type { Subscriptions } from './subscriptions';
import { noSubscriptions, wants } from './subscriptions';

export type CommandHandler = (cmd: EslCommand, conn: EslConnection) => Promise<void> | void;

let nextId = 0;

export class EslConnection {
  readonly id = ++nextId;
  subs: Subscriptions = noSubscriptions;
  private readonly parser = new CommandParser();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly socket: net.Socket,
    private readonly log: Logger,
    private readonly handler: CommandHandler,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'esl socket error'));
    socket.on('close', () => this.onClosed());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Writes one whole frame (frames are never interleaved: each write is a complete frame). */
  write(frame: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(frame);
  }

  /** Writes the event if this connection subscribed to it and its filters let it through. */
  deliver(event: EslEvent): void {
    if (this.closed || !wants(this.subs, event)) return;
    this.write(
      this.subs.format === 'json'
        ? eventJsonFrame(event.headers, event.body)
        : eventPlainFrame(event.headers, event.body),
    );
  }

  /** Disconnect notice (optional extra headers), then close once written. */
  end(extra: HeaderList = []): void {
    if (this.closed) return;
    this.write(disconnectNoticeFrame(extra));
    this.closed = true;
    this.socket.end();
    // A peer that never reads must not keep the socket (and us) alive.
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.fireClose();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
    this.fireClose();
  }

  private onData(chunk: Buffer): void {
    let commands: EslCommand[];
    try {
      commands = this.parser.push(chunk);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'esl: bad input, closing connection');
      this.end();
      return;
    }
    for (const cmd of commands) {
      this.queue = this.queue.then(async () => {
        if (this.closed) return;
        try {
          await this.handler(cmd, this);
        } catch (err) {
          this.log.error({ err, command: cmd.line.split(' ')[0] }, 'esl command failed');
        }
      });
    }
  }

  private onClosed(): void {
    this.closed = true;
    this.fireClose();
  }

  private fireClose(): void {
    const listeners = this.closeListeners.splice(0);
    for (const l of listeners) {
      try {
        l();
      } catch (err) {
        this.log.error({ err }, 'esl close listener failed');
      }
    }
  }
}
