/**
 * The SIP core: glues the transaction layer to the control clients. Incoming network traffic is
 * handled in incoming.ts, client commands in commands.ts; both work on the state held here.
 */
import type { Logger } from '../logger';
import type { SipMessage, SipRequest, SipResponse } from '../message/types';
import { ownString, serializeMessageText } from '../message';
import type { ReceiveInfo, ListenAddress, HostPort } from '../transport/types';
import type { TransactionLayer, ServerTransaction } from '../transaction';
import type { AnyServerTransaction } from '../transaction/server-transaction';
import { DialogStore, type Dialog } from '../dialog/dialog';
import type { ControlConnection, ControlServer } from '../wire/control-server';
import { CRLF, stackTime, uniqueId } from '../wire/leader';
import type { IncomingRecord, OutgoingRecord } from './records';
import { ConnectionRegistry } from './connection-registry';
import { LogLimiter } from '../transport/log-limiter';
import { ChurnMap } from '../churn-map';

/**
 * Sends a response on a server transaction without ever throwing: the transaction may have
 * ended (or the layer stopped) while the client was still deciding.
 */
export function respondSafely(
  txn: ServerTransaction,
  res: SipResponse,
  log?: Logger,
  text?: string,
  wire?: Buffer,
): void {
  try {
    txn.respondAndForget(res, text, wire, log ? notSentLogger(log) : undefined);
  } catch (err) {
    log?.debug({ err: String(err) }, 'response not sent');
  }
}

/** Per logger, the one function that logs a response not sent (no closure per response). */
const notSentLoggers = new WeakMap<Logger, (err: Error) => void>();

function notSentLogger(log: Logger): (err: Error) => void {
  let f = notSentLoggers.get(log);
  if (f === undefined) {
    f = (err) => log.debug({ err: String(err) }, 'response not sent');
    notSentLoggers.set(log, f);
  }
  return f;
}

/** Failed-dialog markers kept at most (a flood of failing calls must not grow the map). */
export const MAX_FAILED_DIALOGS = 10_000;

export interface CoreOptions {
  logger: Logger;
  transactions: TransactionLayer;
  listen: () => ListenAddress[];
  t1: number;
  /** Answer OPTIONS with 200 when no client routes `options` (drachtio answers 503). */
  optionsAutoAnswer: boolean;
  /** Session timer default when the INVITE asks without naming a refresher. */
  sessionTimerDefaultRefresher: 'none' | 'uac' | 'uas';
  /** Smallest session interval accepted (RFC 4028 Min-SE), seconds; 90 unless a test lowers it. */
  minSe: number;
  cdrs: boolean;
  /** Option tags accepted in Require/Proxy-Require (lower case); others get 420. */
  supportedOptionTags: readonly string[];
  /** Passes on in-dialog requests of dialogs we record-routed as a proxy (proxy/relay.ts). */
  relay: RouteRelay;
}

/**
 * Relaying of requests whose top Route names us. Implemented in proxy/, which sits above core/;
 * server.ts plugs it in so the core does not import upward.
 */
export interface RouteRelay {
  /** Takes over a request no dialog matched; false leaves it to normal handling. */
  request(core: SipCore, req: SipRequest, info: ReceiveInfo, txn: ServerTransaction): boolean;
  /** Forwards an ACK no dialog matched; false leaves it to normal handling. */
  ack(core: SipCore, ack: SipRequest, info: ReceiveInfo): boolean;
}

/** A server transaction the proxy owns (wire spec §4.8): CANCELs for it go to the proxy. */
export interface ProxiedTransaction {
  cancel(cancel: SipRequest, info: ReceiveInfo, txn: ServerTransaction): void;
}

export class SipCore {
  readonly dialogs = new DialogStore();
  readonly incoming = new ChurnMap<IncomingRecord>();
  /** The one timer answering requests no client answered in time (see incoming.ts armGuard). */
  guardSweep: NodeJS.Timeout | undefined;
  /** Set by {@link stop}. */
  stopped = false;
  /** Called when the transaction of a request handed to a client ends (see incoming.ts). */
  onIncomingEnded: ((txn: AnyServerTransaction) => void) | undefined;
  readonly outgoing = new ChurnMap<OutgoingRecord>();
  /** The incoming INVITE/SUBSCRIBE whose answer created a dialog (PRACK and UPDATE look it up). */
  readonly creatingRequest = new WeakMap<Dialog, IncomingRecord>();
  /**
   * INVITE server transactions finally answered for a client, still absorbing retransmissions:
   * the id of the dialog their 2xx created ('' for none), all a late CANCEL needs (wire spec §5.3).
   */
  readonly answeredInvites = new WeakMap<ServerTransaction, string>();
  /** INVITE server transactions handed to the proxy, for the CANCEL that may follow. */
  readonly proxied = new WeakMap<ServerTransaction, ProxiedTransaction>();
  /** Dialog ids of UAC INVITEs that failed recently: the client's ACK for them gets a clear NOK. */
  readonly failedDialogs = new Map<string, number>();
  readonly connections = new ConnectionRegistry();
  control!: ControlServer;
  readonly log: Logger;
  readonly supportedTags: ReadonlySet<string>;
  /** Whether a source is still admitted (the PBX's blocked list); unset admits everyone. */
  admits: ((source: HostPort) => boolean) | undefined;
  /** Requests the core refused or dropped before any application saw them, by reason. */
  readonly refusals = new Map<string, number>();
  private readonly limiter: LogLimiter;

