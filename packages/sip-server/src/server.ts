/**
 * Wiring of the embedded drachtio-compatible SIP server: transports → transactions → SIP core,
 * and the control port drachtio-srf connects to.
 */
import type { Logger } from './logger';
import { silentLogger } from './logger';
import { TransportLayer } from './transport';
import { TransactionLayer } from './transaction';
import type { ListenAddress, TransportProtocol } from './transport/types';
import type { TlsCredentials, TlsServerSettings } from './transport/tls-server-options';
import { ControlServer } from './wire/control-server';
import { SipCore } from './core/sip-core';
import { commandHandler } from './core/commands';
import { handleAck, handleRequest } from './core/incoming';
import { localAddressFor, hostPortText } from './core/addressing';
import { proxyCommand, relayAck, relayRequest } from './proxy';
import { DEFAULT_SUPPORTED_OPTION_TAGS } from './core/request-checks';
import { SourceBlocks, type SourceBlocksUpdate } from './source-blocks';

export interface SipServerOptions {
  sip?: {
    host?: string;
    port?: number;
    /** Plain transports on `port`; default both. */
    protocols?: Array<'udp' | 'tcp'>;
    tlsPort?: number;
    /** Certificate, key, and client certificates asked of phones (mutual TLS). */
    tls?: TlsServerSettings;
    /** Address advertised in Contact/Via and hostports instead of the bound one (NAT). */
    externalAddress?: string;
  };
  control?: { host?: string; port?: number; secret: string };
  timers?: { t1?: number; t2?: number; t4?: number; timerC?: number };
  /** Answer OPTIONS with 200 when no app routes `options` (drachtio answers 503). */
  optionsAutoAnswer?: boolean;
  sessionTimerDefaultRefresher?: 'none' | 'uac' | 'uas';
  /** RFC 4028 Min-SE in seconds (default 90); tests lower it to see expiry quickly. */
  minSessionExpires?: number;
  /**
   * Option tags the server and its application support. A request whose Require or Proxy-Require
   * names any other tag is answered `420 Bad Extension` with `Unsupported` before an application
   * sees it. Default: `100rel`, `replaces`, `timer`.
   */
  supportedOptionTags?: string[];
  /**
   * Bounds on transaction memory. `maxServerTransactions` (default 50,000): requests in progress
   * at once; beyond it new requests get a stateless `503` (Retry-After 5).
   * `maxCompletedTransactions` (default 200,000): answered requests remembered as response bytes
   * to answer retransmissions (timer J, 64·T1); beyond it the oldest are forgotten early.
   * `maxCompletedTransactionBytes` (default 640 per completed transaction): the bytes they are
   * kept in, off the JS heap; beyond it, too, the oldest are forgotten early.
   */
  limits?: {
    maxServerTransactions?: number;
    maxCompletedTransactions?: number;
    maxCompletedTransactionBytes?: number;
  };
  /** Emit cdr:attempt/start/stop to clients that route them. Default true. */
  cdrs?: boolean;
  logger?: Logger;
  /** Drop everything from a source before parsing (e.g. addresses blocked by the registrar). */
  admission?: (source: { protocol: TransportProtocol; address: string; port: number }) => boolean;
  /**
   * Outgoing TLS connections (to a trunk provider): certificate checking (default on) and the CAs
   * trusted (given CAs replace Node's defaults, so pass `tls.rootCertificates` too to add to them).
   */
  tlsClient?: { rejectUnauthorized?: boolean; ca?: string | Buffer | Array<string | Buffer> };
}

