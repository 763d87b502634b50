import {
  callId,
  cseq,
  getHeader,
  getHeaders,
  parseMessage,
  parseNameAddr,
  serializeMessage,
  topVia,
  type SipMessage,
  type SipRequest,
} from '../../src/message';
import { invite, parseOk, parseRequest, parseResponse, SDP, sip } from './helpers';

const BASE = [
  'Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bKabc',
  'From: <sip:200@127.0.0.1>;tag=f1',
  'To: <sip:201@127.0.0.1>',
  'Call-ID: c1@127.0.0.2',
];

function options(extra: string[] = [], body: string | Buffer = ''): Buffer {
  return sip(
    ['OPTIONS sip:201@127.0.0.1 SIP/2.0', ...BASE, 'CSeq: 1 OPTIONS', 'Max-Forwards: 70', ...extra],
    body,
  );
}

function failure(data: Buffer, maxBytes?: number) {
  const r = parseMessage(data, maxBytes === undefined ? undefined : { maxBytes });
  if (r.ok) throw new Error('expected a parse failure');
  return r.error;
}

describe('parseMessage: start lines', () => {
  it('reads a request line and its headers in order', () => {
    const m = parseRequest(invite());
    expect(m).toMatchObject({ kind: 'request', method: 'INVITE', uri: 'sip:201@127.0.0.1:5060' });
    expect(m.headers[0]).toEqual({
      name: 'Via',
      value: 'SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK776asdhds;rport',
    });
    expect(m.headers.map((h) => h.name)).toEqual([
      'Via',
      'Max-Forwards',
      'From',
      'To',
      'Call-ID',
      'CSeq',
      'Contact',
      'Allow',
      'Content-Type',
      'Content-Length',
    ]);
    expect(m.body.toString()).toBe(SDP);
  });

  it('reads a status line', () => {
    const m = parseResponse(sip(['SIP/2.0 486 Busy Here', ...BASE, 'CSeq: 1 INVITE']));
    expect(m).toMatchObject({ kind: 'response', status: 486, reason: 'Busy Here' });
  });

  it('accepts a status line without reason or its space', () => {
    expect(parseResponse(sip(['SIP/2.0 180', ...BASE, 'CSeq: 1 INVITE'])).reason).toBe('');
  });

  it.each([
    ['SIP/2.0 99 Low', 'Bad Status Line'],
    ['SIP/2.0 700 High', 'Bad Status Line'],
    ['SIP/2.0 2000 OK', 'Bad Status Line'],
    ['SIP/2.0 20x OK', 'Bad Status Line'],
    ['SIP/2.0', 'Bad Status Line'],
  ])('refuses status line %j', (line, reason) => {
    expect(failure(sip([line, ...BASE, 'CSeq: 1 INVITE'])).reason).toBe(reason);
  });

  it('ignores CRLFs before the start line (RFC 3261 §7.5)', () => {
    const m = parseRequest(Buffer.concat([Buffer.from('\r\n\r\n'), options()]));
    expect(m.method).toBe('OPTIONS');
  });

  it('answers a wrong SIP version with 505, answerable when the rest is fine', () => {
    const err = failure(sip(['OPTIONS sip:201@127.0.0.1 SIP/3.0', ...BASE, 'CSeq: 1 OPTIONS']));
    expect(err.status).toBe(505);
    expect(err.answerable?.method).toBe('OPTIONS');
  });

  it('treats the version case-insensitively', () => {
    expect(
      parseRequest(sip(['OPTIONS sip:201@127.0.0.1 sip/2.0', ...BASE, 'CSeq: 1 OPTIONS'])).method,
    ).toBe('OPTIONS');
  });

  it.each([
    ['OPTIONS sip:201@127.0.0.1', 'Bad Request Line'],
    ['OPT<IONS sip:201@127.0.0.1 SIP/2.0', 'Bad Request Line'],
    ['OPTIONS sip:201@127.0.0.1 HTTP/1.1', 'Bad Request Line'],
    ['garbage', 'Bad Request Line'],
  ])('refuses request line %j without answer', (line, reason) => {
    const err = failure(sip([line, ...BASE, 'CSeq: 1 OPTIONS']));
    expect(err.reason).toBe(reason);
    expect(err.answerable).toBeUndefined();
  });

  it.each([
    ['<sip:201@127.0.0.1>'],
    ['sip:'],
    ['sip:201@'],
    ['sip:201@127.0.0.1?Subject=x'],
    ['sip:201@127.0.0.1:99999'],
    ['201'],
  ])('answers a bad Request-URI %j with 400', (uri) => {
    const err = failure(sip([`OPTIONS ${uri} SIP/2.0`, ...BASE, 'CSeq: 1 OPTIONS']));
    expect(err).toMatchObject({ reason: 'Bad Request-URI', status: 400 });
    expect(err.answerable?.uri).toBe(uri);
  });

  it('accepts other URI schemes in the Request-URI', () => {
    expect(
      parseRequest(sip(['OPTIONS urn:service:sos SIP/2.0', ...BASE, 'CSeq: 1 OPTIONS'])).uri,
    ).toBe('urn:service:sos');
    expect(
      parseRequest(sip(['OPTIONS tel:+4930123 SIP/2.0', ...BASE, 'CSeq: 1 OPTIONS'])).uri,
    ).toBe('tel:+4930123');
  });
});

