import type { Logger } from '../logger';
import { bytesAsText, serializeMessage, textAsBytes } from '../message';
import type { SipRequest, SipResponse } from '../message/types';
import type { Destination, ReceiveInfo, SendResult } from '../transport/types';
import { buildAckForNon2xx } from './ack';
import type { Clock } from './clock';
import type {
  ClientEffect,
  ClientEvent,
  TerminationReason,
  TimerName,
  TransactionConfig,
} from './state-table';
import { assertNever } from './state-table';
import { TimerSet } from './timer-set';

/** What a transaction needs from the transport: TransportLayer satisfies it. */
export interface TransactionTransport {
  send(dest: Destination, data: Buffer): Promise<SendResult>;
  /**
   * The same send reporting to a callback (called once, later) instead of a promise: no promise
   * and no microtasks for a send nobody awaits (every response of a server transaction).
   * Optional: without it, `send` is used.
   */
  sendThen?(dest: Destination, data: Buffer, done: SendCallback): void;
}

/** How {@link TransactionTransport.sendThen} reports: an error, or the result. */
export type SendCallback = (err: Error | undefined, result: SendResult | undefined) => void;

/** The transaction user of a client transaction (the dialog layer, the wire controller, …). */
export interface ClientTransactionUser {
  /** Every response the TU should see: 1xx (100 too), the final, and each 2xx retransmission. */
  onResponse(res: SipResponse, info: ReceiveInfo): void;
  /** Timer B/F (no answer) or timer C (provisional but no final: the TU should CANCEL). */
  onTimeout(): void;
  onTransportError(err: Error): void;
}

/** Shared plumbing the TransactionLayer hands every client transaction. */
export interface ClientTransactionContext {
  transport: TransactionTransport;
  clock: Clock;
  logger: Logger;
  onTerminated(txn: ClientTransactionBase<{ kind: string }>, reason: TerminationReason): void;
  /**
   * The transaction has its final response and only waits out its last timer (`ms`): the layer
   * keeps the key and `late` for that time instead of the transaction (see RetiredKeys).
   */
  onRetire?(txn: ClientTransactionBase<{ kind: string }>, ms: number, late: LateResponse): void;
}

/**
 * What a transaction does in the state it retires in until its last timer: pass each 2xx up
 * (INVITE Accepted), ACK each non-2xx again (INVITE Completed), or absorb (non-INVITE Completed).
 */
export type Retirement = 'pass-2xx' | 'ack-again' | 'absorb';

/** What a retired client transaction does with a response that still matches it. */
export type LateResponse = (res: SipResponse, info: ReceiveInfo) => void;

const ABSORB: LateResponse = () => undefined;

/** The user of a client transaction that has nothing more to tell it. */
const NO_USER: ClientTransactionUser = {
  onResponse: () => undefined,
  onTimeout: () => undefined,
  onTransportError: () => undefined,
};

/**
 * Runner for the client reducers: keeps the state, owns the timers, sends and retransmits the
 * request, builds the ACK for non-2xx finals, and calls the transaction user.
 *
 * Once a final response arrives the request is never sent again: it and its bytes are let go, the
 * ACK for a non-2xx is kept as text to repeat for each retransmission of that response, and the
 * transaction user is let go unless 2xx retransmissions must still reach it (INVITE, RFC 6026
 * Accepted).
 */
export abstract class ClientTransactionBase<S extends { kind: string }> {
  /** The top Via branch. */
  readonly id: string;
  /** The request method (kept once the request itself is let go). */
  readonly method: string;
  /** The last provisional response, until the final one arrives. */
  lastProvisional?: SipResponse;
  protected s: S;
  private req: SipRequest | undefined;
  /** The request as sent, while it may be retransmitted. */
  private bytes: Buffer | undefined;
  /** The ACK sent for a non-2xx final (ICT), repeated for its retransmissions. */
  private ackText: string | undefined;
  private user: ClientTransactionUser;
  private dest: Destination;
  private readonly timers: TimerSet;
  private current: { res: SipResponse; info: ReceiveInfo } | undefined;
  private lastError: Error | undefined;
  private log: Logger | undefined;
  private pendingEffects: ClientEffect[] | undefined;
  private stopped = false;
  /** Handed to the layer after its final response (see {@link retireAs}): no more events. */
  private retired = false;
  /** The duration of the timer the final response's effects started: the one left to wait out. */
  private finalTimerMs: number | undefined;

