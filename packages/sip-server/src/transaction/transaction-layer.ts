import { EventEmitter } from 'node:events';
import { InvalidStateError } from '../errors';
import { silentLogger, type Logger } from '../logger';
import { branch, makeResponse, ownString, serializeMessage, toTag } from '../message';
import type { SipMessage, SipRequest, SipResponse } from '../message/types';
import { LogLimiter } from '../transport/log-limiter';
import { responseDestination } from '../transport/response-destination';
import type { Destination, ReceiveInfo, SendResult } from '../transport/types';
import type {
  ClientTransactionContext,
  ClientTransactionUser,
  LateResponse,
  TransactionTransport,
} from './client-transaction';
import { systemClock, type Clock } from './clock';
import { InviteClientTransaction } from './invite-client-transaction';
import { InviteServerTransaction } from './invite-server-transaction';
import { AnswerCache } from './answer-cache';
import { ackDialogKey, clientTransactionKey, serverTransactionKey } from './matching';
import { NonInviteClientTransaction } from './non-invite-client-transaction';
import { NonInviteServerTransaction } from './non-invite-server-transaction';
import type { ServerTransactionContext } from './server-transaction';
import {
  resolveTimers,
  type TransactionConfig,
  type TransactionTimerOptions,
  type TransactionTimers,
} from './state-table';
import { ChurnMap } from '../churn-map';
import { RetiredKeys } from './retired-keys';

/** Default of {@link TransactionLayerOptions.maxCompletedTransactions}. */
export const DEFAULT_MAX_COMPLETED_TRANSACTIONS = 200_000;
/** Default of {@link TransactionLayerOptions.maxServerTransactions}. */
export const DEFAULT_MAX_SERVER_TRANSACTIONS = 50_000;

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

type MessageListener = (msg: SipMessage, info: ReceiveInfo) => void;

/** What the layer needs from the transport: TransportLayer satisfies it; tests may fake it. */
export interface TransactionLayerTransport extends TransactionTransport {
  on(event: 'message', listener: MessageListener): unknown;
  off(event: 'message', listener: MessageListener): unknown;
}

export interface TransactionLayerOptions {
  transport: TransactionLayerTransport;
  /** T1 500, T2 4000, T4 5000, timer C 185000, timer D 32000 (ms). */
  timers?: TransactionTimerOptions;
  logger?: Logger;
  clock?: Clock;
  /** Answer every new INVITE with `100 Trying` before it is emitted (default true). */
  autoTrying?: boolean;
  /**
   * Live server transactions held at once (default 50,000): requests not finally answered yet,
   * and INVITE transactions waiting for their ACK. Beyond it new requests are answered
   * `503 Service Unavailable` statelessly, so a request flood cannot grow memory without bound.
   */
  maxServerTransactions?: number;
  /**
   * Finally answered transactions remembered only to answer retransmissions (non-INVITE over
   * UDP for timer J, anything over TCP/TLS for 64·T1), as response bytes + key, a few hundred
   * bytes each (default 200,000). When full, the oldest is forgotten early.
   */
  maxCompletedTransactions?: number;
  /**
   * Bytes of the ring those answers are kept in, off the JS heap (default 640 per entry of
   * `maxCompletedTransactions`); when full, the oldest is forgotten early.
   */
  maxCompletedTransactionBytes?: number;
}

export interface TransactionLayerEvents {
  /** A new request (never ACK); retransmissions are absorbed and not emitted. */
  request: (req: SipRequest, info: ReceiveInfo, txn: ServerTransaction) => void;
  /**
   * An ACK the transactions do not absorb: the first ACK for a 2xx of ours (with the INVITE
   * server transaction), or an ACK that matches nothing (txn undefined; the dialog layer decides).
   */
  ack: (ack: SipRequest, info: ReceiveInfo, txn: ServerTransaction | undefined) => void;
  /** A response that matches no client transaction (e.g. a 2xx retransmission after timer M). */
  strayResponse: (res: SipResponse, info: ReceiveInfo) => void;
}

// Typed events: this interface only narrows EventEmitter's own on/once/off/emit, which the class
// inherits, so the merge adds no member the class lacks.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events, see above.
export interface TransactionLayer {
  on<E extends keyof TransactionLayerEvents>(event: E, listener: TransactionLayerEvents[E]): this;
  once<E extends keyof TransactionLayerEvents>(event: E, listener: TransactionLayerEvents[E]): this;
  off<E extends keyof TransactionLayerEvents>(event: E, listener: TransactionLayerEvents[E]): this;
  emit<E extends keyof TransactionLayerEvents>(
    event: E,
    ...args: Parameters<TransactionLayerEvents[E]>
  ): boolean;
}

