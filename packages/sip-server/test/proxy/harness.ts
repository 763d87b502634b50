/**
 * Arrange helpers for the proxy integration tests: the embedded server on free loopback ports and
 * an unmodified drachtio-srf app that proxies every INVITE with `srf.proxyRequest`.
 */
import Srf from 'drachtio-srf';

import { startSipServer, type SipServer } from '../../src';

const SECRET = 'proxy-test-secret';

/** What srf's proxyRequest resolves with (lib/request.js `proxy`). */
export interface ProxyResults {
  connected: boolean;
  finalStatus?: number;
  finalResponse?: {
    status: number;
    msg: { status: number; get(name: string): string | undefined };
  };
  responses: Array<{
    address: string;
    port: number;
    msgs: Array<{ time: string; status: number }>;
  }>;
}

export interface ProxyPlan {
  targets: string[];
  opts: Srf.ProxyRequestOptions;
  /** Sees the request before it is proxied. */
  onRequest?: (req: Srf.SrfRequest) => void;
}

export interface ProxyBed extends AsyncDisposable {
  readonly server: SipServer;
  readonly srf: Srf;
  /** `127.0.0.1:<udp port>` of the server. */
  readonly target: string;
  readonly port: number;
  /** `127.0.0.1:<tcp port>` of the server. */
  readonly tcpTarget: string;
  /** Forgets plans no request used (after a failed test). */
  discardPlans(): void;
  /** The next INVITE or MESSAGE is proxied with this plan; resolves with srf's result (or rejects with its error). */
  proxyNext(plan: ProxyPlan): Promise<ProxyResults>;
  /** srf.proxyRequest as a promise. */
  proxy(req: Srf.SrfRequest, plan: ProxyPlan): Promise<ProxyResults>;
}

export async function startProxyBed(): Promise<ProxyBed> {
  const server = await startSipServer({
    sip: { host: '127.0.0.1', port: 0, protocols: ['udp', 'tcp'] },
    control: { host: '127.0.0.1', port: 0, secret: SECRET },
  });
  const udp = server.sipAddresses.find((a) => a.protocol === 'udp');
  const tcp = server.sipAddresses.find((a) => a.protocol === 'tcp');
  if (!udp || !tcp) throw new Error('no udp or tcp transport');
  const srf = new Srf();
  srf.on('error', () => undefined);
  const plans: Array<{ plan: ProxyPlan; settle: (err: unknown, r?: ProxyResults) => void }> = [];
  const proxy = (req: Srf.SrfRequest, plan: ProxyPlan): Promise<ProxyResults> =>
    new Promise((resolve, reject) => {
      srf.proxyRequest(req, plan.targets, plan.opts, (err: unknown, results: unknown) => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve(results as ProxyResults);
      });
    });
  const handler = (req: Srf.SrfRequest, res: Srf.SrfResponse): void => {
    const next = plans.shift();
    if (!next) {
      res.send(500);
      return;
    }
    next.plan.onRequest?.(req);
    proxy(req, next.plan).then(
      (r) => next.settle(undefined, r),
      (err: unknown) => next.settle(err),
    );
  };
  srf.invite(handler);
  // Per-method handlers other than invite are missing from srf's typings (TOOLCHAIN.md).
  (srf as unknown as { message(h: typeof handler): void }).message(handler);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('srf did not connect within 5 s')), 5_000);
      srf.once('connect', (err: Error | null) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
      // drachtio-srf's types say connect() returns a promise; it returns nothing and reports
      // through the 'connect' event handled above.
      void srf.connect({ host: server.control.host, port: server.control.port, secret: SECRET });
    });
  } catch (err) {
    srf.disconnect();
    await server.stop();
    throw err;
  }
  const stop = async (): Promise<void> => {
    srf.disconnect();
    await server.stop();
  };
  return {
    server,
    srf,
    port: udp.port,
    target: `127.0.0.1:${udp.port}`,
    tcpTarget: `127.0.0.1:${tcp.port}`,
    discardPlans: () => {
      for (const p of plans.splice(0)) p.settle(new Error('plan not used'));
    },
    proxyNext: (plan) => {
      const p = new Promise<ProxyResults>((resolve, reject) => {
        plans.push({
          plan,
          settle: (err, r) =>
            err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(r!),
        });
      });
      // A plan discarded after a failed test must not surface as an unhandled rejection.
      p.catch(() => undefined);
      return p;
    },
    proxy,
    [Symbol.asyncDispose]: stop,
  };
}

/** Every status srf collected, in arrival order. */
export function statusesOf(r: ProxyResults): number[] {
  return r.responses.flatMap((g) => g.msgs.map((m) => m.status));
}

/** The messages sipp sent or received (from its `-trace_msg` file) whose start line matches. */
export function tracedMessages(
  trace: string | undefined,
  direction: 'sent' | 'received',
  startLine: RegExp,
): string[] {
  if (!trace) return [];
  const out: string[] = [];
  // Each traced message follows a line of dashes with a timestamp, then "UDP message sent (…):".
  for (const block of trace.split(/^-{10,}.*$/m)) {
    const m = /^\s*(?:UDP|TCP) message (sent|received)[^\n]*\n\s*\n?([\s\S]*)$/.exec(block);
    if (!m || m[1] !== direction) continue;
    const text = (m[2] ?? '').trim();
    if (startLine.test(text.split(/\r?\n/)[0] ?? '')) out.push(text);
  }
  return out;
}