describe('parseMessage: headers', () => {
  it('expands compact forms to canonical names', () => {
    const m = parseOk(
      sip(
        [
          'INVITE sip:201@127.0.0.1 SIP/2.0',
          'v: SIP/2.0/TCP 127.0.0.2;branch=z9hG4bK1',
          'f: <sip:200@127.0.0.1>;tag=a',
          't: <sip:201@127.0.0.1>',
          'i: compact@127.0.0.2',
          'CSeq: 5 INVITE',
          'm: <sip:200@127.0.0.2>',
          'k: timer',
          'o: refer',
          'u: talk, hold',
          'r: <sip:202@127.0.0.1>',
          'b: <sip:200@127.0.0.1>',
          'x: 1800;refresher=uac',
          'y: abc',
          'e: gzip',
          's: Hello',
          'c: text/plain',
          'l: 2',
        ],
        'hi',
      ),
    );
    expect(m.headers.map((h) => h.name)).toEqual([
      'Via',
      'From',
      'To',
      'Call-ID',
      'CSeq',
      'Contact',
      'Supported',
      'Event',
      'Allow-Events',
      'Refer-To',
      'Referred-By',
      'Session-Expires',
      'Identity',
      'Content-Encoding',
      'Subject',
      'Content-Type',
      'Content-Length',
    ]);
    expect(callId(m)).toBe('compact@127.0.0.2');
    expect(getHeader(m, 'i')).toBe('compact@127.0.0.2');
    expect(m.body.toString()).toBe('hi');
  });

  it('canonicalises full names in any case, keeps X- spelling', () => {
    const m = parseOk(
      options([
        'call-info: <http://x>',
        'WWW-AUTHENTICATE: Digest realm="a"',
        'min-se: 90',
        'X-MyHeader: 1',
        'p-charging-vector: icid=1',
        'rack: 1 1 INVITE',
        'RSEQ: 1',
      ]),
    );
    expect(m.headers.slice(6).map((h) => h.name)).toEqual([
      'Call-Info',
      'WWW-Authenticate',
      'Min-SE',
      'X-MyHeader',
      'P-Charging-Vector',
      'RAck',
      'RSeq',
    ]);
  });

  it('unfolds continuation lines into one SP', () => {
    const m = parseOk(options(['Subject: first', ' second', '\t\tthird', 'Supported: a,', '   b']));
    expect(getHeader(m, 'Subject')).toBe('first second third');
    expect(getHeaders(m, 'Supported')).toEqual(['a', 'b']);
  });

  it('keeps a comma list on one line as one header, split by getHeaders', () => {
    const m = parseOk(
      options([
        'Via: SIP/2.0/UDP 127.0.0.3;branch=z9hG4bK2, SIP/2.0/UDP 127.0.0.4;branch=z9hG4bK3',
      ]),
    );
    expect(m.headers.filter((h) => h.name === 'Via')).toHaveLength(2);
    expect(getHeaders(m, 'Via')).toHaveLength(3);
    expect(topVia(m)?.host).toBe('127.0.0.2');
  });

  it('reads IPv6 Via and URIs', () => {
    const m = parseOk(
      sip([
        'OPTIONS sip:201@[::1]:5060 SIP/2.0',
        'Via: SIP/2.0/UDP [::1]:5062;branch=z9hG4bKv6;rport',
        'From: <sip:200@[::1]>;tag=a',
        'To: <sip:201@[::1]>',
        'Call-ID: v6',
        'CSeq: 1 OPTIONS',
      ]),
    );
    expect(topVia(m)).toMatchObject({ host: '::1', port: 5062, params: { rport: null } });
    expect(parseNameAddr(getHeader(m, 'From') ?? '')?.uri.host).toBe('::1');
  });

  it('keeps quoted strings with escapes intact in values', () => {
    const m = parseOk(
      sip([
        'OPTIONS sip:201@127.0.0.1 SIP/2.0',
        ...BASE.filter((l) => !l.startsWith('From')),
        'From: "A \\"quoted\\" name, with comma" <sip:200@127.0.0.1>;tag=q',
        'Contact: "x,y" <sip:a@127.0.0.2>, <sip:b@127.0.0.3>;q=0.5',
        'CSeq: 1 OPTIONS',
      ]),
    );
    expect(parseNameAddr(getHeader(m, 'From') ?? '')?.displayName).toBe(
      'A "quoted" name, with comma',
    );
    expect(getHeaders(m, 'Contact')).toEqual([
      '"x,y" <sip:a@127.0.0.2>',
      '<sip:b@127.0.0.3>;q=0.5',
    ]);
  });

  it('decodes header values as UTF-8', () => {
    const m = parseOk(options(['Subject: Grüße 👋']));
    expect(getHeader(m, 'Subject')).toBe('Grüße 👋');
  });

  it('answers a header line without colon with 400', () => {
    const err = failure(options(['This is not a header']));
    expect(err.reason).toBe('Bad Header Line');
    expect(err.answerable?.method).toBe('OPTIONS');
  });

  it('answers a header name with spaces or non-token characters with 400', () => {
    expect(failure(options(['Bad Name: x'])).reason).toBe('Bad Header Line');
    expect(failure(options(['Bad<Name>: x'])).reason).toBe('Bad Header Line');
  });

  it('accepts whitespace between name and colon', () => {
    expect(getHeader(parseOk(options(['Subject   : spaced'])), 'Subject')).toBe('spaced');
  });

  it('accepts bare LF line ends', () => {
    const text = [
      'OPTIONS sip:201@127.0.0.1 SIP/2.0',
      ...BASE,
      'CSeq: 1 OPTIONS',
      'Content-Length: 3',
      '',
      'abc',
    ].join('\n');
    const m = parseOk(Buffer.from(text));
    expect(callId(m)).toBe('c1@127.0.0.2');
    expect(m.body.toString()).toBe('abc');
  });
});