/**
 * RFC 3261 §17 transaction layer: matches incoming messages to transactions (§17.1.3, §17.2.3),
 * creates server transactions for new requests, runs client transactions for outgoing requests,
 * and ties ACKs for 2xx (new branch) to the INVITE server transaction that sent the 2xx.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events.
export class TransactionLayer extends EventEmitter {
  readonly timers: TransactionTimers;
  private readonly transport: TransactionLayerTransport;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly autoTrying: boolean;
  private readonly maxServerTransactions: number;
  private readonly limiter: LogLimiter;
  /** Requests dropped or answered statelessly here, by kind. */
  readonly drops = new Map<string, number>();
  private readonly servers = new ChurnMap<ServerTransaction>();
  /**
   * Final answers of transactions that ended: over a reliable transport at once (timers J and I
   * are zero there; a peer that sends the same request again anyway, on a new connection after a
   * failure or from a broken stack, gets the same answer instead of a second one from the
   * application), and non-INVITE over UDP as soon as the final response left (timer J's duty,
   * answering retransmissions, is all that remains). Kept 64·T1.
   */
  private readonly recent: AnswerCache;
  private readonly clients = new ChurnMap<ClientTransaction>();
  /** Client transactions that have their final response and only wait out timer M, D or K. */
  private readonly retiredClients: RetiredKeys<LateResponse>;
  /**
   * INVITE server transactions whose 2xx was ACKed over UDP, until timer L: their keys absorb
   * INVITE retransmissions, their ACK dialog keys ACK retransmissions (RFC 6026 Accepted).
   */
  private readonly retiredInvites: RetiredKeys<true>;
  private readonly retiredAcks: RetiredKeys<true>;
  /** ACK dialog key → INVITE server transaction that sent a 2xx. */
  private readonly accepted = new ChurnMap<ServerTransaction>();
  private acceptedKeys = new WeakMap<ServerTransaction, string>();
  private readonly listener: MessageListener = (msg, info) => this.onMessage(msg, info);
  private readonly clientCtx: ClientTransactionContext;
  private readonly serverCtx: ServerTransactionContext;
  private stopped = false;

  constructor(opts: TransactionLayerOptions) {
    super();
    this.transport = opts.transport;
    this.timers = resolveTimers(opts.timers);
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ component: 'transaction' });
    this.autoTrying = opts.autoTrying ?? true;
    this.maxServerTransactions = opts.maxServerTransactions ?? DEFAULT_MAX_SERVER_TRANSACTIONS;
    this.recent = new AnswerCache(
      opts.maxCompletedTransactions ?? DEFAULT_MAX_COMPLETED_TRANSACTIONS,
      64 * this.timers.t1,
      this.clock,
      opts.maxCompletedTransactionBytes,
    );
    this.limiter = new LogLimiter(this.log);
    this.retiredClients = new RetiredKeys<LateResponse>(this.clock);
    this.retiredInvites = new RetiredKeys<true>(this.clock);
    this.retiredAcks = new RetiredKeys<true>(this.clock);
    this.clientCtx = {
      transport: this.transport,
      clock: this.clock,
      logger: this.log,
      onTerminated: (txn) => {
        if (this.clients.get(txn.key) === txn) this.clients.delete(txn.key);
      },
      onRetire: (txn, ms, late) => {
        if (this.stopped || this.clients.get(txn.key) !== txn) return;
        this.clients.delete(txn.key);
        this.retiredClients.add(txn.key, ms, late, this.clock.now());
      },
    };
    this.serverCtx = {
      transport: this.transport,
      clock: this.clock,
      logger: this.log,
      onTerminated: (txn) => this.forgetServer(txn as ServerTransaction),
      onRetire: (txn) => this.retire(txn as ServerTransaction),
      onAccepted: (txn, req, res) => {
        const found = ackDialogKey(req, toTag(res));
        if (!found) return;
        // Kept until timer L: an own copy, not a view of the request's text.
        const key = ownString(found);
        this.accepted.set(key, txn as ServerTransaction);
        this.acceptedKeys.set(txn as ServerTransaction, key);
      },
      onAck: (txn, ack, info) => this.safeEmit('ack', ack, info, txn as ServerTransaction),
    };
    this.transport.on('message', this.listener);
  }

  /** Server transactions, INVITEs waiting out timer L after their ACK included. */
  get serverTransactionCount(): number {
    return this.servers.size + this.retiredInvites.count(this.clock.now());
  }

  /** Finally answered transactions kept (as bytes) to answer retransmissions. */
  get completedTransactionCount(): number {
    return this.recent.size;
  }

  /** Bytes of the answer ring those take. */
  get completedTransactionBytes(): number {
    return this.recent.bytes;
  }

  /** Client transactions, those waiting out their last timer included. */
  get clientTransactionCount(): number {
    return this.clients.size + this.retiredClients.count(this.clock.now());
  }

  /**
   * Starts a client transaction. The request must already carry its top Via with a fresh
   * `z9hG4bK` branch (and `;rport`). Throws TypeError for ACK (use {@link sendAck}) or a request
   * without branch/CSeq, InvalidStateError for a branch already in use.
   */
  sendRequest(req: SipRequest, dest: Destination, user: ClientTransactionUser): ClientTransaction {
    if (this.stopped) throw new InvalidStateError('transaction layer stopped');
    if (req.method === 'ACK') throw new TypeError('ACK is not a transaction: use sendAck');
    const id = branch(req);
    const found = clientTransactionKey(req);
    if (!id || !found) throw new TypeError('request needs a top Via with a branch, and a CSeq');
    if (this.clients.has(found) || this.retiredClients.get(found, this.clock.now()))
      throw new InvalidStateError(`client transaction ${found} already exists`);
    const key = ownString(found);
    const cfg: TransactionConfig = { reliable: dest.protocol !== 'udp', timers: this.timers };
    const txn =
      req.method === 'INVITE'
        ? new InviteClientTransaction(ownString(id), key, req, dest, cfg, user, this.clientCtx)
        : new NonInviteClientTransaction(ownString(id), key, req, dest, cfg, user, this.clientCtx);
    this.clients.set(key, txn);
    txn.start();
    return txn;
  }

  /** Sends an ACK for a 2xx (its own transaction-less request). */
  sendAck(msg: SipRequest, dest: Destination): Promise<SendResult> {
    return this.transport.send(dest, serializeMessage(msg));
  }

  /** Sends a message outside any transaction (stateless responses, forwarded ACKs). */
  sendStateless(msg: SipMessage, dest: Destination): Promise<SendResult> {
    return this.transport.send(dest, serializeMessage(msg));
  }

  /** The INVITE server transaction a CANCEL refers to (RFC 3261 §9.2). */
  findInviteServerTransaction(cancel: SipRequest): ServerTransaction | undefined {
    const key = serverTransactionKey(cancel, 'INVITE');
    const txn = key ? this.servers.get(key) : undefined;
    return txn instanceof InviteServerTransaction ? txn : undefined;
  }

  /**
   * Whether a CANCEL refers to an INVITE whose 2xx was ACKed and whose transaction the layer
   * keeps until timer L (see {@link findInviteServerTransaction} for one still running).
   */
  isAckedInvite(cancel: SipRequest): boolean {
    const key = serverTransactionKey(cancel, 'INVITE');
    return key !== undefined && this.retiredInvites.get(key, this.clock.now()) !== undefined;
  }

  /**
   * Ends a server transaction that will never be answered (its source is now dropped): no
   * response, no timers, forgotten at once. A retransmission starts a new transaction.
   */
  abandon(txn: ServerTransaction): void {
    if (txn.isFinal) return;
    txn.stop();
    if (this.servers.get(txn.key) === txn) this.servers.delete(txn.key);
  }

  /** Clears every transaction and timer and stops listening. Emits nothing. */
  stop(): void {
    this.stopped = true;
    this.transport.off('message', this.listener);
    for (const txn of this.servers.values()) txn.stop();
    for (const txn of this.clients.values()) txn.stop();
    this.servers.clear();
    this.recent.clear();
    this.clients.clear();
    this.retiredClients.clear();
    this.retiredInvites.clear();
    this.retiredAcks.clear();
    this.accepted.clear();
    this.acceptedKeys = new WeakMap();
  }

  private onMessage(msg: SipMessage, info: ReceiveInfo): void {
    if (this.stopped) return;
    try {
      if (msg.kind === 'request') this.onRequest(msg, info);
      else this.onResponse(msg, info);
    } catch (err) {
      this.log.error({ err }, 'transaction layer failed on incoming message');
    }
  }

  private onRequest(req: SipRequest, info: ReceiveInfo): void {
    if (req.method === 'ACK') {
      this.onAck(req, info);
      return;
    }
    const found = serverTransactionKey(req);
    if (!found) {
      this.drops.set('dropped-no-via', (this.drops.get('dropped-no-via') ?? 0) + 1);
      this.limiter.warn(
        'no-via',
        { method: req.method, source: info.source },
        'request dropped: no usable Via',
      );
      return;
    }
    const existing = this.servers.get(found);
    if (existing) {
      existing.receiveRequest();
      return;
    }
    const now = this.clock.now();
    // An INVITE again after our 2xx was ACKed: absorbed until timer L (RFC 6026 Accepted).
    if (req.method === 'INVITE' && this.retiredInvites.get(found, now)) return;
    const done = this.recent.get(found, now);
    if (done) {
      const dest: Destination = info.connectionId
        ? { ...done.dest, connectionId: info.connectionId }
        : done.dest;
      this.transport.send(dest, done.bytes).catch(() => undefined);
      return;
    }
    if (this.servers.size >= this.maxServerTransactions) {
      this.drops.set('refused-503', (this.drops.get('refused-503') ?? 0) + 1);
      this.limiter.warn(
        'server-txn-limit',
        { limit: this.maxServerTransactions },
        'too many transactions: 503',
      );
      const res = makeResponse(req, 503, 'Service Unavailable', {
        headers: [{ name: 'Retry-After', value: '5' }],
      });
      this.sendStateless(res, responseDestination(res, info)).catch(() => undefined);
      return;
    }
    const cfg: TransactionConfig = {
      reliable: info.source.protocol !== 'udp',
      timers: this.timers,
    };
    // The key outlives the request by 64·T1: an own copy, not a view of the request's text.
    const key = ownString(found);
    const txn =
      req.method === 'INVITE'
        ? new InviteServerTransaction(req, info, key, cfg, this.serverCtx)
        : new NonInviteServerTransaction(req, info, key, cfg, this.serverCtx);
    this.servers.set(key, txn);
    if (req.method === 'INVITE' && this.autoTrying) {
      // RFC 3261 17.2.1: answer at once so the client stops retransmitting.
      txn.respond(makeResponse(req, 100, 'Trying')).catch(() => undefined);
    }
    this.safeEmit('request', req, info, txn);
  }

  private onAck(ack: SipRequest, info: ReceiveInfo): void {
    const key = serverTransactionKey(ack);
    const byBranch = key ? this.servers.get(key) : undefined;
    if (byBranch instanceof InviteServerTransaction) {
      // ACK for a non-2xx (absorbed), or for a 2xx from a peer that reuses the INVITE branch.
      byBranch.receiveAck(ack, info);
      return;
    }
    const dialogKey = ackDialogKey(ack);
    const txn = dialogKey ? this.accepted.get(dialogKey) : undefined;
    if (txn) {
      txn.receiveAck(ack, info);
      return;
    }
    // The ACK again, for a 2xx whose transaction waits out timer L in the layer: absorbed.
    if (dialogKey && this.retiredAcks.get(dialogKey, this.clock.now())) return;
    this.safeEmit('ack', ack, info, undefined);
  }

  private onResponse(res: SipResponse, info: ReceiveInfo): void {
    const key = clientTransactionKey(res);
    const txn = key ? this.clients.get(key) : undefined;
    if (txn) {
      txn.receive(res, info);
      return;
    }
    const late = key ? this.retiredClients.get(key, this.clock.now()) : undefined;
    if (late) late(res, info);
    else this.safeEmit('strayResponse', res, info);
  }

  /**
   * A non-INVITE UDP transaction sent its final response: keep only what timer J needs. An
   * INVITE one has the ACK for its 2xx: keep only its keys until timer L.
   */
  private retire(txn: ServerTransaction): void {
    if (this.stopped || this.servers.get(txn.key) !== txn) return;
    if (txn instanceof InviteServerTransaction) {
      this.retireAcked(txn);
      return;
    }
    const final = txn.finalResponse;
    if (!final) return;
    this.servers.delete(txn.key);
    this.recent.add(txn.key, final.text, final.dest, this.clock.now());
    txn.retire();
  }

  private retireAcked(txn: InviteServerTransaction): void {
    const at = txn.acceptedAt;
    if (at === undefined) return;
    const now = this.clock.now();
    // What is left of timer L varies with the ACK's delay: timer L is the lane for them all.
    const timerL = 64 * this.timers.t1;
    const left = timerL - (now - at);
    if (left <= 0) return;
    this.servers.delete(txn.key);
    this.retiredInvites.add(txn.key, left, true, now, timerL);
    const dialogKey = this.acceptedKeys.get(txn);
    if (dialogKey !== undefined) {
      this.acceptedKeys.delete(txn);
      if (this.accepted.get(dialogKey) === txn) this.accepted.delete(dialogKey);
      this.retiredAcks.add(dialogKey, left, true, now, timerL);
    }
    txn.retire();
  }

  private forgetServer(txn: ServerTransaction): void {
    if (this.servers.get(txn.key) === txn) this.servers.delete(txn.key);
    const final = txn.info.source.protocol !== 'udp' && !this.stopped && txn.finalResponse;
    if (final) this.recent.add(txn.key, final.text, final.dest, this.clock.now());
    const dialogKey = this.acceptedKeys.get(txn);
    if (dialogKey !== undefined) {
      this.acceptedKeys.delete(txn);
      if (this.accepted.get(dialogKey) === txn) this.accepted.delete(dialogKey);
    }
  }

  private safeEmit<E extends keyof TransactionLayerEvents>(
    event: E,
    ...args: Parameters<TransactionLayerEvents[E]>
  ): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'transaction layer listener threw');
    }
  }
}
