import dgram from 'node:dgram';
import { makeResponse, serializeMessage, topVia } from '../../src/message';
import type { SipMessage, SipRequest } from '../../src/message/types';
import { responseDestination, type ReceiveInfo, type TransportLayer } from '../../src/transport';
import { nextEvent, portOf, requestText, startTransport, waitUntil } from './helpers';

describe('TransportLayer over UDP (loopback)', () => {
  let a: TransportLayer;
  let b: TransportLayer;
  let raw: dgram.Socket;
  let rawPort: number;

  beforeEach(async () => {
    a = await startTransport([{ protocol: 'udp' }]);
    b = await startTransport([{ protocol: 'udp' }]);
    raw = dgram.createSocket('udp4');
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', () => r()));
    rawPort = raw.address().port;
  });

  afterEach(async () => {
    await a.stop();
    await b.stop();
    raw.close();
  });

  const rawReply = (ms = 2000): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply')), ms);
      raw.once('message', (m) => {
        clearTimeout(timer);
        resolve(m.toString());
      });
    });

  test('reports the real port bound for port 0', () => {
    const [addr] = a.listenAddresses();
    expect(addr).toMatchObject({
      protocol: 'udp',
      address: '127.0.0.1',
      advertisedAddress: '127.0.0.1',
    });
    expect(addr?.port).toBeGreaterThan(0);
  });

  test('request and response round trip; rport/received stamped; sent from the listening port', async () => {
    const aPort = portOf(a, 'udp');
    const bPort = portOf(b, 'udp');
    const got = nextEvent<[SipMessage, ReceiveInfo]>(b, 'message');
    // The Via names another loopback address than the packet source.
    const text = requestText({ via: `SIP/2.0/UDP 127.0.0.9:${aPort}` });
    const sent = await a.send(
      { protocol: 'udp', address: '127.0.0.1', port: bPort },
      Buffer.from(text),
    );
    expect(sent.local).toEqual({ address: '127.0.0.1', port: aPort });
    const [msg, info] = await got;
    expect(msg.kind).toBe('request');
    expect(info.source).toEqual({ protocol: 'udp', address: '127.0.0.1', port: aPort });
    expect(info.local).toEqual({ address: '127.0.0.1', port: bPort });
    expect(info.bytes).toBe(Buffer.byteLength(text));
    expect(topVia(msg)?.params).toMatchObject({ rport: String(aPort), received: '127.0.0.1' });

    const res = makeResponse(msg as SipRequest, 200, 'OK', { toTag: 'totag' });
    const back = nextEvent<[SipMessage, ReceiveInfo]>(a, 'message');
    await b.send(responseDestination(res, info), serializeMessage(res));
    const [reply, replyInfo] = await back;
    expect(reply).toMatchObject({ kind: 'response', status: 200 });
    expect(replyInfo.source.port).toBe(bPort);
    // Responses are not stamped.
    expect(topVia(reply)?.params.rport).toBe(String(aPort));
  });

  test('CRLF keep-alive datagrams are ignored', async () => {
    const malformed = jest.fn();
    const message = jest.fn();
    b.on('malformed', malformed);
    b.on('message', message);
    raw.send('\r\n\r\n', portOf(b, 'udp'), '127.0.0.1');
    raw.send('\r\n', portOf(b, 'udp'), '127.0.0.1');
    raw.send('\r\n'.repeat(20), portOf(b, 'udp'), '127.0.0.1');
    // A real request afterwards proves the earlier datagrams were processed (in order).
    const got = nextEvent(b, 'message');
    raw.send(
      requestText({ via: `SIP/2.0/UDP 127.0.0.1:${rawPort}` }),
      portOf(b, 'udp'),
      '127.0.0.1',
    );
    await got;
    expect(malformed).not.toHaveBeenCalled();
    expect(message).toHaveBeenCalledTimes(1);
  });

  test('an answerable malformed request gets a stateless 400 with the reason', async () => {
    const text = requestText({ via: `SIP/2.0/UDP 127.0.0.1:${rawPort}`, maxForwards: 'many' });
    const malformed = nextEvent<[string, ReceiveInfo]>(b, 'malformed');
    const reply = rawReply();
    raw.send(text, portOf(b, 'udp'), '127.0.0.1');
    const [reason, info] = await malformed;
    expect(reason).toBe('Bad Max-Forwards Header');
    expect(info.source.port).toBe(rawPort);
    const res = await reply;
    expect(res).toMatch(/^SIP\/2\.0 400 Bad Max-Forwards Header\r\n/);
    expect(res).toMatch(/\r\nTo: <sip:bob@127\.0\.0\.1>;tag=/);
    expect(res).toContain('CSeq: 1 OPTIONS');
  });

  test('a malformed ACK and an unanswerable datagram are only reported', async () => {
    const reasons: string[] = [];
    b.on('malformed', (r) => reasons.push(r));
    const replies: string[] = [];
    raw.on('message', (m) => replies.push(m.toString()));
    raw.send(
      requestText({ method: 'ACK', via: `SIP/2.0/UDP 127.0.0.1:${rawPort}`, maxForwards: 'x' }),
      portOf(b, 'udp'),
      '127.0.0.1',
    );
    raw.send('hello world', portOf(b, 'udp'), '127.0.0.1');
    const ok = nextEvent(b, 'message');
    raw.send(
      requestText({ via: `SIP/2.0/UDP 127.0.0.1:${rawPort}` }),
      portOf(b, 'udp'),
      '127.0.0.1',
    );
    await ok;
    expect(reasons).toHaveLength(2);
    // A datagram b sends raw now arrives after any answer b would have sent to the bad ones.
    const marker = rawReply();
    await b.send({ protocol: 'udp', address: '127.0.0.1', port: rawPort }, Buffer.from('marker'));
    expect(await marker).toBe('marker');
    expect(replies).toEqual(['marker']);
  });

  test('a flood of 2,000 garbage datagrams: all reported, answerable ones get 400, layer still works', async () => {
    const port = portOf(b, 'udp');
    let malformed = 0;
    b.on('malformed', () => malformed++);
    let replies = 0;
    raw.on('message', () => replies++);
    const answerable = requestText({ via: `SIP/2.0/UDP 127.0.0.1:${rawPort}`, maxForwards: 'bad' });
    // Sent in paced batches so the loopback socket buffer never overflows (UDP drops silently).
    for (let batch = 0; batch < 20; batch++) {
      for (let i = batch * 100; i < (batch + 1) * 100; i++) {
        const payload = i % 10 === 0 ? answerable : `garbage ${i} ${'x'.repeat(i % 200)}`;
        raw.send(payload, port, '127.0.0.1');
      }
      await waitUntil(() => malformed >= (batch + 1) * 100, 2000);
    }
    await waitUntil(() => replies >= 200, 2000);
    expect(malformed).toBe(2000);
    expect(replies).toBe(200);
    const ok = nextEvent(b, 'message');
    raw.send(requestText({ via: `SIP/2.0/UDP 127.0.0.1:${rawPort}` }), port, '127.0.0.1');
    await ok;
  });

  test('send after stop rejects with TransportError; stop frees the port', async () => {
    const port = portOf(a, 'udp');
    await a.stop();
    await expect(
      a.send({ protocol: 'udp', address: '127.0.0.1', port: 9 }, Buffer.from('x')),
    ).rejects.toMatchObject({
      name: 'TransportError',
    });
    const again = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.bind(port, '127.0.0.1', () => resolve());
    });
    again.close();
  });
});
