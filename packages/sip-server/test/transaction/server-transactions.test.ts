import { InvalidStateError } from '../../src/errors';
import type { SipRequest } from '../../src/message/types';
import { TransactionLayer, type ServerTransaction } from '../../src/transaction';
import type { ReceiveInfo } from '../../src/transport';
import { FakeTransport, tcpInfo, udpInfo } from './fake-transport';
import { request, response } from './messages';

interface Seen {
  requests: Array<{ req: SipRequest; txn: ServerTransaction }>;
  acks: Array<{ ack: SipRequest; txn: ServerTransaction | undefined }>;
}

describe('server transactions through the TransactionLayer (fake timers)', () => {
  let transport: FakeTransport;
  let layer: TransactionLayer;
  let seen: Seen;

  // The Via carries what the transport adds on receipt (rport/received).
  const via = 'SIP/2.0/UDP 127.0.0.9:5999;rport=5070;received=127.0.0.2';

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    transport = new FakeTransport();
    layer = new TransactionLayer({ transport });
    seen = { requests: [], acks: [] };
    layer.on('request', (req, _info, txn) => seen.requests.push({ req, txn }));
    layer.on('ack', (ack, _info, txn) => seen.acks.push({ ack, txn }));
  });

  afterEach(() => {
    layer.stop();
    expect(jest.getTimerCount()).toBe(0);
    jest.useRealTimers();
  });

  function incoming(opts: Parameters<typeof request>[0], info: ReceiveInfo = udpInfo): SipRequest {
    const req = request({ via, ...opts });
    transport.deliver(req, info);
    return req;
  }

  function only(): ServerTransaction {
    expect(seen.requests).toHaveLength(1);
    return seen.requests[0]!.txn;
  }

  /** The request of the only transaction, as emitted (the transaction lets it go when final). */
  function req0(): SipRequest {
    return seen.requests[0]!.req;
  }

  test('new INVITE: 100 Trying at once, emitted once; retransmissions absorbed and answered with the last response', () => {
    incoming({ method: 'INVITE', branch: 'z9hG4bK-s1' });
    expect(transport.responses().map((s) => s.msg.status)).toEqual([100]);
    // Sent to the RFC 3581 destination: received + rport.
    expect(transport.responses()[0]!.dest).toEqual({
      protocol: 'udp',
      address: '127.0.0.2',
      port: 5070,
    });
    const txn = only();
    expect(txn.state).toBe('proceeding');
    incoming({ method: 'INVITE', branch: 'z9hG4bK-s1' });
    expect(seen.requests).toHaveLength(1);
    expect(transport.responses(100)).toHaveLength(2);
    void txn.respond(response(req0(), 180));
    incoming({ method: 'INVITE', branch: 'z9hG4bK-s1' });
    expect(transport.responses().map((s) => s.msg.status)).toEqual([100, 100, 180, 180]);
    expect(layer.serverTransactionCount).toBe(1);
  });

  test('autoTrying: false sends nothing by itself', () => {
    layer.stop();
    layer = new TransactionLayer({ transport, autoTrying: false });
    const got = jest.fn();
    layer.on('request', got);
    incoming({ method: 'INVITE', branch: 'z9hG4bK-s0' });
    expect(got).toHaveBeenCalledTimes(1);
    expect(transport.sent).toHaveLength(0);
  });

  test('INVITE non-2xx: timer G retransmits until the ACK, which is absorbed; timer I then removes it', () => {
    incoming({ method: 'INVITE', branch: 'z9hG4bK-s2' });
    const txn = only();
    void txn.respond(response(req0(), 486));
    expect(txn.isFinal).toBe(true);
    jest.advanceTimersByTime(4000);
    expect(transport.responses(486).map((s) => s.at)).toEqual([0, 500, 1500, 3500]);
    incoming({ method: 'ACK', branch: 'z9hG4bK-s2', toTag: 'uas-tag' });
    expect(seen.acks).toHaveLength(0);
    expect(txn.state).toBe('confirmed');
    jest.advanceTimersByTime(4999);
    expect(transport.responses(486)).toHaveLength(4);
    expect(layer.serverTransactionCount).toBe(1);
    jest.advanceTimersByTime(1);
    expect(layer.serverTransactionCount).toBe(0);
    expect(txn.state).toBe('terminated');
    expect(() => txn.respond(response(req0(), 200))).toThrow(InvalidStateError);
  });

  test('INVITE non-2xx without ACK: ackTimeout after timer H (64·T1)', () => {
    incoming({ method: 'INVITE', branch: 'z9hG4bK-s3' });
    const txn = only();
    const ackTimeout = jest.fn();
    const terminated = jest.fn();
    txn.on('ackTimeout', ackTimeout);
    txn.on('terminated', terminated);
    void txn.respond(response(req0(), 404));
    jest.advanceTimersByTime(31_999);
    expect(ackTimeout).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(ackTimeout).toHaveBeenCalledTimes(1);
    expect(terminated).toHaveBeenCalledWith('ackTimeout');
    expect(layer.serverTransactionCount).toBe(0);
  });

  test('INVITE 2xx: retransmitted at T1 doubling to T2 until the ACK (new branch), which is emitted once', () => {
    incoming({ method: 'INVITE', branch: 'z9hG4bK-s4', cseq: 5 });
    const txn = only();
    void txn.respond(response(req0(), 200, 'local-tag'));
    expect(txn.state).toBe('accepted');
    jest.advanceTimersByTime(12_000);
    expect(transport.responses(200).map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    incoming({ method: 'ACK', branch: 'z9hG4bK-ack-1', cseq: 5, toTag: 'local-tag' });
    expect(seen.acks).toHaveLength(1);
    expect(seen.acks[0]!.txn).toBe(txn);
    // A retransmitted ACK is absorbed.
    incoming({ method: 'ACK', branch: 'z9hG4bK-ack-1', cseq: 5, toTag: 'local-tag' });
    expect(seen.acks).toHaveLength(1);
    jest.advanceTimersByTime(30_000);
    expect(transport.responses(200)).toHaveLength(6);
    expect(layer.serverTransactionCount).toBe(0);
    // After the transaction is gone, a late ACK goes to the dialog layer without a transaction.
    incoming({ method: 'ACK', branch: 'z9hG4bK-ack-1', cseq: 5, toTag: 'local-tag' });
    expect(seen.acks).toHaveLength(2);
    expect(seen.acks[1]!.txn).toBeUndefined();
  });

  test('INVITE 2xx: an ACK with the wrong To tag or CSeq does not match', () => {
    incoming({ method: 'INVITE', branch: 'z9hG4bK-s5', cseq: 5 });
    const txn = only();
    void txn.respond(response(req0(), 200, 'local-tag'));
    incoming({ method: 'ACK', branch: 'z9hG4bK-ack-2', cseq: 5, toTag: 'other-tag' });
    incoming({ method: 'ACK', branch: 'z9hG4bK-ack-3', cseq: 6, toTag: 'local-tag' });
    expect(seen.acks.map((a) => a.txn)).toEqual([undefined, undefined]);
    jest.advanceTimersByTime(1000);
    expect(transport.responses(200).length).toBeGreaterThan(1);
  });

  test('INVITE 2xx without ACK: ackTimeout after 64·T1 (the dialog layer sends BYE)', () => {
    incoming({ method: 'INVITE', branch: 'z9hG4bK-s6' });
    const txn = only();
    const ackTimeout = jest.fn();
    txn.on('ackTimeout', ackTimeout);
    void txn.respond(response(req0(), 200));
    jest.advanceTimersByTime(32_000);
    expect(ackTimeout).toHaveBeenCalledTimes(1);
    expect(transport.responses(200).map((s) => s.at)).toEqual([
      0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]);
    expect(layer.serverTransactionCount).toBe(0);
  });

  test('over TCP: no retransmission, responses use the connection, 2xx + ACK ends at once', () => {
    const tcpVia = 'SIP/2.0/TCP 127.0.0.9:5999;rport=40123;received=127.0.0.2';
    transport.deliver(request({ method: 'INVITE', branch: 'z9hG4bK-s7', via: tcpVia }), tcpInfo);
    const txn = only();
    void txn.respond(response(req0(), 200, 'lt'));
    jest.advanceTimersByTime(10_000);
    expect(transport.responses(200)).toHaveLength(1);
    expect(transport.responses(200)[0]!.dest).toEqual({
      protocol: 'tcp',
      address: '127.0.0.2',
      port: 5999,
      connectionId: 'conn-1',
    });
    transport.deliver(
      request({ method: 'ACK', branch: 'z9hG4bK-ack-t', via: tcpVia, toTag: 'lt' }),
      tcpInfo,
    );
    expect(seen.acks).toHaveLength(1);
    expect(layer.serverTransactionCount).toBe(0);
  });

  test('non-INVITE: retransmission before the answer is dropped, after it answered; timer J', () => {
    incoming({ method: 'OPTIONS', branch: 'z9hG4bK-s8' });
    const txn = only();
    incoming({ method: 'OPTIONS', branch: 'z9hG4bK-s8' });
    expect(transport.sent).toHaveLength(0);
    expect(seen.requests).toHaveLength(1);
    void txn.respond(response(req0(), 200));
    expect(() => txn.respond(response(req0(), 200))).toThrow(InvalidStateError);
    incoming({ method: 'OPTIONS', branch: 'z9hG4bK-s8' });
    expect(transport.responses(200)).toHaveLength(2);
    jest.advanceTimersByTime(32_000);
    expect(layer.serverTransactionCount).toBe(0);
  });

  test('non-INVITE never answered: timeout event after 64·T1 + T4 and removed', () => {
    incoming({ method: 'MESSAGE', branch: 'z9hG4bK-s9' });
    const txn = only();
    const timeout = jest.fn();
    txn.on('timeout', timeout);
    jest.advanceTimersByTime(36_999);
    expect(timeout).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(timeout).toHaveBeenCalledTimes(1);
    expect(layer.serverTransactionCount).toBe(0);
  });

  test('same branch from another sent-by, or another method, is a different transaction', () => {
    incoming({ method: 'OPTIONS', branch: 'z9hG4bK-same' });
    incoming({ method: 'OPTIONS', branch: 'z9hG4bK-same', via: 'SIP/2.0/UDP 127.0.0.8:5999' });
    incoming({ method: 'INFO', branch: 'z9hG4bK-same' });
    expect(seen.requests).toHaveLength(3);
    expect(layer.serverTransactionCount).toBe(3);
  });

  test('CANCEL: its own transaction, and findInviteServerTransaction finds the INVITE', () => {
    incoming({ method: 'INVITE', branch: 'z9hG4bK-c1' });
    const invite = incoming({ method: 'CANCEL', branch: 'z9hG4bK-c1' });
    expect(seen.requests.map((r) => r.req.method)).toEqual(['INVITE', 'CANCEL']);
    expect(layer.findInviteServerTransaction(invite)).toBe(seen.requests[0]!.txn);
    expect(
      layer.findInviteServerTransaction(request({ method: 'CANCEL', branch: 'z9hG4bK-none', via })),
    ).toBeUndefined();
  });

  test('RFC 2543 peers (no magic cookie): retransmission still matched', () => {
    incoming({ method: 'INVITE', branch: '1234' });
    incoming({ method: 'INVITE', branch: '1234' });
    const txn = only();
    void txn.respond(response(req0(), 486));
    incoming({ method: 'ACK', branch: '1234', toTag: 'uas-tag' });
    expect(txn.state).toBe('confirmed');
    expect(seen.acks).toHaveLength(0);
  });

  test('respond() rejects when the transport fails, and the transaction ends', async () => {
    incoming({ method: 'OPTIONS', branch: 'z9hG4bK-f1' });
    const txn = only();
    const transportError = jest.fn();
    txn.on('transportError', transportError);
    transport.failWith = new Error('unreachable');
    await expect(txn.respond(response(req0(), 200))).rejects.toThrow('unreachable');
    expect(transportError).toHaveBeenCalledTimes(1);
    expect(layer.serverTransactionCount).toBe(0);
  });

  test('INVITE 2xx (Accepted): the request is let go; retransmitted INVITEs and timer G resend the same bytes until the ACK, then the response is let go too', () => {
    incoming({ method: 'INVITE', branch: 'z9hG4bK-sl1', cseq: 7 });
    const txn = only();
    const ok = response(req0(), 200, 'lt');
    // Bytes that are not ASCII must come back exact (the response is kept as latin1 text).
    ok.body = Buffer.from('v=0\r\ns=caf\u00e9\r\n\u00ff', 'utf8');
    void txn.respond(ok);
    expect(txn.request).toBeUndefined();
    const first = transport.responses(200)[0]!.data;
    incoming({ method: 'INVITE', branch: 'z9hG4bK-sl1', cseq: 7 });
    jest.advanceTimersByTime(500);
    const resent = transport.responses(200);
    expect(resent.map((r) => r.at)).toEqual([0, 0, 500]);
    expect(resent.every((r) => r.data.equals(first))).toBe(true);
    expect(seen.requests).toHaveLength(1);
    incoming({ method: 'ACK', branch: 'z9hG4bK-ack-sl1', cseq: 7, toTag: 'lt' });
    expect(seen.acks).toHaveLength(1);
    // The transaction object ends with the ACK: the layer keeps only its keys until timer L.
    expect(txn.state).toBe('terminated');
    expect(txn.finalResponse).toBeUndefined();
    // No timer of its own left: the layer's two sweeps (INVITE keys, ACK keys) serve all such.
    expect(jest.getTimerCount()).toBe(2);
    // Still absorbing, for timer L: INVITE and ACK retransmissions, nothing sent, nothing emitted.
    incoming({ method: 'INVITE', branch: 'z9hG4bK-sl1', cseq: 7 });
    incoming({ method: 'ACK', branch: 'z9hG4bK-ack-sl1', cseq: 7, toTag: 'lt' });
    jest.advanceTimersByTime(10_000);
    expect(transport.responses(200)).toHaveLength(3);
    expect(seen.requests).toHaveLength(1);
    expect(seen.acks).toHaveLength(1);
    expect(layer.serverTransactionCount).toBe(1);
    jest.advanceTimersByTime(21_500);
    expect(layer.serverTransactionCount).toBe(0);
  });

  test('INVITE non-2xx: the same bytes on each retransmission; once ACKed (Confirmed) the response is let go and INVITEs are absorbed', () => {
    incoming({ method: 'INVITE', branch: 'z9hG4bK-sl2' });
    const txn = only();
    void txn.respond(response(req0(), 486));
    expect(txn.request).toBeUndefined();
    incoming({ method: 'INVITE', branch: 'z9hG4bK-sl2' });
    jest.advanceTimersByTime(500);
    const busy = transport.responses(486);
    expect(busy).toHaveLength(3);
    expect(busy.every((r) => r.data.equals(busy[0]!.data))).toBe(true);
    incoming({ method: 'ACK', branch: 'z9hG4bK-sl2', toTag: 'uas-tag' });
    expect(txn.state).toBe('confirmed');
    expect(txn.finalResponse).toBeUndefined();
    incoming({ method: 'INVITE', branch: 'z9hG4bK-sl2' });
    expect(transport.responses(486)).toHaveLength(3);
    expect(seen.requests).toHaveLength(1);
    jest.advanceTimersByTime(5000);
    expect(layer.serverTransactionCount).toBe(0);
  });

  test('an answered non-INVITE over UDP is kept as bytes only, and freed by a timer when timer J ends, with no request after it', async () => {
    incoming({ method: 'OPTIONS', branch: 'z9hG4bK-sl3' });
    const txn = only();
    void txn.respond(response(req0(), 200));
    // The transaction hands its answer to the layer once the send completed.
    await Promise.resolve();
    await Promise.resolve();
    expect(txn.state).toBe('terminated');
    expect(layer.serverTransactionCount).toBe(0);
    expect(layer.completedTransactionCount).toBe(1);
    incoming({ method: 'OPTIONS', branch: 'z9hG4bK-sl3' });
    expect(transport.responses(200)).toHaveLength(2);
    expect(transport.responses(200)[1]!.data.equals(transport.responses(200)[0]!.data)).toBe(true);
    jest.advanceTimersByTime(31_999);
    expect(layer.completedTransactionCount).toBe(1);
    jest.advanceTimersByTime(1001);
    expect(layer.completedTransactionCount).toBe(0);
    // Gone for real: the same request now opens a new transaction.
    incoming({ method: 'OPTIONS', branch: 'z9hG4bK-sl3' });
    expect(seen.requests).toHaveLength(2);
  });

  test('stop clears every transaction and timer', () => {
    incoming({ method: 'INVITE', branch: 'z9hG4bK-x1' });
    incoming({ method: 'OPTIONS', branch: 'z9hG4bK-x2' });
    void seen.requests[0]!.txn.respond(response(seen.requests[0]!.req, 200));
    expect(jest.getTimerCount()).toBeGreaterThan(0);
    layer.stop();
    expect(layer.serverTransactionCount).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    // Messages after stop are ignored.
    incoming({ method: 'OPTIONS', branch: 'z9hG4bK-x3' });
    expect(seen.requests).toHaveLength(2);
  });
});

describe('server transaction cap', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  test('beyond maxServerTransactions new requests get a stateless 503 and are not emitted', () => {
    const transport = new FakeTransport();
    const layer = new TransactionLayer({ transport, maxServerTransactions: 3 });
    const emitted = jest.fn();
    layer.on('request', emitted);
    for (let i = 0; i < 10; i++) {
      transport.deliver(request({ method: 'OPTIONS', branch: `z9hG4bK-cap-${i}` }), udpInfo);
    }
    expect(emitted).toHaveBeenCalledTimes(3);
    expect(layer.serverTransactionCount).toBe(3);
    expect(transport.responses(503)).toHaveLength(7);
    // Retransmissions of admitted requests are still absorbed, not refused.
    transport.deliver(request({ method: 'OPTIONS', branch: 'z9hG4bK-cap-0' }), udpInfo);
    expect(transport.responses(503)).toHaveLength(7);
    jest.advanceTimersByTime(37_000);
    expect(layer.serverTransactionCount).toBe(0);
    layer.stop();
  });
});