export interface SipServer extends AsyncDisposable {
  readonly control: { host: string; port: number };
  readonly sipAddresses: Array<{ protocol: TransportProtocol; address: string; port: number }>;
  /** Counts for tests and the bench: live dialogs and requests in flight. */
  stats(): {
    dialogs: number;
    incoming: number;
    outgoing: number;
    serverTransactions: number;
    /** Answered requests kept as response bytes to answer their retransmissions. */
    completedTransactions: number;
    /** Bytes of the answer ring those take (off the JS heap). */
    completedTransactionBytes: number;
    clientTransactions: number;
    /** Open TCP and TLS connections, both directions. */
    connections: number;
    /**
     * Requests answered by the server itself before any application (`refused-416`,
     * `refused-420`) and messages dropped unanswered (`dropped-<why>`), counted by kind.
     */
    refusals: Record<string, number>;
  };
  /**
   * Observes every SIP message received (after parsing succeeded) and sent, as bytes: metrics
   * and the web console's per-call ladder. Returns a function that stops observing.
   */
  onTraffic(
    listener: (
      direction: 'in' | 'out',
      data: Buffer,
      peer: { address: string; port: number },
    ) => void,
  ): () => void;
  /** Replaces the admission check (see {@link SipServerOptions.admission}). */
  setAdmission(admission: SipServerOptions['admission']): void;
  /**
   * Changes the blocked sources: packets from a blocked address are dropped before parsing, as
   * the admission check's are (both apply). Plain data, so it also reaches a server in a worker.
   */
  updateBlockedSources(update: SourceBlocksUpdate): void;
  /**
   * Installs a new TLS certificate (and client CAs) for connections accepted from now on; open
   * connections keep theirs. Throws, changing nothing, when the pair is unusable.
   */
  reloadTls(credentials: TlsCredentials): void;
  /**
   * Resolves once a control client has routed every verb (`route|invite`, ...), so requests of
   * those methods reach an app; rejects after `withinMs`.
   */
  whenRouted(verbs: string[], withinMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startSipServer(
  opts: SipServerOptions = { control: { secret: '' } },
): Promise<SipServer> {
  const log = (opts.logger ?? silentLogger).child({ component: 'sip-server' });
  const host = opts.sip?.host ?? '0.0.0.0';
  const port = opts.sip?.port ?? 5060;
  const protocols = opts.sip?.protocols ?? ['udp', 'tcp'];
  const external = opts.sip?.externalAddress;
  const secret = opts.control?.secret;
  if (!secret) throw new Error('sip-server: control.secret is required');

  const listen: Array<{
    protocol: TransportProtocol;
    address: string;
    port: number;
    externalAddress?: string;
    tls?: TlsServerSettings;
  }> = [];
  // UDP and TCP share one port number; with port 0 the UDP port is chosen first and reused.
  for (const protocol of protocols)
    listen.push({ protocol, address: host, port, externalAddress: external });
  if (opts.sip?.tls)
    listen.push({
      protocol: 'tls',
      address: host,
      port: opts.sip.tlsPort ?? 5061,
      externalAddress: external,
      tls: opts.sip.tls,
    });

  const transport = new TransportLayer({
    listen,
    logger: log.child({ layer: 'transport' }),
    admission: opts.admission,
    ...(opts.tlsClient ? { tlsClient: opts.tlsClient } : {}),
  });
  const t1 = opts.timers?.t1 ?? 500;
  const transactions = new TransactionLayer({
    transport,
    timers: opts.timers,
    logger: log.child({ layer: 'transaction' }),
    ...(opts.limits?.maxServerTransactions !== undefined
      ? { maxServerTransactions: opts.limits.maxServerTransactions }
      : {}),
    ...(opts.limits?.maxCompletedTransactions !== undefined
      ? { maxCompletedTransactions: opts.limits.maxCompletedTransactions }
      : {}),
    ...(opts.limits?.maxCompletedTransactionBytes !== undefined
      ? { maxCompletedTransactionBytes: opts.limits.maxCompletedTransactionBytes }
      : {}),
  });
  const listenAddresses = (): ListenAddress[] => transport.listenAddresses();
  const core = new SipCore({
    logger: log,
    transactions,
    listen: listenAddresses,
    t1,
    optionsAutoAnswer: opts.optionsAutoAnswer ?? false,
    sessionTimerDefaultRefresher: opts.sessionTimerDefaultRefresher ?? 'none',
    minSe: opts.minSessionExpires ?? 90,
    cdrs: opts.cdrs ?? true,
    supportedOptionTags: opts.supportedOptionTags ?? [...DEFAULT_SUPPORTED_OPTION_TAGS],
    relay: { request: relayRequest, ack: relayAck },
  });
  // The effective admission: the caller's check and the blocked sources (only when any).
  const blocks = new SourceBlocks();
  let custom = opts.admission;
  const byBlocks = (src: { address: string }): boolean => blocks.admits(src.address);
  const installAdmission = (): void => {
    const own = custom;
    const effective =
      blocks.size === 0
        ? own
        : own
          ? (src: Parameters<typeof own>[0]) => byBlocks(src) && own(src)
          : byBlocks;
    transport.setAdmission(effective);
    core.admits = effective;
  };
  core.admits = opts.admission;
  const hostports = (): { external: string; local: string } => {
    const ext: string[] = [];
    const loc: string[] = [];
    for (const l of listenAddresses()) {
      const concrete = localAddressFor([l], l.protocol)?.address ?? l.address;
      ext.push(
        `${l.protocol}/${hostPortText(l.advertisedAddress === l.address ? concrete : l.advertisedAddress, l.port)}`,
      );
      loc.push(`${l.protocol}/${hostPortText(concrete, l.port)}`);
    }
    return { external: ext.join(','), local: loc.join(',') };
  };
  const control = new ControlServer(
    {
      host: opts.control?.host ?? '127.0.0.1',
      port: opts.control?.port ?? 9022,
      secret,
      logger: log.child({ layer: 'control' }),
      hostports,
    },
    commandHandler(core, (conn, msgId, tokens, sip) =>
      proxyCommand(core, conn, msgId, tokens, sip),
    ),
  );
  core.control = control;

  transactions.on('request', (req, info, txn) => {
    try {
      handleRequest(core, req, info, txn);
    } catch (err) {
      log.error({ err }, 'incoming request handling failed');
    }
  });
  transactions.on('ack', (ack, info) => {
    try {
      handleAck(core, ack, info);
    } catch (err) {
      log.error({ err }, 'incoming ACK handling failed');
    }
  });

  await transport.start();
  try {
    await control.start();
  } catch (err) {
    await transport.stop();
    throw err;
  }
  const sipAddresses = listenAddresses().map((l) => ({
    protocol: l.protocol,
    address: l.address,
    port: l.port,
  }));
  log.info({ sip: sipAddresses, control: control.port }, 'sip-server started');
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await control.stop();
      core.stop();
      transactions.stop();
      await transport.stop();
      log.info('sip-server stopped');
    })();
    return stopped;
  };
  return {
    control: { host: opts.control?.host ?? '127.0.0.1', port: control.port },
    sipAddresses,
    stats: () => ({
      dialogs: core.dialogs.size,
      incoming: core.incoming.size,
      outgoing: core.outgoing.size,
      serverTransactions: transactions.serverTransactionCount,
      completedTransactions: transactions.completedTransactionCount,
      completedTransactionBytes: transactions.completedTransactionBytes,
      clientTransactions: transactions.clientTransactionCount,
      connections: transport.connectionCount,
      refusals: Object.fromEntries([...core.refusals, ...transport.drops, ...transactions.drops]),
    }),
    onTraffic: (listener) => {
      transport.on('traffic', listener);
      return () => transport.off('traffic', listener);
    },
    setAdmission: (admission) => {
      custom = admission;
      installAdmission();
    },
    updateBlockedSources: (update) => {
      blocks.apply(update);
      installAdmission();
    },
    reloadTls: (credentials) => {
      transport.reloadTls(credentials);
    },
    whenRouted: (verbs, withinMs = 5_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!verbs.every((v) => control.isRouted(v))) return;
          clearTimeout(timer);
          control.off('route', check);
          resolve();
        };
        const timer = setTimeout(() => {
          control.off('route', check);
          reject(new Error(`no control client routed ${verbs.join(', ')} within ${withinMs} ms`));
        }, withinMs);
        control.on('route', check);
        check();
      }),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
