/**
 * Arrange helpers for the contract tests: an in-process embedded server on free loopback ports,
 * and unmodified drachtio-srf clients connected to it. Everything is released on dispose.
 */
import Srf from 'drachtio-srf';
import pino from 'pino';

import { startSipServer, type SipServer } from '../../src';
import type { SippTransport } from '../helpers/sipp';

export const SECRET = 'contract-secret';

export interface Harness extends AsyncDisposable {
  readonly server: SipServer;
  readonly secret: string;
  /** `127.0.0.1:<port>` of the server's SIP transport for the protocol. */
  sipTarget(protocol: 'udp' | 'tcp'): string;
  /** The server's SIP port for the protocol. */
  sipPort(protocol: 'udp' | 'tcp'): number;
  /** A new drachtio-srf client, connected and authenticated. */
  connectSrf(): Promise<Srf>;
}

export interface HarnessOptions {
  timers?: { t1?: number; t2?: number; t4?: number; timerC?: number };
  /** Replaces the test logger (e.g. to read what the server logs). */
  logger?: pino.Logger;
  limits?: { maxServerTransactions?: number; maxCompletedTransactions?: number };
}

export function protocolOf(transport: SippTransport): 'udp' | 'tcp' {
  return transport === 't1' ? 'tcp' : 'udp';
}

/** `;transport=tcp` for TCP targets, nothing for UDP. */
export function transportParam(transport: SippTransport): string {
  return transport === 't1' ? ';transport=tcp' : '';
}

/**
 * Server logs go to $SIP_SERVER_TEST_LOG (appended, level $SIP_SERVER_TEST_LOG_LEVEL or 'debug')
 * when set, and nowhere otherwise.
 */
function testLogger(): pino.Logger {
  const file = process.env.SIP_SERVER_TEST_LOG;
  if (!file) return pino({ level: 'silent' });
  const level = process.env.SIP_SERVER_TEST_LOG_LEVEL ?? 'debug';
  return pino({ level }, pino.destination({ dest: file, append: true, sync: true }));
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const server = await startSipServer({
    logger: opts.logger ?? testLogger(),
    sip: { host: '127.0.0.1', port: 0, protocols: ['udp', 'tcp'] },
    control: { host: '127.0.0.1', port: 0, secret: SECRET },
    ...(opts.timers ? { timers: opts.timers } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  const clients: Srf[] = [];
  const sipPort = (protocol: 'udp' | 'tcp'): number => {
    const found = server.sipAddresses.find((a) => a.protocol === protocol);
    if (!found) throw new Error(`server has no ${protocol} transport`);
    return found.port;
  };
  const dispose = async (): Promise<void> => {
    for (const srf of clients) srf.disconnect();
    clients.length = 0;
    await server.stop();
  };
  return {
    server,
    secret: SECRET,
    sipPort,
    sipTarget: (protocol) => `127.0.0.1:${sipPort(protocol)}`,
    connectSrf: async () => {
      const srf = new Srf();
      clients.push(srf);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('srf did not connect within 5 s')), 5_000);
        srf.once('connect', (err: Error | null) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        });
        srf.on('error', () => undefined);
        // drachtio-srf's types say connect() returns a promise; it returns nothing and reports
        // through the 'connect' event handled above.
        void srf.connect({ host: server.control.host, port: server.control.port, secret: SECRET });
      });
      return srf;
    },
    [Symbol.asyncDispose]: dispose,
  };
}

export type Handler = (req: Srf.SrfRequest, res: Srf.SrfResponse) => void;

/** Per-method handlers srf has but its bundled typings lack (TOOLCHAIN.md). */
export interface SrfMethodHandlers {
  invite(handler: Handler): void;
  options(handler: Handler): void;
  message(handler: Handler): void;
  subscribe(handler: Handler): void;
  notify(handler: Handler): void;
  register(handler: Handler): void;
}

export function handlers(srf: Srf): SrfMethodHandlers {
  return srf as unknown as SrfMethodHandlers;
}

export interface RequestOptions {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  auth?: { username: string; password: string };
}

/** `dialog.request(opts)` with the options srf accepts (its typings want a whole SrfRequest). */
export function dialogRequest(dialog: Srf.Dialog, opts: RequestOptions): Promise<Srf.SrfResponse> {
  const request = dialog.request as unknown as (o: RequestOptions) => Promise<Srf.SrfResponse>;
  return request.call(dialog, opts);
}

/** `srf.request(uri, opts)` resolving with the final response. */
export async function requestFinal(
  srf: Srf,
  uri: string,
  opts: RequestOptions,
): Promise<Srf.SrfResponse> {
  const request = srf.request as unknown as (
    u: string,
    o: RequestOptions,
  ) => Promise<Srf.SrfRequest>;
  const sent = await request.call(srf, uri, opts);
  return new Promise((resolve) => {
    sent.on('response', (res?: Srf.SrfResponse) => {
      if (res && res.status >= 200) resolve(res);
    });
  });
}

/** The server's dialog id srf keeps on a Dialog (missing from srf's typings). */
export function idOf(dialog: Srf.Dialog): string {
  return (dialog as unknown as { id: string }).id;
}

/** A test SDP offer/answer on loopback. */
export function sdp(port = 15000, extra = ''): string {
  return (
    `v=0\r\no=app ${port} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n` +
    `m=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n${extra}`
  );
}

/** Resolves with the value once `predicate` holds, polling every 20 ms for at most `withinMs`. */
export async function eventually<T>(
  probe: () => T | undefined,
  withinMs = 5_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
