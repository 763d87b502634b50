import type { SrfRequest } from '../../src/signalling/srf';
import pino from 'pino';
import { decideRegister, toRegisterRequest } from '../../src/signalling/srf-registrar-port';

/** An srf request as drachtio-srf's parser leaves it: header names lower-cased. */
function request(headers: Record<string, string>): SrfRequest {
  return {
    uri: 'sip:127.0.0.1',
    headers,
    source_address: '127.0.0.5',
    source_port: '5062',
    protocol: 'UDP',
  } as unknown as SrfRequest;
}

describe('toRegisterRequest', () => {
  it('reads the registrar headers from the header table', () => {
    expect(
      toRegisterRequest(
        request({
          via: 'SIP/2.0/UDP 127.0.0.5:5062;branch=z9hG4bK1',
          from: '<sip:201@127.0.0.1>;tag=1',
          to: '<sip:201@127.0.0.1>',
          'call-id': 'c1',
          cseq: '7 REGISTER',
          contact: '<sip:201@127.0.0.5:5062>',
          expires: '3600',
          authorization: 'Digest username="201"',
          'user-agent': 'phone/1',
          'content-length': '0',
        }),
      ),
    ).toEqual({
      requestUri: 'sip:127.0.0.1',
      to: '<sip:201@127.0.0.1>',
      callId: 'c1',
      cseq: 7,
      contact: '<sip:201@127.0.0.5:5062>',
      expires: '3600',
      authorization: 'Digest username="201"',
      via: 'SIP/2.0/UDP 127.0.0.5:5062;branch=z9hG4bK1',
      userAgent: 'phone/1',
      source: { ip: '127.0.0.5', port: 5062, protocol: 'udp' },
    });
  });

  it('matches names in any case and leaves absent headers undefined', () => {
    const r = toRegisterRequest(
      request({ To: '<sip:202@127.0.0.1>', 'CALL-ID': 'c2', CSeq: 'x REGISTER' }),
    );
    expect(r).toMatchObject({ to: '<sip:202@127.0.0.1>', callId: 'c2', cseq: 0 });
    expect([r.contact, r.expires, r.authorization, r.via, r.userAgent]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('decideRegister', () => {
  const log = pino({ level: 'silent' });
  const req = toRegisterRequest(request({ to: '<sip:201@127.0.0.1>', 'call-id': 'c3' }));
  const failing = (err: Error) => () => Promise.reject(err);

  it('passes an outcome decided at once through as it is, and a throw as a 500', () => {
    const challenge = { kind: 'reply' as const, status: 401, headers: {} };
    expect(decideRegister(() => challenge, req, log)).toBe(challenge);
    const thrown = decideRegister(
      () => {
        throw new Error('bug');
      },
      req,
      log,
    );
    expect(thrown).toMatchObject({ kind: 'reply', status: 500 });
  });

  it('answers a registration whose write failed with no 200: 503 for storage, else 500', async () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    expect(await decideRegister(failing(full), req, log)).toEqual({
      kind: 'reply',
      status: 503,
      phrase: 'Database Full',
      headers: { 'Retry-After': '60' },
    });
    const fk = Object.assign(new Error('FOREIGN KEY constraint failed'), {
      code: 'SQLITE_CONSTRAINT',
    });
    expect(await decideRegister(failing(fk), req, log)).toMatchObject({
      kind: 'reply',
      status: 500,
    });
  });
});
