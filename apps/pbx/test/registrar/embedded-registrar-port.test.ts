/**
 * The registrar's port on the embedded SIP server: a parsed REGISTER becomes the same
 * RegisterRequest drachtio-srf would have given (header lines joined by `,`, compact names
 * read), outcomes become the server's answers, and failures of the registrar become 503/500
 * answers instead of rejections. Guard and OPTIONS stay on the srf port.
 */
import pino from 'pino';
import type { LocalAnswer, LocalRequestHandler, ReceiveInfo, SipRequest } from '@pbx/sip-server';
import {
  embeddedRegistrarPort,
  localAnswerOf,
  registerRequestOf,
} from '../../src/signalling/embedded-registrar-port';
import type { RegistrarSipPort } from '../../src/registrar/sip-port';
import type { RegisterRequest } from '../../src/registrar/registrar';

const log = pino({ level: 'silent' });

const info: ReceiveInfo = {
  source: { protocol: 'tcp', address: '127.0.0.5', port: 5070 },
  local: { address: '127.0.0.1', port: 5060 },
  connectionId: 'c1',
  bytes: 400,
};

function request(headers: [string, string][]): SipRequest {
  return {
    kind: 'request',
    method: 'REGISTER',
    uri: 'sip:pbx.local',
    headers: headers.map(([name, value]) => ({ name, value })),
    body: Buffer.alloc(0),
  };
}

const REGISTER = request([
  ['v', 'SIP/2.0/TCP 127.0.0.5:5070;branch=z9hG4bK-1;rport=5070'],
  ['From', '<sip:201@pbx.local>;tag=a'],
  ['t', '<sip:201@pbx.local>'],
  ['i', 'call-1@127.0.0.5'],
  ['CSeq', '12 REGISTER'],
  ['m', '<sip:201@127.0.0.5:5070>;expires=60'],
  ['Contact', '<sip:201@127.0.0.6:5070>'],
  ['Expires', '300'],
  ['Authorization', 'Digest username="201", realm="pbx.local"'],
  ['User-Agent', 'desk phone'],
]);

function fakeSrfPort(calls: string[]): RegistrarSipPort {
  return {
    guard: () => calls.push('guard'),
    onRegister: () => calls.push('srf-register'),
    sendOptions: async () => {
      calls.push('options');
      return 200;
    },
  };
}

describe('embedded registrar port', () => {
  it('reads a parsed REGISTER as srf would hand it over', () => {
    expect(registerRequestOf(REGISTER, info)).toEqual<RegisterRequest>({
      requestUri: 'sip:pbx.local',
      to: '<sip:201@pbx.local>',
      callId: 'call-1@127.0.0.5',
      cseq: 12,
      contact: '<sip:201@127.0.0.5:5070>;expires=60,<sip:201@127.0.0.6:5070>',
      expires: '300',
      authorization: 'Digest username="201", realm="pbx.local"',
      via: 'SIP/2.0/TCP 127.0.0.5:5070;branch=z9hG4bK-1;rport=5070',
      userAgent: 'desk phone',
      source: { ip: '127.0.0.5', port: 5070, protocol: 'tcp' },
    });
    const bare = registerRequestOf(request([['CSeq', 'x REGISTER']]), info);
    expect(bare).toMatchObject({ cseq: 0, callId: '', to: undefined, authorization: undefined });
  });

  it('turns outcomes into answers', () => {
    expect(localAnswerOf({ kind: 'drop' })).toEqual({ kind: 'drop' });
    expect(
      localAnswerOf({
        kind: 'reply',
        status: 200,
        headers: { Contact: '<sip:a@b>', Expires: '60' },
      }),
    ).toEqual<LocalAnswer>({
      kind: 'reply',
      status: 200,
      reason: 'OK',
      headers: [
        { name: 'Contact', value: '<sip:a@b>' },
        { name: 'Expires', value: '60' },
      ],
    });
    expect(localAnswerOf({ kind: 'reply', status: 403, phrase: 'Nope', headers: {} })).toEqual({
      kind: 'reply',
      status: 403,
      reason: 'Nope',
      headers: [],
    });
  });

  it('answers REGISTER in the server, keeps the rest on srf, and never rejects', async () => {
    const calls: string[] = [];
    let handler: LocalRequestHandler | undefined;
    const port = embeddedRegistrarPort(
      fakeSrfPort(calls),
      {
        handleLocally: (method, h) => {
          calls.push(`local-${method}`);
          handler = h;
        },
      },
      log,
    );
    port.guard(() => 'ok');
    const seen: RegisterRequest[] = [];
    let fail: unknown;
    port.onRegister(async (req) => {
      seen.push(req);
      if (fail) throw fail;
      return { kind: 'reply', status: 401, headers: { 'WWW-Authenticate': 'Digest x' } };
    });
    expect(
      await port.sendOptions({ requestUri: 'sip:201@127.0.0.5', via: 'contact' }, '<sip:pbx>', 100),
    ).toBe(200);
    expect(calls).toEqual(['guard', 'srf-register', 'local-REGISTER', 'options']);

    expect(await handler!(REGISTER, info)).toEqual({
      kind: 'reply',
      status: 401,
      reason: 'Unauthorized',
      headers: [{ name: 'WWW-Authenticate', value: 'Digest x' }],
    });
    expect(seen[0]?.callId).toBe('call-1@127.0.0.5');

    fail = Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' });
    expect(await handler!(REGISTER, info)).toEqual({
      kind: 'reply',
      status: 503,
      reason: 'Database Full',
      headers: [{ name: 'Retry-After', value: '60' }],
    });
    fail = new Error('bug');
    expect(await handler!(REGISTER, info)).toMatchObject({ kind: 'reply', status: 500 });
  });
});
