import {
  formatVia,
  fromTag,
  toTag,
  getHeader,
  makeResponse,
  parseMessage,
  parseNameAddr,
  parseParams,
  parseUri,
  parseVia,
  serializeMessage,
  topVia,
  topViaOf,
  type SipRequest,
} from '../../src/message';
import { applyReceived, responseDestination } from '../../src/transport';
import { sip } from './helpers';

// The hot path reads each request's top Via once and shares the result (parser check, received
// stamp, transaction key, response destination), and parameter maps are fast objects without a
// prototype chain of their own. These tests hold what that sharing must never change.

function register(via: string, extra: string[] = []): SipRequest {
  const r = parseMessage(
    sip([
      'REGISTER sip:127.0.0.1 SIP/2.0',
      `Via: ${via}`,
      'From: <sip:200@127.0.0.1>;tag=f1',
      'To: <sip:200@127.0.0.1>',
      'Call-ID: c1@127.0.0.2',
      'CSeq: 1 REGISTER',
      'Contact: <sip:200@127.0.0.2:5062>',
      ...extra,
    ]),
  );
  if (!r.ok || r.message.kind !== 'request') throw new Error('test request did not parse');
  return r.message;
}

describe('parameter maps', () => {
  it('inherit nothing and keep __proto__, constructor and toString as plain keys', () => {
    const p = parseParams(';__proto__=x;constructor=y;lr')!;
    expect(Object.keys(p)).toEqual(['__proto__', 'constructor', 'lr']);
    expect(p['__proto__']).toBe('x');
    expect(p['constructor']).toBe('y');
    expect('toString' in p).toBe(false);
    expect('hasOwnProperty' in p).toBe(false);
    const keys: string[] = [];
    for (const k in p) keys.push(k);
    expect(keys).toEqual(['__proto__', 'constructor', 'lr']);
    // The map's prototype was not replaced by the `__proto__` parameter.
    expect(Object.getPrototypeOf(Object.getPrototypeOf(p))).toBeNull();
  });

  it('keep what they kept before: first repeated parameter, last repeated URI header', () => {
    expect(parseVia('SIP/2.0/UDP h;branch=z9hG4bKa;branch=b')!.params['branch']).toBe('z9hG4bKa');
    const na = parseNameAddr('<sip:u@h;transport=udp;transport=tcp?x=1&x=2>;tag=a;tag=b')!;
    expect(na.params['tag']).toBe('a');
    expect(na.uri.params['transport']).toBe('udp');
    expect(na.uri.headers['x']).toBe('2');
    expect('toString' in parseUri('sip:u@h')!.headers).toBe(false);
  });
});

