import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { InvalidStateError } from '../errors';
import type { Logger } from '../logger';
import { bytesAsText, getHeader, serializeMessage, textAsBytes, topViaOf } from '../message';
import type { SipRequest, SipResponse, Via } from '../message/types';
import { destinationFromVia, responseDestination } from '../transport/response-destination';
import type { Destination, ReceiveInfo, SendResult } from '../transport/types';
import type { TransactionTransport } from './client-transaction';
import type { Clock } from './clock';
import {
  assertNever,
  type ServerEffect,
  type ServerEvent,
  type TerminationReason,
  type TimerName,
  type TransactionConfig,
} from './state-table';
import { TimerSet } from './timer-set';

/** Shared plumbing the TransactionLayer hands every server transaction. */
export interface ServerTransactionContext {
  transport: TransactionTransport;
  clock: Clock;
  logger: Logger;
  onTerminated(txn: ServerTransactionBase<{ kind: string }>, reason: TerminationReason): void;
  /** An INVITE server transaction sent a 2xx: ACKs with its dialog key now belong to it. */
  onAccepted(txn: ServerTransactionBase<{ kind: string }>, req: SipRequest, res: SipResponse): void;
  /**
   * A transaction whose remaining RFC duty is only to answer retransmissions with its final
   * response (non-INVITE Completed over UDP, timer J) sent that response once, or to absorb
   * retransmissions (INVITE Accepted over UDP once the ACK came, timer L): the layer keeps just
   * the key (and the bytes to answer with) until the timer and the transaction ends now (see
   * {@link retire}).
   */
  onRetire?(txn: ServerTransactionBase<{ kind: string }>): void;
  /** The first ACK for our 2xx arrived. */
  onAck(txn: ServerTransactionBase<{ kind: string }>, ack: SipRequest, info: ReceiveInfo): void;
}

/** Any server transaction, as the layer and a transaction's owner see it. */
export type AnyServerTransaction = ServerTransactionBase<{ kind: string }>;

/** Events of a server transaction. */
export interface ServerTransactionEvents {
  terminated: (reason: TerminationReason) => void;
  /** Timer H (non-2xx) or 64·T1 (2xx) passed without an ACK. */
  ackTimeout: () => void;
  /** The transaction user sent no final response in time; the transaction is gone. */
  timeout: () => void;
  transportError: (err: Error) => void;
}

// Typed events: this interface only narrows EventEmitter's own on/once/off/emit, which the class
// inherits, so the merge adds no member the class lacks.
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- a merge repeats the class's type parameters.
export interface ServerTransactionBase<S extends { kind: string }> {
  on<E extends keyof ServerTransactionEvents>(event: E, listener: ServerTransactionEvents[E]): this;
  once<E extends keyof ServerTransactionEvents>(
    event: E,
    listener: ServerTransactionEvents[E],
  ): this;
  off<E extends keyof ServerTransactionEvents>(
    event: E,
    listener: ServerTransactionEvents[E],
  ): this;
  emit<E extends keyof ServerTransactionEvents>(
    event: E,
    ...args: Parameters<ServerTransactionEvents[E]>
  ): boolean;
}

