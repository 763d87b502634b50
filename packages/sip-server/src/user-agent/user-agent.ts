/**
 * A small in-process SIP user agent on top of the server's own transport and transaction layers,
 * for programs that terminate calls themselves (the media server) instead of serving a drachtio
 * client. It hands every new request to `onRequest` with a `respond` primitive, answers CANCEL
 * itself (200, then 487 to the INVITE), passes ACKs for our 2xx up, and sends requests as a UAC.
 */
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { makeResponse, randomTag } from '../message';
import type { SipHeader, SipRequest, SipResponse } from '../message/types';
import { TransactionLayer } from '../transaction';
import type { ServerTransaction } from '../transaction';
import type { TransactionTimerOptions } from '../transaction';
import dgram from 'node:dgram';
import { TransportLayer } from '../transport';
import type { Destination, ReceiveInfo, TransportProtocol } from '../transport/types';

export interface SipUserAgentOptions {
  host: string;
  /** 0 picks a free port (UDP first, TCP reuses it). */
  port: number;
  protocols?: Array<'udp' | 'tcp'>;
  logger?: Logger;
  timers?: TransactionTimerOptions;
  /** Every new request except ACK and CANCEL. Must eventually call `respond` with a final. */
  onRequest(req: IncomingSipRequest): void;
  /** ACKs for our 2xx (and stray ACKs), in-dialog. */
  onAck?(ack: SipRequest, info: ReceiveInfo): void;
}

export interface RespondOptions {
  reason?: string;
  headers?: SipHeader[];
  body?: Buffer;
}

/** A request received by the user agent, with what is needed to answer it. */
export interface IncomingSipRequest {
  readonly message: SipRequest;
  readonly info: ReceiveInfo;
  /** The To tag this side uses in every response to this request (dialog-creating or not). */
  readonly localTag: string;
  /** True once a final response was sent (also after a CANCEL was answered with 487). */
  readonly answered: boolean;
  /** Sends a response; a second final is ignored (logged). */
  respond(status: number, opts?: RespondOptions): Promise<void>;
  /** Called once if a CANCEL for this INVITE arrives before the final response. */
  onCancel(listener: () => void): void;
}

export interface SipUserAgent {
  readonly addresses: Array<{ protocol: TransportProtocol; address: string; port: number }>;
  /** Sends a request (with Via branch already set) and resolves its final response. */
  request(req: SipRequest, dest: Destination): Promise<SipResponse>;
  /** Sends an ACK for a 2xx (no transaction). */
  sendAck(ack: SipRequest, dest: Destination): Promise<void>;
  stop(): Promise<void>;
}

/** Starts transport + transactions on `host:port` and returns the user agent. */
export async function startSipUserAgent(opts: SipUserAgentOptions): Promise<SipUserAgent> {
  const log = (opts.logger ?? silentLogger).child({ component: 'sip-ua' });
  const protocols = opts.protocols ?? ['udp', 'tcp'];
  const transport = await startTransport(opts.host, opts.port, protocols, log);
  const transactions = new TransactionLayer({ transport, timers: opts.timers, logger: log });
  const pending = new Map<ServerTransaction, IncomingRequestImpl>();

  transactions.on('request', (req, info, txn) => {
    try {
      if (req.method === 'CANCEL') {
        const invite = transactions.findInviteServerTransaction(req);
        const target = invite ? pending.get(invite) : undefined;
        void txn
          .respond(makeResponse(req, target ? 200 : 481, undefined, { toTag: randomTag() }))
          .catch(() => undefined);
        target?.cancel();
        return;
      }
      const incoming = new IncomingRequestImpl(req, info, txn, log, () => pending.delete(txn));
      if (req.method === 'INVITE') pending.set(txn, incoming);
      opts.onRequest(incoming);
    } catch (err) {
      log.error({ err, method: req.method }, 'request handler failed');
    }
  });
  transactions.on('ack', (ack, info) => {
    try {
      opts.onAck?.(ack, info);
    } catch (err) {
      log.error({ err }, 'ACK handler failed');
    }
  });

  const addresses = transport
    .listenAddresses()
    .map((l) => ({ protocol: l.protocol, address: l.address, port: l.port }));
  let stopped: Promise<void> | undefined;
  return {
    addresses,
    request: (req, dest) =>
      new Promise<SipResponse>((resolve, reject) => {
        try {
          transactions.sendRequest(req, dest, {
            onResponse: (res) => {
              if (res.status >= 200) resolve(res);
            },
            onTimeout: () => reject(new Error(`${req.method} timed out`)),
            onTransportError: (err) => reject(err),
          });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    sendAck: async (ack, dest) => {
      await transactions.sendAck(ack, dest);
    },
    stop: () => {
      stopped ??= (async () => {
        pending.clear();
        transactions.stop();
        await transport.stop();
      })();
      return stopped;
    },
  };
}

/**
 * Binds the listeners. With port 0 and both UDP and TCP, one free port is picked for both (a SIP
 * address is one port for every transport), retried a few times if TCP finds it taken.
 */
async function startTransport(
  host: string,
  port: number,
  protocols: Array<'udp' | 'tcp'>,
  log: Logger,
): Promise<TransportLayer> {
  const shared = port === 0 && protocols.length > 1;
  for (let attempt = 1; ; attempt++) {
    const p = shared ? await freeUdpPort(host) : port;
    const transport = new TransportLayer({
      listen: protocols.map((protocol) => ({ protocol, address: host, port: p })),
      logger: log,
    });
    try {
      await transport.start();
      return transport;
    } catch (err) {
      if (!shared || attempt >= 5) throw err;
    }
  }
}

function freeUdpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

class IncomingRequestImpl implements IncomingSipRequest {
  readonly localTag = randomTag();
  private final = false;
  private cancelListener: (() => void) | undefined;

  constructor(
    readonly message: SipRequest,
    readonly info: ReceiveInfo,
    private readonly txn: ServerTransaction,
    private readonly log: Logger,
    private readonly done: () => void,
  ) {}

  get answered(): boolean {
    return this.final;
  }

  async respond(status: number, opts: RespondOptions = {}): Promise<void> {
    if (this.final) {
      this.log.debug({ status, method: this.message.method }, 'second final response ignored');
      return;
    }
    if (status >= 200) {
      this.final = true;
      this.done();
    }
    const res = makeResponse(this.message, status, opts.reason, {
      toTag: status === 100 ? undefined : this.localTag,
      headers: opts.headers,
      body: opts.body,
    });
    try {
      await this.txn.respond(res);
    } catch (err) {
      this.log.warn({ err, status }, 'response not sent');
    }
  }

  onCancel(listener: () => void): void {
    this.cancelListener = listener;
  }

  cancel(): void {
    if (this.final) return;
    void this.respond(487);
    this.cancelListener?.();
  }
}
