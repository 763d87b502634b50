/**
 * The drachtio control port: one ControlConnection per drachtio-srf client, with authentication,
 * routes (per-verb subscriptions, round-robin among clients) and ping (wire spec §1, §2).
 * `sip` and `proxy` commands are handed to the CommandHandler (the SIP core).
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '../logger';
import { FrameDecoder, type FrameError } from './frame-codec';
import { CRLF, newMsgId, safeToken, splitPayload } from './leader';

export const SERVER_VERSION = 'v0.9.4';

export interface CommandHandler {
  onSipCommand(conn: ControlConnection, msgId: string, tokens: string[], sip: string): void;
  onProxyCommand(conn: ControlConnection, msgId: string, tokens: string[], sip: string): void;
  onClientClosed(conn: ControlConnection): void;
}

export interface ControlServerOptions {
  host: string;
  port: number;
  secret: string;
  logger: Logger;
  /** hostports token of the authenticate answer: advertised and local addresses. */
  hostports: () => { external: string; local: string };
}

let nextConnId = 1;

export class ControlConnection {
  readonly id = nextConnId++;
  authenticated = false;
  tags: string[] = [];
  readonly routes = new Set<string>();
  private readonly decoder = new FrameDecoder();
  closed = false;
  /** Frames queued this event-loop turn, written as one chunk by {@link flush}. */
  private pending = '';
  /**
   * Whether every queued frame is pure ASCII (its UTF-8 length equals its length): the usual case
   * for SIP. Such text is written as latin1, a plain byte copy, instead of through the UTF-8
   * encoder, which took a tenth of the worker's time under load.
   */
  private pendingAscii = true;
  private flushScheduled = false;
  private readonly flushNow = (): void => this.flush();

  constructor(
    readonly socket: net.Socket,
    private readonly log: Logger,
  ) {}

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  /**
   * Queues one frame; silently ignored once the connection closed. Frames of one event-loop turn
   * (e.g. every datagram of one poll) leave in a single socket write at the turn's end: one
   * syscall and one read on the client side instead of one per message.
   */
  send(payload: string): void {
    if (this.closed || this.socket.destroyed) return;
    if (this.log.isLevelEnabled('trace'))
      this.log.trace({ conn: this.id, payload }, 'control send');
    const bytes = Buffer.byteLength(payload, 'utf8');
    if (bytes !== payload.length) this.pendingAscii = false;
    this.pending += `${bytes}#${payload}`;
    this.schedule();
  }

  /**
   * Queues one frame of a leader and a SIP message whose UTF-8 length the caller knows (it put
   * that length in the leader): the message is not measured again, and no leader+message string
   * is built and flattened just to be measured; the parts join the turn's chunk as they are.
   */
  sendSip(leader: string, sip: string, sipBytes: number): void {
    if (this.closed || this.socket.destroyed) return;
    if (this.log.isLevelEnabled('trace'))
      this.log.trace({ conn: this.id, payload: `${leader}${CRLF}${sip}` }, 'control send');
    const leaderBytes = Buffer.byteLength(leader, 'utf8');
    if (leaderBytes !== leader.length || sipBytes !== sip.length) this.pendingAscii = false;
    this.pending += `${leaderBytes + 2 + sipBytes}#${leader}${CRLF}${sip}`;
    this.schedule();
  }

  private schedule(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushNow);
    }
  }

  /** Writes the queued frames now. */
  flush(): void {
    this.flushScheduled = false;
    const text = this.pending;
    if (text === '') return;
    const ascii = this.pendingAscii;
    this.pending = '';
    this.pendingAscii = true;
    if (this.socket.destroyed) return;
    this.socket.write(text, ascii ? 'latin1' : 'utf8');
  }

  /** `<uuid>|response|<msgId>|<status>|...tokens[⏎sip]` */
  respond(msgId: string, tokens: string[], sip?: string, sipBytes?: number): void {
    let leader = `${newMsgId()}|response|${msgId}`;
    for (const t of tokens) leader += `|${safeToken(t)}`;
    if (sip === undefined) this.send(leader);
    else this.sendSip(leader, sip, sipBytes ?? Buffer.byteLength(sip, 'utf8'));
  }

  decode(chunk: Buffer): string[] {
    return this.decoder.push(chunk);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}

export class ControlServer extends EventEmitter {
  private server?: net.Server;
  private readonly conns = new Set<ControlConnection>();
  private readonly rr = new Map<string, number>();
  private boundPort = 0;

  constructor(
    private readonly opts: ControlServerOptions,
    private readonly handler: CommandHandler,
  ) {
    super();
  }

  get port(): number {
    return this.boundPort;
  }

  get connections(): ReadonlySet<ControlConnection> {
    return this.conns;
  }