describe('one Via read shared along the request path', () => {
  it('stamps received/rport without changing the Via the parser shared', () => {
    const req = register('SIP/2.0/UDP 127.0.0.9:5062;branch=z9hG4bKs1');
    const shared = topVia(req)!;
    const before = JSON.stringify({ ...shared, params: { ...shared.params } });
    const stamped = applyReceived(req, { protocol: 'udp', address: '127.0.0.2', port: 41000 });
    expect(getHeader(stamped, 'Via')).toBe(
      'SIP/2.0/UDP 127.0.0.9:5062;branch=z9hG4bKs1;rport=41000;received=127.0.0.2',
    );
    expect(JSON.stringify({ ...shared, params: { ...shared.params } })).toBe(before);
    expect(getHeader(req, 'Via')).toBe('SIP/2.0/UDP 127.0.0.9:5062;branch=z9hG4bKs1');
  });

  it('gives the stamped Via the fields a fresh parse of its text gives', () => {
    for (const via of [
      'SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bKa1;rport',
      'SIP/2.0/UDP 127.0.0.9;branch=z9hG4bKa2;received=127.0.0.7;x="q;v"',
      'SIP/2.0/TCP [::1]:5070;branch=z9hG4bKa3;flag',
      'SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bKa4, SIP/2.0/UDP 127.0.0.3;branch=z9hG4bKb',
    ]) {
      const stamped = applyReceived(register(via), {
        protocol: 'udp',
        address: '127.0.0.2',
        port: 40000,
      });
      const value = getHeader(stamped, 'Via')!;
      const remembered = topViaOf(value);
      const fresh = parseVia(value.split(/,\s*(?=SIP\/)/)[0]!);
      expect(fresh).toBeDefined();
      expect({ ...remembered, params: { ...remembered!.params } }).toEqual({
        ...fresh,
        params: { ...fresh!.params },
      });
      expect(formatVia(remembered!)).toBe(formatVia(fresh!));
    }
  });

  it('sends a response with the request Via where a fresh read of that Via says', () => {
    const stamped = applyReceived(register('SIP/2.0/UDP 127.0.0.9:5062;branch=z9hG4bKd1'), {
      protocol: 'udp',
      address: '127.0.0.2',
      port: 40002,
    });
    // Another message read in between must not leak its Via into this one.
    register('SIP/2.0/UDP 127.0.0.5:5099;branch=z9hG4bKother');
    const res = makeResponse(stamped, 200);
    expect(responseDestination(res)).toEqual({
      protocol: 'udp',
      address: '127.0.0.2',
      port: 40002,
    });
  });

  it('refuses a request whose top Via is malformed, and one without a Via, with 400', () => {
    for (const [via, reason] of [
      ['SIP/2.0/UDP', 'Bad Via Header'],
      ['SIP/2.0/UDP 127.0.0.2:99999;branch=z9hG4bKx', 'Bad Via Header'],
      ['SIP/3.0/UDP 127.0.0.2;branch=z9hG4bKx', 'Bad Via Header'],
      ['SIP/2.0/UDP 127.0.0.2;=x', 'Bad Via Header'],
    ] as const) {
      const r = parseMessage(
        sip([
          'OPTIONS sip:127.0.0.1 SIP/2.0',
          `Via: ${via}`,
          'From: <sip:a@127.0.0.1>;tag=1',
          'To: <sip:b@127.0.0.1>',
          'Call-ID: x',
          'CSeq: 1 OPTIONS',
        ]),
      );
      expect(r.ok).toBe(false);
      if (!r.ok) expect([r.error.status, r.error.reason]).toEqual([400, reason]);
    }
    const none = parseMessage(
      sip([
        'OPTIONS sip:127.0.0.1 SIP/2.0',
        'From: <sip:a@h>;tag=1',
        'To: <sip:b@h>',
        'Call-ID: x',
        'CSeq: 1 OPTIONS',
      ]),
    );
    expect(none.ok ? '' : none.error.reason).toBe('Missing Via Header');
  });
});

describe('From and To tags remembered by the parser', () => {
  it('give what a fresh parse gives, tag or none, for the message just parsed and older ones', () => {
    const a = register('SIP/2.0/UDP 127.0.0.2;branch=z9hG4bKt1');
    const b = parseMessage(
      sip([
        'OPTIONS sip:127.0.0.1 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bKt2',
        'From: "A" <sip:a@127.0.0.1>;TAG="q1"',
        'To: <sip:b@127.0.0.1>;tag=t2',
        'Call-ID: t@127.0.0.2',
        'CSeq: 1 OPTIONS',
      ]),
    );
    if (!b.ok || b.message.kind !== 'request') throw new Error('did not parse');
    expect([fromTag(b.message), toTag(b.message)]).toEqual(['q1', 't2']);
    expect([fromTag(a), toTag(a)]).toEqual(['f1', undefined]);
    expect([fromTag(b.message), toTag(b.message)]).toEqual(['q1', 't2']);
  });
});

describe('makeResponse (one pass over the request)', () => {
  it('copies every Via in order, then the first From, To, Call-ID, CSeq; Timestamp only on 100', () => {
    const req = register('SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bKm1', [
      'Via: SIP/2.0/UDP 127.0.0.3;branch=z9hG4bKm2',
      'Timestamp: 54',
    ]);
    const trying = makeResponse(req, 100);
    expect(trying.headers.map((h) => h.name)).toEqual([
      'Via',
      'Via',
      'From',
      'To',
      'Call-ID',
      'CSeq',
      'Timestamp',
    ]);
    const ok = makeResponse(req, 200, undefined, {
      toTag: 't9',
      headers: [{ name: 'expires', value: '60' }],
    });
    expect(ok.headers).toEqual([
      { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bKm1' },
      { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.3;branch=z9hG4bKm2' },
      { name: 'From', value: '<sip:200@127.0.0.1>;tag=f1' },
      { name: 'To', value: '<sip:200@127.0.0.1>;tag=t9' },
      { name: 'Call-ID', value: 'c1@127.0.0.2' },
      { name: 'CSeq', value: '1 REGISTER' },
      { name: 'Expires', value: '60' },
    ]);
    expect(serializeMessage(ok).toString('latin1')).toContain('Content-Length: 0\r\n\r\n');
  });
});
