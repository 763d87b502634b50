/**
 * Arrange helpers for the contract tests: an in-process embedded server on free loopback ports,
 * and unmodified drachtio-srf clients connected to it. Everything is released on dispose.
 */
import Srf from 'drachtio-srf';

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
}

export function protocolOf(transport: SippTransport): 'udp' | 'tcp' {
  return transport === 't1' ? 'tcp' : 'udp';
}

/** `;transport=tcp` for TCP targets, nothing for UDP. */
export function transportParam(transport: SippTransport): string {
  return transport === 't1' ? ';transport=tcp' : '';
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const server = await startSipServer({
    sip: { host: '127.0.0.1', port: 0, protocols: ['udp', 'tcp'] },
    control: { host: '127.0.0.1', port: 0, secret: SECRET },
    ...(opts.timers ? { timers: opts.timers } : {}),
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
        srf.connect({ host: server.control.host, port: server.control.port, secret: SECRET });
      });
      return srf;
    },
    [Symbol.asyncDispose]: dispose,
  };
}

/** Resolves with the value once `predicate` holds, polling every 20 ms for at most `withinMs`. */
export async function eventually<T>(probe: () => T | undefined, withinMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
