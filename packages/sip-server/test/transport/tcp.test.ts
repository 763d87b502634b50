import net from 'node:net';
import { makeResponse, serializeMessage, topVia } from '../../src/message';
import type { SipMessage, SipRequest } from '../../src/message/types';
import { responseDestination, type ReceiveInfo, type TransportLayer } from '../../src/transport';
import { nextEvent, portOf, requestText, startTransport, waitUntil } from './helpers';

function connectRaw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

function readUntil(s: net.Socket, pattern: RegExp, ms = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      s.off('data', on);
      reject(new Error(`no ${pattern} in ${JSON.stringify(text)}`));
    }, ms);
    function on(d: Buffer): void {
      text += d.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        s.off('data', on);
        resolve(text);
      }
    }
    s.on('data', on);
  });
}

describe('TransportLayer over TCP (loopback)', () => {
  let a: TransportLayer;
  let b: TransportLayer;
  const raws: net.Socket[] = [];

  beforeEach(async () => {
    a = await startTransport([{ protocol: 'tcp' }]);
    b = await startTransport([{ protocol: 'tcp' }]);
  });

  afterEach(async () => {
    for (const s of raws.splice(0)) s.destroy();
    await a.stop();
    await b.stop();
  });

  const raw = async (): Promise<net.Socket> => {
    const s = await connectRaw(portOf(b, 'tcp'));
    raws.push(s);
    return s;
  };

  test('round trip over one connection, reused in both directions', async () => {
    const bPort = portOf(b, 'tcp');
    const got = nextEvent<[SipMessage, ReceiveInfo]>(b, 'message');
    const text = requestText({ via: `SIP/2.0/TCP 127.0.0.9:${portOf(a, 'tcp')}` });
    const sent = await a.send(
      { protocol: 'tcp', address: '127.0.0.1', port: bPort },
      Buffer.from(text),
    );
    expect(sent.connectionId).toBeDefined();
    const [req, info] = await got;
    expect(info.connectionId).toBeDefined();
    expect(info.local).toEqual({ address: '127.0.0.1', port: bPort });
    expect(info.source.protocol).toBe('tcp');
    expect(info.source.port).toBe(sent.local.port);
    expect(topVia(req)?.params).toMatchObject({
      rport: String(info.source.port),
      received: '127.0.0.1',
    });

    // The response goes back on the same connection.
    const res = makeResponse(req as SipRequest, 200, 'OK', { toTag: 't' });
    const back = nextEvent<[SipMessage, ReceiveInfo]>(a, 'message');
    const r1 = await b.send(responseDestination(res, info), serializeMessage(res));
    expect(r1.connectionId).toBe(info.connectionId);
    const [, backInfo] = await back;
    expect(backInfo.connectionId).toBe(sent.connectionId);

    // A new request from B to A's address:port reuses the accepted connection.
    const again = nextEvent<[SipMessage, ReceiveInfo]>(a, 'message');
    const r2 = await b.send(
      info.source,
      Buffer.from(requestText({ via: 'SIP/2.0/TCP 127.0.0.1:5999', branch: 'z9hG4bK-2' })),
    );
    expect(r2.connectionId).toBe(info.connectionId);
    expect((await again)[1].connectionId).toBe(sent.connectionId);

    // And A's next request to B's listening address reuses its outgoing connection.
    const r3 = await a.send(
      { protocol: 'tcp', address: '127.0.0.1', port: bPort },
      Buffer.from(text),
    );
    expect(r3.connectionId).toBe(sent.connectionId);
    expect(a.connectionCount).toBe(1);
    expect(b.connectionCount).toBe(1);
  });

  test('frames messages split across chunks and several in one chunk', async () => {
    const s = await raw();
    const msgs: SipMessage[] = [];
    b.on('message', (m) => msgs.push(m));
    const one = requestText({ branch: 'z9hG4bK-a', body: 'hello' });
    const two = requestText({ branch: 'z9hG4bK-b' });
    s.write(one.slice(0, 20));
    await new Promise((r) => setTimeout(r, 20));
    s.write(one.slice(20) + two + two.slice(0, 10));
    s.write(two.slice(10));
    await waitUntil(() => msgs.length === 3);
    expect(msgs.map((m) => topVia(m)?.params.branch)).toEqual([
      'z9hG4bK-a',
      'z9hG4bK-b',
      'z9hG4bK-b',
    ]);
    expect(msgs[0]?.body.toString()).toBe('hello');
  });

  test('double-CRLF keep-alive is answered with CRLF', async () => {
    const s = await raw();
    const pong = readUntil(s, /^\r\n$/);
    s.write('\r\n\r\n');
    expect(await pong).toBe('\r\n');
  });

  test('answerable malformed request: 400 on the same connection, which stays open', async () => {
    const s = await raw();
    const malformed = nextEvent<[string, ReceiveInfo]>(b, 'malformed');
    const reply = readUntil(s, /\r\n\r\n$/);
    s.write(requestText({ maxForwards: 'lots' }));
    expect((await malformed)[0]).toBe('Bad Max-Forwards Header');
    expect(await reply).toMatch(/^SIP\/2\.0 400 Bad Max-Forwards Header\r\n/);
    const ok = nextEvent(b, 'message');
    s.write(requestText({}));
    await ok;
    expect(b.connectionCount).toBe(1);
  });

  test('a framing error closes the connection', async () => {
    const s = await raw();
    const closedByServer = new Promise<void>((r) => s.once('close', () => r()));
    const malformed = nextEvent<[string, ReceiveInfo]>(b, 'malformed');
    const closed = nextEvent<[string]>(b, 'connectionClosed');
    s.write('OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nContent-Length: nope\r\n\r\n');
    const [reason, info] = await malformed;
    expect(reason).toBe('Bad Content-Length Header');
    expect((await closed)[0]).toBe(info.connectionId);
    await closedByServer;
    expect(b.connectionCount).toBe(0);
  });

  test('a peer closing is reported; a stale connectionId falls back to a new connection', async () => {
    const bPort = portOf(b, 'tcp');
    const first = await a.send(
      { protocol: 'tcp', address: '127.0.0.1', port: bPort },
      Buffer.from(requestText({})),
    );
    await waitUntil(() => b.connectionCount === 1);
    const closedOnA = nextEvent<[string]>(a, 'connectionClosed');
    await b.stop();
    expect((await closedOnA)[0]).toBe(first.connectionId);
    expect(a.connectionCount).toBe(0);
    b = await startTransport([{ protocol: 'tcp', port: bPort }]);
    const got = nextEvent(b, 'message');
    const second = await a.send(
      {
        protocol: 'tcp',
        address: '127.0.0.1',
        port: bPort,
        connectionId: first.connectionId ?? '',
      },
      Buffer.from(requestText({})),
    );
    await got;
    expect(second.connectionId).not.toBe(first.connectionId);
  });

  test('connect failure rejects with TransportError', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await expect(
      a.send({ protocol: 'tcp', address: '127.0.0.1', port }, Buffer.from('x')),
    ).rejects.toMatchObject({
      name: 'TransportError',
    });
    expect(a.connectionCount).toBe(0);
  });
});