  /** Whether an authenticated client has asked for requests of `verb` (emits 'route' when one does). */
  isRouted(verb: string): boolean {
    const v = verb.toLowerCase();
    return [...this.conns].some((c) => c.authenticated && !c.closed && c.routes.has(v));
  }

  async start(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : this.opts.port;
  }

  async stop(): Promise<void> {
    for (const c of this.conns) {
      c.closed = true;
      c.socket.destroy();
    }
    this.conns.clear();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Picks the client for a new request of `verb` (lower case), round-robin among authenticated
   * clients that routed it (wire spec §2.2).
   */
  pickClient(verb: string): ControlConnection | undefined {
    // Runs for every new request: two walks over the (few) connections instead of a copied and
    // filtered array.
    let count = 0;
    for (const c of this.conns) if (c.authenticated && !c.closed && c.routes.has(verb)) count++;
    if (count === 0) return undefined;
    const n = (this.rr.get(verb) ?? 0) % count;
    this.rr.set(verb, n + 1);
    let i = 0;
    for (const c of this.conns) {
      if (!(c.authenticated && !c.closed && c.routes.has(verb))) continue;
      if (i === n) return c;
      i++;
    }
    return undefined;
  }

  private accept(socket: net.Socket): void {
    const log = this.opts.logger;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 45_000);
    const conn = new ControlConnection(socket, log);
    this.conns.add(conn);
    log.info({ conn: conn.id, remote: socket.remoteAddress }, 'control client connected');
    socket.on('data', (chunk: Buffer) => {
      let payloads: string[];
      try {
        payloads = conn.decode(chunk);
      } catch (err) {
        log.warn(
          { conn: conn.id, err: (err as FrameError).message },
          'malformed control frame, closing',
        );
        conn.close();
        return;
      }
      for (const p of payloads) {
        try {
          this.onPayload(conn, p);
        } catch (err) {
          log.error({ conn: conn.id, err }, 'control command failed');
        }
        if (conn.closed) break;
      }
    });
    const gone = (): void => {
      if (!this.conns.has(conn)) return;
      this.conns.delete(conn);
      conn.closed = true;
      log.info({ conn: conn.id }, 'control client disconnected');
      try {
        this.handler.onClientClosed(conn);
      } catch (err) {
        log.error({ err }, 'cleanup after client disconnect failed');
      }
    };
    socket.on('close', gone);
    socket.on('error', (err) => {
      log.debug({ conn: conn.id, err: err.message }, 'control socket error');
    });
  }

  private onPayload(conn: ControlConnection, payload: string): void {
    const { tokens, sip } = splitPayload(payload);
    const msgId = tokens[0] ?? '';
    const type = tokens[1] ?? '';
    if (this.opts.logger.isLevelEnabled('trace')) {
      this.opts.logger.trace({ conn: conn.id, payload }, 'control recv');
    }
    if (type === 'authenticate') return this.authenticate(conn, msgId, tokens);
    if (type === 'ping') return conn.respond(msgId, ['OK', 'pong']);
    if (!conn.authenticated) {
      // Fix of a drachtio quirk (wire spec §2.1): nothing but authenticate and ping before auth.
      conn.respond(msgId, ['NO', 'not authenticated']);
      conn.close();
      return;
    }
    switch (type) {
      case 'route': {
        const verb = (tokens[2] ?? '').toLowerCase();
        if (verb) conn.routes.add(verb);
        conn.respond(msgId, ['OK']);
        if (verb) this.emit('route', verb);
        return;
      }
      case 'remove_route': {
        // Removes only the named verb (drachtio removes them all; wire spec §10).
        conn.routes.delete((tokens[2] ?? '').toLowerCase());
        conn.respond(msgId, ['OK']);
        return;
      }
      case 'sip':
        return this.handler.onSipCommand(conn, msgId, tokens, sip);
      case 'proxy':
        if (tokens.length < 4) {
          conn.respond(msgId, ['NO', 'invalid proxy command']);
          conn.close();
          return;
        }
        return this.handler.onProxyCommand(conn, msgId, tokens, sip);
      default:
        conn.respond(msgId, ['NO', 'Unknown message type']);
        conn.close();
    }
  }

  private authenticate(conn: ControlConnection, msgId: string, tokens: string[]): void {
    const given = Buffer.from(tokens[2] ?? '', 'utf8');
    const want = Buffer.from(this.opts.secret, 'utf8');
    const ok = given.length === want.length && timingSafeEqual(given, want);
    if (!ok) {
      this.opts.logger.warn(
        { conn: conn.id, remote: conn.remoteAddress },
        'control client gave a wrong secret',
      );
      conn.respond(msgId, ['NO', 'incorrect secret']);
      conn.close();
      return;
    }
    conn.authenticated = true;
    conn.tags = (tokens[3] ?? '').split(',').filter(Boolean);
    const hp = this.opts.hostports();
    conn.respond(msgId, ['OK', hp.external, SERVER_VERSION, hp.local]);
  }
}