  constructor(readonly opts: CoreOptions) {
    this.log = opts.logger;
    this.supportedTags = new Set(opts.supportedOptionTags.map((t) => t.toLowerCase()));
    this.limiter = new LogLimiter(this.log);
  }

  /** Counts and logs (at most once a second per kind) a request answered by the core itself. */
  refused(status: number, why: string, method: string, info: ReceiveInfo): void {
    const key = `refused-${status}`;
    this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
    this.limiter.warn(key, { status, why, method, source: info.source }, 'request refused');
  }

  /** Counts and logs (rate-limited) a message dropped without an answer. */
  dropped(kind: string, why: string, info: ReceiveInfo): void {
    const key = `dropped-${kind}`;
    this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
    this.limiter.warn(key, { why, source: info.source }, 'message dropped');
  }

  get transactions(): TransactionLayer {
    return this.opts.transactions;
  }

  listen(): ListenAddress[] {
    return this.opts.listen();
  }

  newTxnId(): string {
    return uniqueId();
  }

  /** Sends a `sip` message from the network (or an unsolicited one) to a client. */
  deliver(
    conn: ControlConnection,
    msg: SipMessage,
    from: HostPort,
    txnId: string,
    dialogId: string,
    opts: { source?: 'network' | 'application'; received?: ReceiveInfo['local'] } = {},
  ): void {
    const text = serializeMessageText(msg);
    const bytes = Buffer.byteLength(text);
    let leader = `${uniqueId()}|sip|${opts.source ?? 'network'}|${bytes}|${from.protocol}|${from.address}|${from.port}|${stackTime()}|${txnId}|${dialogId}|`;
    if (opts.received) leader += `${opts.received.address}|${opts.received.port}|`;
    conn.sendSip(leader, text, bytes);
  }

  /** Echo of a request we sent for the client (wire spec §4.1). */
  echoRequest(
    conn: ControlConnection,
    msgId: string,
    req: SipRequest,
    to: HostPort,
    txnId: string,
  ): void {
    const text = serializeMessageText(req);
    const bytes = Buffer.byteLength(text);
    conn.respond(
      msgId,
      [
        'OK',
        'application',
        String(bytes),
        to.protocol,
        to.address,
        String(to.port),
        stackTime(),
        txnId,
        'Msg sent:',
        '',
      ],
      text,
      bytes,
    );
  }

  /**
   * Echo of a response we sent for the client (wire spec §4.1); `serialized` if already
   * serialized, with its UTF-8 length when known.
   */
  echoResponse(
    conn: ControlConnection,
    msgId: string,
    res: SipResponse,
    to: HostPort,
    txnId: string,
    dialogId: string,
    serialized?: string,
    serializedBytes?: number,
  ): void {
    const text = serialized ?? serializeMessageText(res);
    const bytes =
      serialized !== undefined && serializedBytes !== undefined
        ? serializedBytes
        : Buffer.byteLength(text);
    conn.respond(
      msgId,
      [
        'OK',
        'application',
        String(bytes),
        to.protocol,
        to.address,
        String(to.port),
        stackTime(),
        txnId,
        dialogId,
        '',
        'Msg sent:',
        '',
      ],
      text,
      bytes,
    );
  }

  /** Clears every timer this core started (server stop). */
  stop(): void {
    this.stopped = true;
    if (this.guardSweep !== undefined) clearTimeout(this.guardSweep);
    this.guardSweep = undefined;
    for (const rec of this.incoming.values()) {
      rec.guardAt = undefined;
      if (rec.reliable?.timer) clearTimeout(rec.reliable.timer);
      rec.final = true;
    }
    this.incoming.clear();
    this.outgoing.clear();
    for (const d of [...this.dialogs.all()]) this.dialogs.remove(d);
  }

  /**
   * Remembers a failed UAC INVITE's dialog id for 64·T1. The map is in insertion order, which is
   * time order, so expired markers are dropped from its front (O(1) each, never a scan of the
   * whole map), and beyond {@link MAX_FAILED_DIALOGS} the oldest go early.
   */
  rememberFailedDialog(id: string): void {
    const now = Date.now();
    this.failedDialogs.delete(id);
    this.failedDialogs.set(ownString(id), now);
    for (const [k, t] of this.failedDialogs) {
      if (now - t <= 64 * this.opts.t1 && this.failedDialogs.size <= MAX_FAILED_DIALOGS) break;
      this.failedDialogs.delete(k);
    }
  }

  /** Picks a client for a new request, or undefined when none routed the method. */
  pickClient(method: string): ControlConnection | undefined {
    return this.control.pickClient(method.toLowerCase());
  }

  /** CDR events (wire spec §2.4), when enabled and a client routed the kind. */
  cdr(
    kind: 'attempt' | 'start' | 'stop',
    source: 'network' | 'application',
    extra: string | undefined,
    msg: SipMessage,
  ): void {
    if (!this.opts.cdrs) return;
    const conn = this.control.pickClient(`cdr:${kind}`);
    if (!conn) return;
    const text = serializeMessageText(msg);
    const tokens = [uniqueId(), `cdr:${kind}`, source, stackTime()];
    if (extra !== undefined) tokens.push(extra);
    conn.send(`${tokens.join('|')}${CRLF}${text}`);
  }
}