describe('parseMessage: mandatory headers', () => {
  const all = [...BASE, 'CSeq: 1 OPTIONS'];
  it.each([
    ['Via', 'Missing Via Header'],
    ['From', 'Missing From Header'],
    ['To', 'Missing To Header'],
    ['Call-ID', 'Missing Call-ID Header'],
    ['CSeq', 'Missing CSeq Header'],
  ])('refuses a request without %s, unanswerable', (name, reason) => {
    const err = failure(
      sip(['OPTIONS sip:201@127.0.0.1 SIP/2.0', ...all.filter((l) => !l.startsWith(`${name}:`))]),
    );
    expect(err).toEqual({ reason, status: 400 });
  });

  it('refuses a response without Call-ID', () => {
    expect(failure(sip(['SIP/2.0 200 OK', ...BASE.slice(0, 3), 'CSeq: 1 OPTIONS'])).reason).toBe(
      'Missing Call-ID Header',
    );
  });

  it.each([
    ['Via: SIP/2.0/UDP', 'Bad Via Header'],
    ['Via: SIP/1.0/UDP 127.0.0.2', 'Bad Via Header'],
    ['From: <sip:200@127.0.0.1', 'Bad From Header'],
    ['To: nobody', 'Bad To Header'],
    ['CSeq: x OPTIONS', 'Bad CSeq Header'],
    ['CSeq: 2147483648 OPTIONS', 'Bad CSeq Header'],
  ])('refuses %j', (line, reason) => {
    const name = line.slice(0, line.indexOf(':'));
    const err = failure(
      sip([
        'OPTIONS sip:201@127.0.0.1 SIP/2.0',
        line,
        ...all.filter((l) => !l.startsWith(`${name}:`)),
      ]),
    );
    expect(err.reason).toBe(reason);
    expect(err.answerable).toBeUndefined();
  });

  it('accepts CSeq 2**31-1 and a request without Max-Forwards', () => {
    const m = parseOk(
      sip(['OPTIONS sip:201@127.0.0.1 SIP/2.0', ...BASE, 'CSeq: 2147483647 OPTIONS']),
    );
    expect(cseq(m)?.seq).toBe(2147483647);
  });

  it('requires the CSeq method to equal the request method, ACK and CANCEL included', () => {
    for (const method of ['ACK', 'CANCEL']) {
      const err = failure(sip([`${method} sip:201@127.0.0.1 SIP/2.0`, ...BASE, 'CSeq: 1 INVITE']));
      expect(err.reason).toBe('CSeq Method Mismatch');
      expect(err.answerable?.method).toBe(method);
    }
    expect(
      parseRequest(sip(['ACK sip:201@127.0.0.1 SIP/2.0', ...BASE, 'CSeq: 1 ACK'])).method,
    ).toBe('ACK');
  });

  it('answers a non-numeric Max-Forwards with 400', () => {
    expect(failure(options(['Max-Forwards: ten'])).reason).toBe('Multiple Max-Forwards Headers');
    const err = failure(
      sip(['OPTIONS sip:201@127.0.0.1 SIP/2.0', ...BASE, 'CSeq: 1 OPTIONS', 'Max-Forwards: ten']),
    );
    expect(err.reason).toBe('Bad Max-Forwards Header');
    expect(err.answerable).toMatchObject({ method: 'OPTIONS' });
  });
});

