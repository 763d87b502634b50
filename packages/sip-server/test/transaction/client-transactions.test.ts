import pino from 'pino';
import { InvalidStateError } from '../../src/errors';
import { branch, cseq, getHeader, getHeaders, toTag } from '../../src/message';
import type { SipResponse } from '../../src/message/types';
import { TransactionLayer, type ClientTransactionUser } from '../../src/transaction';
import type { Destination, ReceiveInfo } from '../../src/transport';
import { FakeTransport, udpInfo } from './fake-transport';
import { request, response } from './messages';

const udpDest: Destination = { protocol: 'udp', address: '127.0.0.2', port: 5070 };
const tcpDest: Destination = { protocol: 'tcp', address: '127.0.0.2', port: 5070 };

function user(): ClientTransactionUser & {
  responses: number[];
  timeouts: number;
  errors: Error[];
} {
  const u = {
    responses: [] as number[],
    timeouts: 0,
    errors: [] as Error[],
    onResponse: (res: SipResponse, _info: ReceiveInfo) => u.responses.push(res.status),
    onTimeout: () => {
      u.timeouts++;
    },
    onTransportError: (err: Error) => u.errors.push(err),
  };
  return u;
}

describe('client transactions through the TransactionLayer (fake timers)', () => {
  let transport: FakeTransport;
  let layer: TransactionLayer;

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    transport = new FakeTransport();
    layer = new TransactionLayer({ transport });
  });

  afterEach(() => {
    layer.stop();
    expect(jest.getTimerCount()).toBe(0);
    jest.useRealTimers();
  });

  test('NICT over UDP: timer E schedule, timer F → onTimeout, then removed', () => {
    const u = user();
    const txn = layer.sendRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK-n1' }), udpDest, u);
    expect(txn.id).toBe('z9hG4bK-n1');
    expect(layer.clientTransactionCount).toBe(1);
    jest.advanceTimersByTime(40_000);
    expect(transport.requests('OPTIONS').map((s) => s.at)).toEqual([
      0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]);
    expect(
      transport
        .requests('OPTIONS')
        .every((s) => s.dest === udpDest || s.dest.address === '127.0.0.2'),
    ).toBe(true);
    expect(u.timeouts).toBe(1);
    expect(txn.state).toBe('terminated');
    expect(layer.clientTransactionCount).toBe(0);
  });

  test('NICT: final response passed up once, retransmissions absorbed, gone after T4', () => {
    const u = user();
    const req = request({ method: 'OPTIONS', branch: 'z9hG4bK-n2' });
    layer.sendRequest(req, udpDest, u);
    jest.advanceTimersByTime(600);
    transport.deliver(response(req, 200), udpInfo);
    transport.deliver(response(req, 200), udpInfo);
    expect(u.responses).toEqual([200]);
    jest.advanceTimersByTime(4999);
    expect(layer.clientTransactionCount).toBe(1);
    jest.advanceTimersByTime(1);
    expect(layer.clientTransactionCount).toBe(0);
    expect(transport.requests('OPTIONS')).toHaveLength(2);
  });

  test('ICT non-2xx: the layer ACKs (RFC 3261 §17.1.1.3), passes the response up once, re-ACKs retransmissions', () => {
    const u = user();
    const invite = request({
      method: 'INVITE',
      branch: 'z9hG4bK-i1',
      cseq: 7,
      extra: [
        'Route: <sip:127.0.0.3;lr>',
        'Route: <sip:127.0.0.4;lr>',
        'Contact: <sip:alice@127.0.0.1>',
      ],
    });
    layer.sendRequest(invite, udpDest, u);
    transport.deliver(response(invite, 180), udpInfo);
    const busy = response(invite, 486, 'busy-tag');
    transport.deliver(busy, udpInfo);
    transport.deliver(busy, udpInfo);
    expect(u.responses).toEqual([180, 486]);
    const acks = transport.requests('ACK');
    expect(acks).toHaveLength(2);
    const ack = acks[0]!.msg;
    expect(ack.uri).toBe(invite.uri);
    expect(branch(ack)).toBe('z9hG4bK-i1');
    expect(getHeaders(ack, 'Via')).toHaveLength(1);
    expect(toTag(ack)).toBe('busy-tag');
    expect(getHeader(ack, 'From')).toBe(getHeader(invite, 'From'));
    expect(getHeader(ack, 'Call-ID')).toBe(getHeader(invite, 'Call-ID'));
    expect(cseq(ack)).toEqual({ seq: 7, method: 'ACK' });
    expect(getHeaders(ack, 'Route')).toEqual(['<sip:127.0.0.3;lr>', '<sip:127.0.0.4;lr>']);
    expect(getHeader(ack, 'Contact')).toBeUndefined();
    expect(acks[0]!.dest).toEqual(udpDest);
    // Timer D (32 s) absorbs retransmissions, then the transaction is gone.
    jest.advanceTimersByTime(31_999);
    expect(layer.clientTransactionCount).toBe(1);
    jest.advanceTimersByTime(1);
    expect(layer.clientTransactionCount).toBe(0);
    // 1xx stopped retransmission of the INVITE.
    expect(transport.requests('INVITE')).toHaveLength(1);
  });

  test('after a final response the request is let go: a non-2xx is re-ACKed with the same bytes, Accepted still passes 2xx up', () => {
    const u = user();
    const invite = request({ method: 'INVITE', branch: 'z9hG4bK-sl1', cseq: 3 });
    const txn = layer.sendRequest(invite, udpDest, u);
    expect(txn.request).toBe(invite);
    transport.deliver(response(invite, 180), udpInfo);
    expect(txn.lastProvisional?.status).toBe(180);
    const busy = response(invite, 486, 'busy-tag');
    transport.deliver(busy, udpInfo);
    expect(txn.request).toBeUndefined();
    expect(txn.lastProvisional).toBeUndefined();
    transport.deliver(busy, udpInfo);
    transport.deliver(busy, udpInfo);
    const acks = transport.requests('ACK');
    expect(acks).toHaveLength(3);
    expect(acks.every((a) => a.data.equals(acks[0]!.data))).toBe(true);
    expect(u.responses).toEqual([180, 486]);

    const v = user();
    const second = request({ method: 'INVITE', branch: 'z9hG4bK-sl2' });
    const accepted = layer.sendRequest(second, udpDest, v);
    const ok = response(second, 200);
    transport.deliver(ok, udpInfo);
    expect(accepted.state).toBe('accepted');
    expect(accepted.request).toBeUndefined();
    transport.deliver(ok, udpInfo);
    expect(v.responses).toEqual([200, 200]);
    jest.advanceTimersByTime(32_000);
    expect(layer.clientTransactionCount).toBe(0);
  });

  test('ICT 2xx (RFC 6026 Accepted): every 2xx goes up, no ACK from the layer, stray afterwards', () => {
    const u = user();
    const invite = request({ method: 'INVITE', branch: 'z9hG4bK-i2' });
    layer.sendRequest(invite, udpDest, u);
    const ok = response(invite, 200);
    transport.deliver(ok, udpInfo);
    jest.advanceTimersByTime(1000);
    transport.deliver(ok, udpInfo);
    expect(u.responses).toEqual([200, 200]);
    expect(transport.requests('ACK')).toHaveLength(0);
    jest.advanceTimersByTime(31_000);
    expect(layer.clientTransactionCount).toBe(0);
    const stray = jest.fn();
    layer.on('strayResponse', stray);
    transport.deliver(ok, udpInfo);
    expect(stray).toHaveBeenCalledTimes(1);
    expect(u.responses).toHaveLength(2);
  });

  test('finally answered transactions wait out timers M, D and K in the layer, not each with timers of its own', () => {
    const users = [user(), user(), user()];
    for (let i = 0; i < 100; i++) {
      const invite = request({ method: 'INVITE', branch: `z9hG4bK-r${i}` });
      layer.sendRequest(invite, udpDest, users[0]!);
      transport.deliver(response(invite, 200), udpInfo);
      const busy = request({ method: 'INVITE', branch: `z9hG4bK-b${i}` });
      layer.sendRequest(busy, udpDest, users[1]!);
      transport.deliver(response(busy, 486), udpInfo);
      const bye = request({ method: 'BYE', branch: `z9hG4bK-y${i}` });
      layer.sendRequest(bye, udpDest, users[2]!);
      transport.deliver(response(bye, 200), udpInfo);
    }
    expect(layer.clientTransactionCount).toBe(300);
    // One sweep for all 300 (the transactions themselves hold no timer any more).
    expect(jest.getTimerCount()).toBe(1);
    transport.deliver(response(request({ method: 'INVITE', branch: 'z9hG4bK-r7' }), 200), udpInfo);
    transport.deliver(response(request({ method: 'INVITE', branch: 'z9hG4bK-b7' }), 486), udpInfo);
    transport.deliver(response(request({ method: 'BYE', branch: 'z9hG4bK-y7' }), 200), udpInfo);
    expect(users.map((u) => u.responses.length)).toEqual([101, 100, 100]);
    expect(transport.requests('ACK')).toHaveLength(101);
    jest.advanceTimersByTime(5000);
    expect(layer.clientTransactionCount).toBe(200);
    jest.advanceTimersByTime(27_000);
    expect(layer.clientTransactionCount).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('ICT over UDP: timer A doubles; timer B → onTimeout', () => {
    const u = user();
    layer.sendRequest(request({ method: 'INVITE', branch: 'z9hG4bK-i3' }), udpDest, u);
    jest.advanceTimersByTime(33_000);
    expect(transport.requests('INVITE').map((s) => s.at)).toEqual([
      0, 500, 1500, 3500, 7500, 15500, 31500,
    ]);
    expect(u.timeouts).toBe(1);
    expect(layer.clientTransactionCount).toBe(0);
  });

  test('ICT timer C: provisional but no final → onTimeout, still cancelable, 487 ends it', () => {
    const u = user();
    const invite = request({ method: 'INVITE', branch: 'z9hG4bK-i4' });
    const txn = layer.sendRequest(invite, udpDest, u);
    expect(txn.cancelable()).toBe(false);
    transport.deliver(response(invite, 180), udpInfo);
    expect(txn.cancelable()).toBe(true);
    expect(txn.lastProvisional?.status).toBe(180);
    jest.advanceTimersByTime(185_000);
    expect(u.timeouts).toBe(1);
    expect(txn.cancelable()).toBe(true);
    transport.deliver(response(invite, 487), udpInfo);
    expect(u.responses).toEqual([180, 487]);
    expect(transport.requests('ACK')).toHaveLength(1);
    expect(txn.cancelable()).toBe(false);
  });

  test('over TCP: no retransmission; the ACK uses the same connection; non-2xx ends it at once', async () => {
    const u = user();
    const invite = request({
      method: 'INVITE',
      branch: 'z9hG4bK-i5',
      via: 'SIP/2.0/TCP 127.0.0.1:5060',
    });
    layer.sendRequest(invite, tcpDest, u);
    await Promise.resolve(); // Let the send result (connection id) come back.
    jest.advanceTimersByTime(10_000);
    expect(transport.requests('INVITE')).toHaveLength(1);
    transport.deliver(response(invite, 603), {
      ...udpInfo,
      source: { ...udpInfo.source, protocol: 'tcp' },
      connectionId: 'conn-new',
    });
    expect(transport.requests('ACK')[0]?.dest.connectionId).toBe('conn-new');
    expect(layer.clientTransactionCount).toBe(0);
  });

  test('a transport failure is reported to the TU and ends the transaction', async () => {
    const u = user();
    transport.failWith = new Error('connect refused');
    layer.sendRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK-e1' }), tcpDest, u);
    await Promise.resolve();
    await Promise.resolve();
    expect(u.errors.map((e) => e.message)).toEqual(['connect refused']);
    expect(layer.clientTransactionCount).toBe(0);
  });

  test('a throwing TU does not break the layer', () => {
    const req = request({ method: 'OPTIONS', branch: 'z9hG4bK-t1' });
    layer.sendRequest(req, udpDest, {
      onResponse: () => {
        throw new Error('bug in TU');
      },
      onTimeout: () => undefined,
      onTransportError: () => undefined,
    });
    expect(() => transport.deliver(response(req, 200), udpInfo)).not.toThrow();
    jest.advanceTimersByTime(5000);
    expect(layer.clientTransactionCount).toBe(0);
  });

  test('refuses ACK, a request without branch, and a branch already in use', () => {
    expect(() => layer.sendRequest(request({ method: 'ACK' }), udpDest, user())).toThrow(TypeError);
    const noBranch = request({ method: 'OPTIONS' });
    noBranch.headers = noBranch.headers.map((h) =>
      h.name === 'Via' ? { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.1:5060' } : h,
    );
    expect(() => layer.sendRequest(noBranch, udpDest, user())).toThrow(TypeError);
    const req = request({ method: 'OPTIONS', branch: 'z9hG4bK-d1' });
    layer.sendRequest(req, udpDest, user());
    expect(() => layer.sendRequest(req, udpDest, user())).toThrow(InvalidStateError);
  });

  test('CANCEL is its own client transaction beside the INVITE (same branch)', () => {
    const invite = request({ method: 'INVITE', branch: 'z9hG4bK-c1' });
    const cancel = request({ method: 'CANCEL', branch: 'z9hG4bK-c1' });
    const ui = user();
    const uc = user();
    layer.sendRequest(invite, udpDest, ui);
    transport.deliver(response(invite, 180), udpInfo);
    layer.sendRequest(cancel, udpDest, uc);
    expect(layer.clientTransactionCount).toBe(2);
    transport.deliver(response(cancel, 200), udpInfo);
    transport.deliver(response(invite, 487), udpInfo);
    expect(uc.responses).toEqual([200]);
    expect(ui.responses).toEqual([180, 487]);
  });

  test('sendAck and sendStateless send without a transaction', async () => {
    const ack = request({ method: 'ACK', branch: 'z9hG4bK-a2', toTag: 'x' });
    await layer.sendAck(ack, udpDest);
    await layer.sendStateless(response(request({}), 404), udpDest);
    expect(
      transport.sent.map((s) => (s.msg.kind === 'request' ? s.msg.method : s.msg.status)),
    ).toEqual(['ACK', 404]);
    expect(layer.clientTransactionCount).toBe(0);
  });
});

test('transitions are logged at debug with the branch and method bound', () => {
  jest.useFakeTimers({ now: 0 });
  try {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const transport = new FakeTransport();
    const layer = new TransactionLayer({ transport, logger });
    const req = request({ method: 'OPTIONS', branch: 'z9hG4bK-log1' });
    layer.sendRequest(req, udpDest, user());
    transport.deliver(response(req, 200), udpInfo);
    layer.stop();
    const transition = lines.find((l) => l.msg === 'transition');
    expect(transition).toMatchObject({
      branch: 'z9hG4bK-log1',
      method: 'OPTIONS',
      from: 'trying',
      to: 'completed',
    });
  } finally {
    jest.useRealTimers();
  }
});