  protected constructor(
    branch: string,
    /** The RFC 3261 §17.1.3 matching key the layer files this transaction under. */
    readonly key: string,
    request: SipRequest,
    dest: Destination,
    protected readonly config: TransactionConfig,
    user: ClientTransactionUser,
    private readonly ctx: ClientTransactionContext,
    initial: (cfg: TransactionConfig) => [S, ClientEffect[]],
  ) {
    this.id = branch;
    this.req = request;
    this.method = request.method;
    this.user = user;
    this.dest = dest;
    this.bytes = serializeMessage(request);
    this.timers = new TimerSet(ctx.clock, (timer) => this.onTimer(timer));
    const [s, effects] = initial(config);
    this.s = s;
    this.pendingEffects = effects;
  }

  /**
   * Whether state `s`, reached by a final response, only waits out one last timer (the one the
   * reducer started with it) whose duty the layer can take over, and which.
   */
  protected abstract retireAs(s: S): Retirement | undefined;

  protected abstract reduce(
    s: S,
    e: ClientEvent,
    now: number,
    cfg: TransactionConfig,
  ): [S, ClientEffect[]];

  /**
   * The RFC state. Once the layer has taken over the last timer (see {@link retireAs}), the state
   * it was taken over in ('accepted' or 'completed'), which is the transaction's state until that
   * timer; nothing reaches the object after it.
   */
  get state(): S['kind'] | 'terminated' {
    return this.stopped ? 'terminated' : this.s.kind;
  }

  /** The request, until a final response arrives. */
  get request(): SipRequest | undefined {
    return this.req;
  }

  /** Sends the request and starts the timers. Called once by the TransactionLayer. */
  start(): void {
    const effects = this.pendingEffects ?? [];
    this.pendingEffects = undefined;
    this.run(effects);
  }

  /** A response matched to this transaction. */
  receive(res: SipResponse, info: ReceiveInfo): void {
    if (res.status < 200 && this.bytes !== undefined) this.lastProvisional = res;
    this.current = { res, info };
    this.finalTimerMs = undefined;
    try {
      this.dispatch({ type: 'response', status: res.status });
    } finally {
      this.current = undefined;
    }
    if (res.status >= 200 && this.bytes !== undefined) this.afterFinal();
  }

  /**
   * Drops what only the sending of the request needed (see the class comment), and hands what
   * remains to the layer when only a last timer is left.
   */
  private afterFinal(): void {
    this.bytes = undefined;
    this.lastProvisional = undefined;
    this.req = undefined;
    const user = this.user;
    const onRetire = this.ctx.onRetire;
    const ms = this.finalTimerMs;
    const how = this.stopped ? undefined : this.retireAs(this.s);
    if (!how || !onRetire || ms === undefined) {
      if (this.s.kind !== 'accepted') this.user = NO_USER;
      return;
    }
    this.retired = true;
    this.timers.clear();
    this.user = NO_USER;
    onRetire(this, ms, this.lateResponse(how, user));
  }

  /** What the layer does with a response matching the retired transaction (no `this` kept). */
  private lateResponse(then: Retirement, user: ClientTransactionUser): LateResponse {
    if (then === 'absorb') return ABSORB;
    const { logger, transport } = this.ctx;
    const branch = this.id;
    if (then === 'pass-2xx') {
      return (res, info) => {
        if (res.status < 200 || res.status >= 300) return;
        try {
          user.onResponse(res, info);
        } catch (err) {
          logger.error({ err, branch }, 'transaction user callback threw');
        }
      };
    }
    const ack = this.ackText;
    const dest = this.dest;
    if (ack === undefined) return ABSORB;
    return (res) => {
      if (res.status < 300) return;
      transport.send(dest, textAsBytes(ack)).catch((err: unknown) => {
        logger.debug({ err, branch }, 'ACK could not be sent again');
      });
    };
  }