describe('parseMessage: body', () => {
  it('takes exactly Content-Length bytes and ignores the rest of a datagram', () => {
    const m = parseOk(options(['Content-Length: 4'], 'abcdEXTRA'));
    expect(m.body.toString()).toBe('abcd');
  });

  it('takes the rest of the datagram when Content-Length is missing', () => {
    expect(parseOk(options([], 'all of it')).body.toString()).toBe('all of it');
  });

  it('answers a Content-Length larger than the datagram with 400', () => {
    const err = failure(options(['Content-Length: 10'], 'short'));
    expect(err).toMatchObject({ reason: 'Content-Length Larger Than Message', status: 400 });
    expect(err.answerable?.method).toBe('OPTIONS');
  });

  it.each(['-1', '1.5', 'abc', '+3', '99999999999'])('answers Content-Length %j with 400', (v) => {
    expect(failure(options([`Content-Length: ${v}`], 'abc')).reason).toBe(
      'Bad Content-Length Header',
    );
  });

  it('accepts repeated equal Content-Length, refuses different ones', () => {
    expect(parseOk(options(['Content-Length: 3', 'l: 3'], 'abc')).body.toString()).toBe('abc');
    expect(failure(options(['Content-Length: 3', 'l: 2'], 'abc')).reason).toBe(
      'Multiple Content-Length Headers',
    );
  });

  it('keeps binary bodies byte for byte', () => {
    const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const m = parseOk(
      options(['Content-Type: application/octet-stream', 'Content-Length: 256'], body),
    );
    expect(m.body.equals(body)).toBe(true);
  });

  it('counts Content-Length in bytes for multi-byte UTF-8 bodies', () => {
    const text = 'Grüße aus Köln — 東京 👋';
    const m = parseOk(
      options(
        ['Content-Type: text/plain;charset=utf-8', `Content-Length: ${Buffer.byteLength(text)}`],
        text,
      ),
    );
    expect(m.body.toString('utf8')).toBe(text);
  });

  it('copies the body out of the datagram', () => {
    const data = options(['Content-Length: 3'], 'abc');
    const m = parseOk(data);
    data.fill(0x21);
    expect(m.body.toString()).toBe('abc');
  });

  it('reads a datagram whose headers lack the final empty line', () => {
    const data = Buffer.from(
      ['OPTIONS sip:201@127.0.0.1 SIP/2.0', ...BASE, 'CSeq: 1 OPTIONS', 'l: 0', ''].join('\r\n'),
    );
    expect(parseOk(data).body.length).toBe(0);
  });
});

