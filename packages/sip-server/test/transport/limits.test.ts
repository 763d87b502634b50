import net from 'node:net';
import type { TransportLayer } from '../../src/transport';
import { nextEvent, portOf, requestText, startTransport, waitUntil } from './helpers';

function connectRaw(port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(s));
    s.once('error', reject);
  });
}

function closed(s: net.Socket): Promise<void> {
  return new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));
}

describe('TransportLayer limits', () => {
  let t: TransportLayer | undefined;
  const raws: net.Socket[] = [];

  afterEach(async () => {
    for (const s of raws.splice(0)) s.destroy();
    await t?.stop();
    t = undefined;
  });

  async function open(n: number, port: number, from?: string): Promise<net.Socket[]> {
    const out: net.Socket[] = [];
    for (let i = 0; i < n; i++) {
      const s = await connectRaw(port, from);
      s.on('error', () => undefined);
      raws.push(s);
      out.push(s);
    }
    return out;
  }

  test('half-open connections that never complete a message are closed after the first-message timeout', async () => {
    t = await startTransport([{ protocol: 'tcp' }], { limits: { firstMessageTimeoutMs: 200 } });
    const sockets = await open(50, portOf(t, 'tcp'));
    // Slowloris: a start line and part of a header, trickled.
    for (const s of sockets)
      s.write('INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1');
    // Closed by the 200 ms first-message timer (the 30 s default would outlast jest's timeout).
    await Promise.all(sockets.map(closed));
    expect(t.connectionCount).toBe(0);
  });

  test('keep-alive pings do not keep a connection without messages alive', async () => {
    t = await startTransport([{ protocol: 'tcp' }], { limits: { firstMessageTimeoutMs: 200 } });
    const [s] = await open(1, portOf(t, 'tcp'));
    const timer = setInterval(() => s?.write('\r\n\r\n'), 50);
    try {
      await closed(s as net.Socket);
    } finally {
      clearInterval(timer);
    }
    expect(t.connectionCount).toBe(0);
  });

  test('an idle connection is closed after the idle timeout once it has carried messages', async () => {
    t = await startTransport([{ protocol: 'tcp' }], {
      limits: { firstMessageTimeoutMs: 5000, idleTimeoutMs: 250 },
    });
    const [s] = await open(1, portOf(t, 'tcp'));
    const got = nextEvent(t, 'message');
    s?.write(requestText({}));
    await got;
    const started = Date.now();
    await closed(s as net.Socket);
    // Not before the idle timer (the 5 s first-message timer does not apply once a message came).
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  test('connections beyond maxConnections are refused', async () => {
    t = await startTransport([{ protocol: 'tcp' }], { limits: { maxConnections: 5 } });
    const sockets = await open(12, portOf(t, 'tcp'));
    const closedCount = { n: 0 };
    for (const s of sockets) void closed(s).then(() => closedCount.n++);
    await waitUntil(() => closedCount.n >= 7);
    expect(t.connectionCount).toBe(5);
    // The survivors still work.
    const ok = nextEvent(t, 'message');
    const alive = sockets.find((s) => !s.destroyed);
    alive?.write(requestText({}));
    await ok;
  });

  test('one address gets at most maxConnectionsPerAddress; other addresses are still served', async () => {
    t = await startTransport([{ protocol: 'tcp' }], { limits: { maxConnectionsPerAddress: 3 } });
    const flood = await open(8, portOf(t, 'tcp'), '127.0.0.2');
    const closedCount = { n: 0 };
    for (const s of flood) void closed(s).then(() => closedCount.n++);
    await waitUntil(() => closedCount.n >= 5);
    const [phone] = await open(1, portOf(t, 'tcp'), '127.0.0.3');
    await waitUntil(() => t?.connectionCount === 4);
    const ok = nextEvent(t, 'message');
    phone?.write(requestText({ via: 'SIP/2.0/TCP 127.0.0.3:5999' }));
    await ok;
    // A slot freed at the flooding address can be taken again.
    flood.find((s) => !s.destroyed)?.destroy();
    await waitUntil(() => t?.connectionCount === 3);
    await open(1, portOf(t, 'tcp'), '127.0.0.2');
    await waitUntil(() => t?.connectionCount === 4);
    expect(t.drops.get('dropped-connection-limit-per-address')).toBe(5);
  });

  test('a connection from a source the admission check drops is closed at once', async () => {
    t = await startTransport([{ protocol: 'tcp' }]);
    t.setAdmission((src) => src.address !== '127.0.0.4');
    const [blocked] = await open(1, portOf(t, 'tcp'), '127.0.0.4');
    await closed(blocked as net.Socket);
    expect(t.connectionCount).toBe(0);
    await open(1, portOf(t, 'tcp'), '127.0.0.5');
    await waitUntil(() => t?.connectionCount === 1);
  });

  test('a header block that never ends is cut off at the size limit (413) and the connection closed', async () => {
    t = await startTransport([{ protocol: 'tcp' }], { limits: { maxMessageBytes: 4000 } });
    const [s] = await open(1, portOf(t, 'tcp'));
    const malformed = nextEvent<[string]>(t, 'malformed');
    s?.write('OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n');
    for (let i = 0; i < 20; i++) s?.write(`X-Filler-${i}: ${'y'.repeat(500)}\r\n`);
    expect((await malformed)[0]).toBe('Header block too large');
    await closed(s as net.Socket);
    expect(t.connectionCount).toBe(0);
  });

  test('a declared body above the limit is refused before it arrives', async () => {
    t = await startTransport([{ protocol: 'tcp' }], { limits: { maxMessageBytes: 4000 } });
    const [s] = await open(1, portOf(t, 'tcp'));
    const malformed = nextEvent<[string]>(t, 'malformed');
    s?.write(requestText({}).replace('Content-Length: 0', 'Content-Length: 100000000'));
    expect((await malformed)[0]).toMatch(/too large/i);
    await closed(s as net.Socket);
  });

  test('stop closes every connection and frees the ports', async () => {
    t = await startTransport([{ protocol: 'tcp' }, { protocol: 'udp' }]);
    const port = portOf(t, 'tcp');
    const sockets = await open(3, port);
    await waitUntil(() => t?.connectionCount === 3);
    await t.stop();
    await Promise.all(sockets.map(closed));
    expect(t.connectionCount).toBe(0);
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => again.close(() => r()));
  });

  test('limits given as undefined fall back to the defaults', async () => {
    t = await startTransport([{ protocol: 'tcp' }], {
      limits: {
        firstMessageTimeoutMs: undefined,
        maxConnections: undefined,
        idleTimeoutMs: undefined,
      },
    });
    const [s] = await open(1, portOf(t, 'tcp'));
    // A connection that sends its first message slowly, in two writes, is served: no limit of 0
    // (or NaN) closed it at once or counted it over the maximum.
    const got = nextEvent(t, 'message');
    const text = requestText({ via: 'SIP/2.0/TCP 127.0.0.1:5999' });
    s?.write(text.slice(0, 20));
    s?.write(text.slice(20));
    await got;
    expect(s?.destroyed).toBe(false);
    expect(t.connectionCount).toBe(1);
  });

  test('start fails cleanly when a port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(
        startTransport([{ protocol: 'udp' }, { protocol: 'tcp', port }]),
      ).rejects.toMatchObject({
        name: 'TransportError',
      });
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});