/**
 * Runner for the server reducers: keeps the state and timers, sends the TU's responses to the
 * RFC 3261 §18.2.2 destination, re-sends the last one on retransmitted requests and timer G.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events.
export abstract class ServerTransactionBase<S extends { kind: string }> extends EventEmitter {
  /**
   * The transaction user's record of this request (one owner: the core's record of a request it
   * handed to a client), and what to call when the transaction ends, before `terminated` is
   * emitted. Fields rather than a WeakMap entry and an event listener per transaction: every
   * request makes one.
   */
  owner: unknown;
  onEnd: ((txn: AnyServerTransaction, reason: TerminationReason) => void) | undefined;
  private uuid: string | undefined;
  /** Unique id of this transaction (not the branch: two peers may pick the same branch). */
  get id(): string {
    // Made on first use: only logs read it, and most transactions are never logged.
    this.uuid ??= randomUUID();
    return this.uuid;
  }
  /** The request method (kept once the request itself is let go). */
  readonly method: string;
  private req: SipRequest | undefined;
  private s: S;
  private final = false;
  private stopped = false;
  /**
   * The last response sent and where. A provisional as its serialized Buffer; the final one, which
   * may be kept 64·T1 to answer retransmissions, as latin1 text (a small Buffer is a view of an
   * 8 KiB pool slab and would keep the whole slab).
   */
  private last: { data: Buffer | string; dest: Destination } | undefined;
  private readonly timers: TimerSet;
  private currentAck: { ack: SipRequest; info: ReceiveInfo } | undefined;
  private lastError: Error | undefined;
  private log: Logger | undefined;
  /**
   * The request's Via line and its top element, parsed when the request came (the layer had just
   * read it for the key): a response carrying the same line, as every response built from the
   * request does, goes where that Via says without a parse of its own.
   */
  private reqViaValue: string | undefined;
  private reqVia: Via | undefined;
  /** When an INVITE's 2xx was sent (timer L runs from then). */
  private acceptedAtMs: number | undefined;

  protected constructor(
    request: SipRequest,
    readonly info: ReceiveInfo,
    /** The RFC 3261 §17.2.3 matching key the layer files this transaction under. */
    readonly key: string,
    protected readonly config: TransactionConfig,
    private readonly ctx: ServerTransactionContext,
    initial: (cfg: TransactionConfig) => [S, ServerEffect[]],
  ) {
    super();
    this.req = request;
    this.method = request.method;
    this.reqViaValue = getHeader(request, 'Via');
    this.reqVia = this.reqViaValue === undefined ? undefined : topViaOf(this.reqViaValue);
    this.timers = new TimerSet(ctx.clock, (timer) => this.onTimer(timer));
    const [s, effects] = initial(config);
    this.s = s;
    this.run(effects);
  }

  protected abstract reduce(
    s: S,
    e: ServerEvent,
    now: number,
    cfg: TransactionConfig,
  ): [S, ServerEffect[]];

  get state(): S['kind'] | 'terminated' {
    return this.stopped ? 'terminated' : this.s.kind;
  }

  /**
   * The request, until the final response is sent. What is left of the transaction then (up to
   * 64·T1 of absorbing retransmissions and ACKs) needs only its key, the response's bytes and its
   * timers, so the parsed request is not kept that long.
   */
  get request(): SipRequest | undefined {
    return this.req;
  }

  /** When the 2xx of an INVITE was sent (clock ms); undefined before, and for other answers. */
  get acceptedAt(): number | undefined {
    return this.acceptedAtMs;
  }

  /** A final response has been sent. */
  get isFinal(): boolean {
    return this.final;
  }

  /** The final response as sent (latin1 text of its bytes), and where; undefined before it. */
  get finalResponse(): { text: string; dest: Destination } | undefined {
    const last = this.last;
    if (!this.final || !last) return undefined;
    const text = typeof last.data === 'string' ? last.data : bytesAsText(last.data);
    return { text, dest: last.dest };
  }

  /**
   * Sends a response: any number of 1xx, then one final. Throws InvalidStateError after the
   * final or once terminated. The promise settles with the first transmission. `text`, when
   * given, is `res` already serialized as text (serializeMessageText, body valid UTF-8): the
   * caller needed it too (the echo to the client), so it is not built twice; `wire`, when given,
   * is that text's UTF-8 bytes.
   */
  respond(res: SipResponse, text?: string, wire?: Buffer): Promise<SendResult> {
    let sent: Promise<SendResult> | undefined;
    this.answer(res, text, wire, () => {
      sent = this.transmit();
    });
    return sent ?? Promise.reject(new InvalidStateError('response not sent'));
  }

  /**
   * {@link respond} for a caller that does not wait for the send (the core answering for a
   * client): no promise is made. A failure to send is the transaction's `transportError` as
   * always, and is also handed to `onFailed` (later), as is a response the state did not send.
   * Throws as respond does.
   */
  respondAndForget(
    res: SipResponse,
    text?: string,
    wire?: Buffer,
    onFailed?: (err: Error) => void,
  ): void {
    let sending = false;
    this.answer(res, text, wire, () => {
      sending = true;
      this.transmitThen(onFailed);
    });
    if (!sending && onFailed)
      process.nextTick(onFailed, new InvalidStateError('response not sent'));
  }

  private answer(
    res: SipResponse,
    text: string | undefined,
    wire: Buffer | undefined,
    send: () => void,
  ): void {
    if (this.stopped) throw new InvalidStateError('transaction layer stopped');
    const before = this.s.kind;
    const [s, effects] = this.reduce(
      this.s,
      { type: 'respond', status: res.status },
      this.ctx.clock.now(),
      this.config,
    );
    this.s = s;
    this.logTransition(before, s.kind, `respond ${res.status}`, false);
    if (res.status >= 200) this.final = true;
    const bytes = text === undefined ? serializeMessage(res) : (wire ?? Buffer.from(text, 'utf8'));
    const via = this.reqVia;
    const dest =
      via !== undefined && getHeader(res, 'Via') === this.reqViaValue
        ? destinationFromVia(via, this.info)
        : responseDestination(res, this.info);
    const last: { data: Buffer | string; dest: Destination } = { data: bytes, dest };
    this.last = last;
    if (res.status >= 200 && res.status < 300 && this.method === 'INVITE' && this.req) {
      this.acceptedAtMs = this.ctx.clock.now();
      this.ctx.onAccepted(this, this.req, res);
    }
    this.run(effects, send);
    if (this.final) {
      // From here on only retransmissions of this response and the ACK matching remain.
      // All-ASCII text (its UTF-8 length is its length) is its own latin1 copy: kept as it is.
      last.data = text !== undefined && bytes.length === text.length ? text : bytesAsText(bytes);
      this.req = undefined;
      this.reqVia = undefined;
      this.reqViaValue = undefined;
    }
  }

  /** The request arrived again. */
  receiveRequest(): void {
    this.dispatch({ type: 'request' });
  }

  /** An ACK matched this transaction (by branch, or for a 2xx by dialog key). */
  receiveAck(ack: SipRequest, info: ReceiveInfo): void {
    this.currentAck = { ack, info };
    try {
      this.dispatch({ type: 'ack' });
    } finally {
      this.currentAck = undefined;
    }
    if (!this.stopped && this.ctx.onRetire && this.retirableOnAck(this.s)) this.ctx.onRetire(this);
  }

  /**
   * Ends the transaction early, as if its last timer had fired: the layer has taken over what
   * remains (answering retransmissions with {@link finalResponse}, or absorbing an INVITE's and
   * its ACK's after the ACK came). Emits `terminated`, so owners let go of it at once.
   */
  retire(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.timers.clear();
    this.ctx.onTerminated(this, 'completed');
    this.ended('completed');
  }

  /** Whether the transaction may be handed to the layer once its final response left. */
  protected retirable(): boolean {
    return false;
  }

  /**
   * Whether, with an ACK just in, all that is left in state `s` is absorbing retransmissions
   * until the last timer: the layer takes that over (see TransactionLayer).
   */
  protected retirableOnAck(_s: S): boolean {
    return false;
  }

  /**
   * Whether the last response may still have to be sent again in state `s` (IST: not once the
   * ACK came, as nothing is retransmitted after it). When not, it is let go.
   */
  protected mayResend(_s: S): boolean {
    return true;
  }

  /** Ends the transaction without events (layer shutdown). */
  stop(): void {
    this.stopped = true;
    this.timers.clear();
  }

  private onTimer(timer: TimerName): void {
    try {
      this.dispatch({ type: 'timer', timer });
    } catch (err) {
      this.logger().error({ err, timer }, 'server transaction timer failed');
    }
  }

  private dispatch(e: ServerEvent): void {
    if (this.stopped) return;
    const before = this.s.kind;
    const [s, effects] = this.reduce(this.s, e, this.ctx.clock.now(), this.config);
    this.s = s;
    this.logTransition(before, s.kind, e.type, effects.length === 0);
    this.run(effects);
    if (this.last && this.final && !this.mayResend(s)) this.last = undefined;
  }

  private run(effects: ServerEffect[], send?: () => void): void {
    for (const f of effects) {
      switch (f.type) {
        case 'startTimer':
          this.timers.start(f.timer, f.ms);
          break;
        case 'cancelTimer':
          this.timers.cancel(f.timer);
          break;
        case 'send':
          send?.();
          break;
        case 'retransmit':
          if (this.last) this.transmitThen(undefined);
          break;
        case 'passAck':
          if (this.currentAck) this.ctx.onAck(this, this.currentAck.ack, this.currentAck.info);
          break;
        case 'ackTimeout':
          this.safeEmit('ackTimeout');
          break;
        case 'timeout':
          this.safeEmit('timeout');
          break;
        case 'transportError':
          this.safeEmit('transportError', this.lastError ?? new Error('transport error'));
          break;
        case 'terminated':
          this.timers.clear();
          this.ctx.onTerminated(this, f.reason);
          this.ended(f.reason);
          break;
        default:
          assertNever(f);
      }
    }
  }

  /** Sends the last response; a failure becomes a transportError event (and rejects). */
  private transmit(): Promise<SendResult> {
    const last = this.last;
    if (!last) return Promise.reject(new InvalidStateError('no response to send'));
    const bytes = typeof last.data === 'string' ? textAsBytes(last.data) : last.data;
    const sending = this.ctx.transport.send(last.dest, bytes);
    sending.then(
      (result) => this.sent(last, result),
      (err: unknown) => this.sendFailed(err),
    );
    return sending;
  }

  /** Sends the last response without a promise when the transport can (see sendThen). */
  private transmitThen(onFailed: ((err: Error) => void) | undefined): void {
    const last = this.last;
    if (!last) {
      if (onFailed) process.nextTick(onFailed, new InvalidStateError('no response to send'));
      return;
    }
    const transport = this.ctx.transport;
    if (!transport.sendThen) {
      this.transmit().catch((err: unknown) => onFailed?.(toError(err)));
      return;
    }
    const bytes = typeof last.data === 'string' ? textAsBytes(last.data) : last.data;
    transport.sendThen(last.dest, bytes, (err, result) => {
      if (err !== undefined || result === undefined) {
        const e = err ?? new Error('send failed');
        this.sendFailed(e);
        onFailed?.(e);
      } else this.sent(last, result);
    });
  }

  private sent(last: { data: Buffer | string; dest: Destination }, result: SendResult): void {
    if (result.connectionId && this.last === last)
      last.dest = { ...last.dest, connectionId: result.connectionId };
    if (this.final && !this.stopped && this.ctx.onRetire && this.retirable())
      this.ctx.onRetire(this);
  }

  private sendFailed(err: unknown): void {
    this.lastError = toError(err);
    this.logger().debug({ err }, 'send failed');
    try {
      this.dispatch({ type: 'transportError' });
    } catch (e) {
      this.logger().error({ err: e }, 'server transaction transport error handling failed');
    }
  }

  /** The transaction is over: its owner's callback, then the `terminated` event. */
  private ended(reason: TerminationReason): void {
    const onEnd = this.onEnd;
    if (onEnd) {
      this.onEnd = undefined;
      try {
        onEnd(this, reason);
      } catch (err) {
        this.logger().error({ err }, 'server transaction owner failed at its end');
      }
    }
    this.safeEmit('terminated', reason);
  }

  private safeEmit<E extends keyof ServerTransactionEvents>(
    event: E,
    ...args: Parameters<ServerTransactionEvents[E]>
  ): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.logger().error({ err, event }, 'server transaction listener threw');
    }
  }

  /** Debug log of a transition; skips building the per-transaction child logger when off. */
  private logTransition(before: string, after: string, event: unknown, idle: boolean): void {
    if (!this.ctx.logger.isLevelEnabled('debug')) return;
    if (before !== after) this.logger().debug({ from: before, to: after, event }, 'transition');
    else if (idle) this.logger().debug({ state: after, event }, 'absorbed');
  }

  protected logger(): Logger {
    this.log ??= this.ctx.logger.child({ txn: this.id, method: this.method });
    return this.log;
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