describe('parseMessage: size limit', () => {
  it('refuses a message over maxBytes with 413, answerable when readable', () => {
    const data = invite();
    const err = failure(data, data.length - 1);
    expect(err.status).toBe(413);
    expect(err.answerable?.method).toBe('INVITE');
    expect(parseMessage(data, { maxBytes: data.length }).ok).toBe(true);
  });

  it('uses 65535 bytes by default', () => {
    const body = 'x'.repeat(65535);
    const err = failure(options([`Content-Length: ${body.length}`], body));
    expect(err.status).toBe(413);
  });

  it('refuses garbage and empty input', () => {
    expect(failure(Buffer.alloc(0)).reason).toBe('Empty Message');
    expect(failure(Buffer.from('\r\n\r\n')).reason).toBe('Empty Message');
    expect(failure(Buffer.from('hello world')).status).toBe(400);
  });
});

describe('serializeMessage', () => {
  it('writes start line, headers in order, Content-Length in place, blank line, body', () => {
    const m = parseOk(invite());
    const text = serializeMessage(m).toString();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('INVITE sip:201@127.0.0.1:5060 SIP/2.0');
    expect(lines[1]).toBe('Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK776asdhds;rport');
    expect(lines[10]).toBe(`Content-Length: ${Buffer.byteLength(SDP)}`);
    expect(lines[11]).toBe('');
    expect(text.endsWith(`\r\n\r\n${SDP}`)).toBe(true);
  });

  it('recomputes Content-Length from the body bytes and drops duplicates', () => {
    const req: SipRequest = {
      kind: 'request',
      method: 'MESSAGE',
      uri: 'sip:201@127.0.0.1',
      headers: [
        { name: 'Content-Length', value: '999' },
        { name: 'Call-ID', value: 'x' },
        { name: 'l', value: '1' },
      ],
      body: Buffer.from('Grüße'),
    };
    expect(serializeMessage(req).toString()).toBe(
      'MESSAGE sip:201@127.0.0.1 SIP/2.0\r\nContent-Length: 7\r\nCall-ID: x\r\n\r\nGrüße',
    );
  });

  it('appends Content-Length last when there is none', () => {
    const text = serializeMessage({
      kind: 'response',
      status: 200,
      reason: 'OK',
      headers: [{ name: 'Call-ID', value: 'x' }],
      body: Buffer.alloc(0),
    }).toString();
    expect(text).toBe('SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n');
  });

  it('round-trips parse → serialize → parse', () => {
    const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 13, 10, 0x80]);
    for (const data of [
      invite(),
      options(['Subject: Grüße', 'l: 10'], binary),
      sip(['SIP/2.0 180 Ringing', ...BASE, 'CSeq: 1 INVITE']),
    ]) {
      const first = parseOk(data);
      const again = parseOk(serializeMessage(first));
      const noLength = (m: SipMessage) => ({
        ...m,
        headers: m.headers.filter((h) => h.name !== 'Content-Length'),
      });
      expect(noLength(again)).toEqual(noLength(first));
      expect(getHeader(again, 'Content-Length')).toBe(String(first.body.length));
      expect(parseOk(serializeMessage(again))).toEqual(again);
    }
  });
});