  /** Ends the transaction without telling the TU (layer shutdown). */
  stop(): void {
    this.stopped = true;
    this.timers.clear();
  }

  private onTimer(timer: TimerName): void {
    try {
      this.dispatch({ type: 'timer', timer });
    } catch (err) {
      this.logger().error({ err, timer }, 'client transaction timer failed');
    }
  }

  private dispatch(e: ClientEvent): void {
    if (this.stopped || this.retired) return;
    const before = this.s.kind;
    const [s, effects] = this.reduce(this.s, e, this.ctx.clock.now(), this.config);
    this.s = s;
    this.logTransition(before, s.kind, e, effects.length === 0);
    this.run(effects);
  }

  private run(effects: ClientEffect[]): void {
    for (const f of effects) {
      switch (f.type) {
        case 'startTimer':
          this.timers.start(f.timer, f.ms);
          if (this.current !== undefined) this.finalTimerMs = f.ms;
          break;
        case 'cancelTimer':
          this.timers.cancel(f.timer);
          break;
        case 'transmit':
          if (this.bytes) this.transmit(this.bytes);
          break;
        case 'sendAck':
          // The same ACK for every retransmission of the final (same To tag, RFC 3261 17.1.1.3).
          if (this.ackText === undefined && this.current && this.req)
            this.ackText = bytesAsText(
              serializeMessage(buildAckForNon2xx(this.req, this.current.res)),
            );
          if (this.ackText !== undefined) this.transmit(textAsBytes(this.ackText));
          break;
        case 'passUp':
          if (this.current) {
            const { res, info } = this.current;
            this.callUser(() => this.user.onResponse(res, info));
          }
          break;
        case 'timeout':
          this.callUser(() => this.user.onTimeout());
          break;
        case 'transportError': {
          const err = this.lastError ?? new Error('transport error');
          this.callUser(() => this.user.onTransportError(err));
          break;
        }
        case 'terminated':
          this.timers.clear();
          this.ctx.onTerminated(this, f.reason);
          break;
        default:
          assertNever(f);
      }
    }
  }

  private transmit(data: Buffer): void {
    const transport = this.ctx.transport;
    // Through the callback form when the transport has one: no promise per request sent.
    if (transport.sendThen) {
      transport.sendThen(this.dest, data, (err, result) => {
        if (err !== undefined || result === undefined) this.sendFailed(err);
        else this.sent(result);
      });
      return;
    }
    transport.send(this.dest, data).then(
      (result) => this.sent(result),
      (err: unknown) => this.sendFailed(err),
    );
  }

  private sent(result: SendResult): void {
    // Retransmissions and the ACK go over the same connection (RFC 3261 §17.1.1.3).
    if (result.connectionId) this.dest = { ...this.dest, connectionId: result.connectionId };
  }

  private sendFailed(err: unknown): void {
    this.lastError = err instanceof Error ? err : new Error(String(err ?? 'send failed'));
    this.logger().debug({ err }, 'send failed');
    try {
      this.dispatch({ type: 'transportError' });
    } catch (e) {
      this.logger().error({ err: e }, 'client transaction transport error handling failed');
    }
  }

  private callUser(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger().error({ err }, 'transaction user callback threw');
    }
  }

  /** Debug log of a transition; skips building the per-transaction child logger when off. */
  private logTransition(before: string, after: string, event: unknown, idle: boolean): void {
    if (!this.ctx.logger.isLevelEnabled('debug')) return;
    if (before !== after) this.logger().debug({ from: before, to: after, event }, 'transition');
    else if (idle) this.logger().debug({ state: after, event }, 'ignored');
  }

  protected logger(): Logger {
    this.log ??= this.ctx.logger.child({ branch: this.id, method: this.method });
    return this.log;
  }
}
