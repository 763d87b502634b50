import {
  branch,
  callId,
  cseq,
  fromTag,
  getHeader,
  getHeaders,
  makeResponse,
  methodOf,
  parseMessage,
  randomBranch,
  randomCallId,
  randomTag,
  reasonPhrase,
  serializeMessage,
  StatusCode,
  toTag,
  topVia,
} from '../../src/message';
import { invite, parseRequest, parseResponse, sip } from './helpers';

describe('accessors', () => {
  const req = parseRequest(invite(['Via: SIP/2.0/UDP 127.0.0.9;branch=z9hG4bKsecond']));

  it('read the hot headers of a request', () => {
    expect(callId(req)).toBe('a84b4c76e66710@127.0.0.2');
    expect(cseq(req)).toEqual({ seq: 314159, method: 'INVITE' });
    expect(fromTag(req)).toBe('1928301774');
    expect(toTag(req)).toBeUndefined();
    expect(topVia(req)).toMatchObject({ transport: 'UDP', host: '127.0.0.2', port: 5062 });
    expect(branch(req)).toBe('z9hG4bK776asdhds');
    expect(methodOf(req)).toBe('INVITE');
  });

  it('read the method of a response from CSeq', () => {
    const res = parseResponse(
      sip([
        'SIP/2.0 200 OK',
        'Via: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bKx, SIP/2.0/UDP 127.0.0.3;branch=z9hG4bKy',
        'From: <sip:a@127.0.0.1>;tag=f',
        'To: sip:b@127.0.0.1;tag="quoted"',
        'Call-ID: c',
        'CSeq: 7 BYE',
      ]),
    );
    expect(methodOf(res)).toBe('BYE');
    expect(toTag(res)).toBe('quoted');
    expect(branch(res)).toBe('z9hG4bKx');
  });

  it('return undefined when headers are missing or malformed', () => {
    const empty = {
      kind: 'request' as const,
      method: 'X',
      uri: 'sip:a@b',
      headers: [],
      body: Buffer.alloc(0),
    };
    expect([
      callId(empty),
      cseq(empty),
      fromTag(empty),
      toTag(empty),
      topVia(empty),
      branch(empty),
    ]).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    const bad = {
      ...empty,
      headers: [
        { name: 'Via', value: 'garbage' },
        { name: 'CSeq', value: 'x' },
      ],
    };
    expect(topVia(bad)).toBeUndefined();
    expect(cseq(bad)).toBeUndefined();
  });
});

describe('makeResponse (RFC 3261 §8.2.6)', () => {
  const req = parseRequest(
    invite([
      'Via: SIP/2.0/UDP 127.0.0.9;branch=z9hG4bKsecond',
      'Record-Route: <sip:127.0.0.5;lr>',
      'Timestamp: 54',
    ]),
  );

  it('copies all Vias in order, From, To, Call-ID, CSeq and nothing else', () => {
    const res = makeResponse(req, 180);
    expect(res).toMatchObject({ kind: 'response', status: 180, reason: 'Ringing' });
    expect(res.headers.map((h) => h.name)).toEqual(['Via', 'Via', 'From', 'To', 'Call-ID', 'CSeq']);
    expect(getHeaders(res, 'Via')).toEqual(getHeaders(req, 'Via'));
    expect(getHeader(res, 'From')).toBe(getHeader(req, 'From'));
    expect(res.body.length).toBe(0);
  });

  it('adds the To tag only when To has none', () => {
    const res = makeResponse(req, 200, undefined, { toTag: 'srv1' });
    expect(getHeader(res, 'To')).toBe('<sip:201@127.0.0.1>;tag=srv1');
    expect(toTag(res)).toBe('srv1');
    const again = makeResponse({ ...req, headers: res.headers }, 200, undefined, {
      toTag: 'other',
    });
    expect(toTag(again)).toBe('srv1');
  });

  it('copies Timestamp into a 100 only', () => {
    expect(getHeader(makeResponse(req, 100), 'Timestamp')).toBe('54');
    expect(getHeader(makeResponse(req, 180), 'Timestamp')).toBeUndefined();
  });

  it('appends extra headers and a body; the serializer adds Content-Length', () => {
    const res = makeResponse(req, 486, 'Busy Now', {
      headers: [{ name: 'retry-after', value: '60' }],
      body: Buffer.from('busy'),
    });
    expect(res.reason).toBe('Busy Now');
    expect(res.headers.at(-1)).toEqual({ name: 'Retry-After', value: '60' });
    const parsed = parseMessage(serializeMessage(res));
    expect(parsed.ok && parsed.message.body.toString()).toBe('busy');
    expect(parsed.ok && getHeader(parsed.message, 'Content-Length')).toBe('4');
  });

  it('builds a 400 for an answerable parse failure', () => {
    const r = parseMessage(
      sip([
        'OPTIONS sip:201@127.0.0.1 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bKq',
        'From: <sip:a@127.0.0.1>;tag=f',
        'To: <sip:b@127.0.0.1>',
        'Call-ID: c',
        'CSeq: 1 INVITE',
      ]),
    );
    expect(r.ok).toBe(false);
    if (r.ok || !r.error.answerable) throw new Error('expected answerable');
    const res = makeResponse(r.error.answerable, r.error.status, r.error.reason, {
      toTag: randomTag(),
    });
    const text = serializeMessage(res).toString();
    expect(
      text.startsWith(
        'SIP/2.0 400 CSeq Method Mismatch\r\nVia: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bKq\r\n',
      ),
    ).toBe(true);
  });
});

