import type { EventEmitter } from 'node:events';
import {
  TransportLayer,
  type ListenOptions,
  type TransportLayerOptions,
} from '../../src/transport';

/** Builds a request as text; every host is on loopback. */
export function requestText(opts: {
  method?: string;
  via?: string;
  branch?: string;
  cseq?: number;
  callId?: string;
  maxForwards?: string;
  toTag?: string;
  extra?: string[];
  body?: string;
}): string {
  const method = opts.method ?? 'OPTIONS';
  const body = opts.body ?? '';
  const lines = [
    `${method} sip:bob@127.0.0.1 SIP/2.0`,
    `Via: ${opts.via ?? 'SIP/2.0/UDP 127.0.0.1:5999'};branch=${opts.branch ?? 'z9hG4bK-test-1'}`,
    `Max-Forwards: ${opts.maxForwards ?? '70'}`,
    'From: <sip:alice@127.0.0.1>;tag=from1',
    `To: <sip:bob@127.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${opts.callId ?? 'call-1@127.0.0.1'}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    ...(opts.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

/** Resolves with the arguments of the next `event`, or rejects after `ms`. */
export function nextEvent<T extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  ms = 2000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out waiting for ${event}`));
    }, ms);
    function on(...args: unknown[]): void {
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(args as T);
    }
    emitter.on(event, on);
  });
}

/** Polls `cond` every 10 ms for at most `ms`. */
export async function waitUntil(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a transport on 127.0.0.1 with port 0 for each protocol given. */
export async function startTransport(
  listen: Array<Partial<ListenOptions> & Pick<ListenOptions, 'protocol'>>,
  extra: Partial<TransportLayerOptions> = {},
): Promise<TransportLayer> {
  const t = new TransportLayer({
    listen: listen.map((l) => ({ address: '127.0.0.1', port: 0, ...l })),
    ...extra,
  });
  await t.start();
  return t;
}

export function portOf(t: TransportLayer, protocol: 'udp' | 'tcp' | 'tls'): number {
  const a = t.listenAddresses().find((l) => l.protocol === protocol);
  if (!a) throw new Error(`no ${protocol} listener`);
  return a.port;
}
