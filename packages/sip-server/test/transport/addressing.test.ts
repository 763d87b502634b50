import { getHeaders, parseMessage, topVia } from '../../src/message';
import type { SipRequest, SipResponse } from '../../src/message/types';
import { applyReceived, normalizeAddress, responseDestination } from '../../src/transport';
import type { ReceiveInfo } from '../../src/transport';
import { requestText } from './helpers';

function request(text: string): SipRequest {
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== 'request') throw new Error('bad fixture');
  return r.message;
}

function responseFor(req: SipRequest): SipResponse {
  return {
    kind: 'response',
    status: 200,
    reason: 'OK',
    headers: req.headers.filter((h) => h.name !== 'Max-Forwards'),
    body: Buffer.alloc(0),
  };
}

describe('applyReceived (RFC 3581, drachtio §6.9)', () => {
  test('adds rport even when the sender did not ask, no received when the host matches', () => {
    const req = applyReceived(request(requestText({ via: 'SIP/2.0/UDP 127.0.0.1:5999' })), {
      protocol: 'udp',
      address: '127.0.0.1',
      port: 40000,
    });
    const via = topVia(req);
    expect(via?.params.rport).toBe('40000');
    expect(via?.params.received).toBeUndefined();
    expect(via?.params.branch).toBe('z9hG4bK-test-1');
  });

  test('fills an empty rport and adds received when the Via host differs', () => {
    const original = request(requestText({ via: 'SIP/2.0/UDP 127.0.0.9:5060;rport' }));
    const req = applyReceived(original, { protocol: 'udp', address: '127.0.0.1', port: 41000 });
    expect(topVia(req)?.params).toMatchObject({ rport: '41000', received: '127.0.0.1' });
    // The input is not changed.
    expect(topVia(original)?.params.rport).toBeNull();
  });

  test('only the top Via of a comma-joined line changes', () => {
    const text = requestText({
      via: 'SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bK-top, SIP/2.0/UDP 127.0.0.8:5070',
    });
    const req = applyReceived(request(text), {
      protocol: 'udp',
      address: '127.0.0.1',
      port: 42000,
    });
    const vias = getHeaders(req, 'Via');
    expect(vias).toHaveLength(2);
    expect(vias[0]).toContain('rport=42000');
    expect(vias[0]).toContain('received=127.0.0.1');
    expect(vias[1]).not.toContain('rport');
  });

  test('normalizes IPv4-mapped IPv6 and brackets', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('[::1]')).toBe('::1');
  });
});

describe('responseDestination (RFC 3261 §18.2.2 + RFC 3581)', () => {
  const udpInfo: ReceiveInfo = {
    source: { protocol: 'udp', address: '127.0.0.1', port: 40000 },
    local: { address: '127.0.0.1', port: 5060 },
    bytes: 100,
  };

  test('UDP: received and rport win', () => {
    const req = applyReceived(
      request(requestText({ via: 'SIP/2.0/UDP 127.0.0.9:5999' })),
      udpInfo.source,
    );
    expect(responseDestination(responseFor(req), udpInfo)).toEqual({
      protocol: 'udp',
      address: '127.0.0.1',
      port: 40000,
    });
  });

  test('UDP without rport/received: Via host and port, default 5060', () => {
    const withPort = request(requestText({ via: 'SIP/2.0/UDP 127.0.0.9:5999' }));
    expect(responseDestination(responseFor(withPort))).toEqual({
      protocol: 'udp',
      address: '127.0.0.9',
      port: 5999,
    });
    const noPort = request(requestText({ via: 'SIP/2.0/UDP 127.0.0.9' }));
    expect(responseDestination(responseFor(noPort))).toEqual({
      protocol: 'udp',
      address: '127.0.0.9',
      port: 5060,
    });
  });

  test('TCP: same connection, fallback to received at the Via port', () => {
    const info: ReceiveInfo = {
      source: { protocol: 'tcp', address: '127.0.0.1', port: 51000 },
      local: { address: '127.0.0.1', port: 5060 },
      connectionId: 'conn-1',
      bytes: 100,
    };
    const req = applyReceived(
      request(requestText({ via: 'SIP/2.0/TCP 127.0.0.9:5999' })),
      info.source,
    );
    expect(responseDestination(responseFor(req), info)).toEqual({
      protocol: 'tcp',
      address: '127.0.0.1',
      port: 5999,
      connectionId: 'conn-1',
    });
  });

  test('TLS without a port in Via defaults to 5061', () => {
    const req = request(requestText({ via: 'SIP/2.0/TLS 127.0.0.9' }));
    expect(responseDestination(responseFor(req))).toEqual({
      protocol: 'tls',
      address: '127.0.0.9',
      port: 5061,
    });
  });
});