describe('reasonPhrase and StatusCode', () => {
  it.each([
    [100, 'Trying'],
    [180, 'Ringing'],
    [183, 'Session Progress'],
    [200, 'OK'],
    [202, 'Accepted'],
    [204, 'No Notification'],
    [302, 'Moved Temporarily'],
    [400, 'Bad Request'],
    [401, 'Unauthorized'],
    [407, 'Proxy Authentication Required'],
    [413, 'Request Entity Too Large'],
    [422, 'Session Interval Too Small'],
    [429, 'Provide Referrer Identity'],
    [480, 'Temporarily Unavailable'],
    [481, 'Call/Transaction Does Not Exist'],
    [486, 'Busy Here'],
    [487, 'Request Terminated'],
    [489, 'Bad Event'],
    [491, 'Request Pending'],
    [494, 'Security Agreement Required'],
    [500, 'Server Internal Error'],
    [503, 'Service Unavailable'],
    [505, 'Version Not Supported'],
    [603, 'Decline'],
    [604, 'Does Not Exist Anywhere'],
  ])('%i %s', (status, phrase) => {
    expect(reasonPhrase(status)).toBe(phrase);
  });

  it('falls back to the class for unknown codes', () => {
    expect(reasonPhrase(199 + 300)).toBe('Client Error');
    expect(reasonPhrase(299)).toBe('Success');
    expect(reasonPhrase(42)).toBe('');
  });

  it('names the codes', () => {
    expect(StatusCode).toMatchObject({
      Trying: 100,
      Ringing: 180,
      Ok: 200,
      Accepted: 202,
      BadRequest: 400,
      Unauthorized: 401,
      Forbidden: 403,
      NotFound: 404,
      ProxyAuthenticationRequired: 407,
      RequestTimeout: 408,
      RequestEntityTooLarge: 413,
      SessionIntervalTooSmall: 422,
      TemporarilyUnavailable: 480,
      CallTransactionDoesNotExist: 481,
      TooManyHops: 483,
      BusyHere: 486,
      RequestTerminated: 487,
      NotAcceptableHere: 488,
      RequestPending: 491,
      ServerInternalError: 500,
      ServiceUnavailable: 503,
      VersionNotSupported: 505,
      Decline: 603,
    });
    for (const code of Object.values(StatusCode)) expect(reasonPhrase(code)).not.toBe('');
  });
});

describe('random ids', () => {
  it('are unique, token-safe and branches carry the magic cookie', () => {
    const tags = new Set(Array.from({ length: 2000 }, () => randomTag()));
    expect(tags.size).toBe(2000);
    for (const t of tags) expect(t).toMatch(/^[0-9a-f]{16}$/);
    const branches = new Set(Array.from({ length: 2000 }, () => randomBranch()));
    expect(branches.size).toBe(2000);
    for (const b of branches) expect(b).toMatch(/^z9hG4bK[0-9a-f]{24}$/);
    const ids = new Set(Array.from({ length: 2000 }, () => randomCallId()));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});
