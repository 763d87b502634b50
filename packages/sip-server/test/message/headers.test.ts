import {
  addHeader,
  canonicalHeaderName,
  getHeader,
  getHeaders,
  hasHeader,
  prependHeader,
  removeHeader,
  setHeader,
  splitHeaderValues,
  type SipRequest,
} from '../../src/message';

function request(headers: [string, string][]): SipRequest {
  return {
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:201@127.0.0.1',
    headers: headers.map(([name, value]) => ({ name, value })),
    body: Buffer.alloc(0),
  };
}

const names = (m: SipRequest) => m.headers.map((h) => `${h.name}: ${h.value}`);

describe('canonicalHeaderName', () => {
  it.each([
    ['i', 'Call-ID'],
    ['I', 'Call-ID'],
    ['call-id', 'Call-ID'],
    ['CALL-ID', 'Call-ID'],
    ['cseq', 'CSeq'],
    ['v', 'Via'],
    ['m', 'Contact'],
    ['e', 'Content-Encoding'],
    ['l', 'Content-Length'],
    ['f', 'From'],
    ['t', 'To'],
    ['s', 'Subject'],
    ['k', 'Supported'],
    ['c', 'Content-Type'],
    ['o', 'Event'],
    ['u', 'Allow-Events'],
    ['r', 'Refer-To'],
    ['b', 'Referred-By'],
    ['x', 'Session-Expires'],
    ['y', 'Identity'],
    ['www-authenticate', 'WWW-Authenticate'],
    ['proxy-authenticate', 'Proxy-Authenticate'],
    ['proxy-authorization', 'Proxy-Authorization'],
    ['authorization', 'Authorization'],
    ['record-route', 'Record-Route'],
    ['max-forwards', 'Max-Forwards'],
    ['user-agent', 'User-Agent'],
    ['min-se', 'Min-SE'],
    ['rseq', 'RSeq'],
    ['rack', 'RAck'],
    ['referred-by', 'Referred-By'],
    ['replaces', 'Replaces'],
    ['subscription-state', 'Subscription-State'],
    ['p-asserted-identity', 'P-Asserted-Identity'],
    ['expires', 'Expires'],
    ['require', 'Require'],
    ['diversion', 'Diversion'],
    ['sip-etag', 'SIP-ETag'],
    ['p-charging-vector', 'P-Charging-Vector'],
    ['some-NEW-header', 'Some-New-Header'],
    ['X-Custom-thing', 'X-Custom-thing'],
    ['x-lower', 'x-lower'],
    [' To ', 'To'],
  ])('%j → %j', (input, expected) => {
    expect(canonicalHeaderName(input)).toBe(expected);
  });
});

describe('splitHeaderValues', () => {
  it.each([
    ['a, b,c', ['a', 'b', 'c']],
    ['"Doe, John" <sip:a@h>, <sip:b@h;x=1,2>', ['"Doe, John" <sip:a@h>', '<sip:b@h;x=1,2>']],
    ['"a \\" , b" <sip:x@h>', ['"a \\" , b" <sip:x@h>']],
    ['a,,b, ', ['a', 'b']],
    ['', []],
    ['single', ['single']],
    ['"unterminated, x', ['"unterminated, x']],
  ])('%j', (input, expected) => {
    expect(splitHeaderValues(input)).toEqual(expected);
  });
});

describe('header helpers', () => {
  it('getHeader finds the first value by full or compact name, case-insensitively', () => {
    const m = request([
      ['Via', 'v1'],
      ['Call-ID', 'abc'],
      ['Via', 'v2'],
    ]);
    expect(getHeader(m, 'call-id')).toBe('abc');
    expect(getHeader(m, 'i')).toBe('abc');
    expect(getHeader(m, 'VIA')).toBe('v1');
    expect(getHeader(m, 'Route')).toBeUndefined();
  });

  it('matches X- headers whatever their case', () => {
    const m = request([['X-Foo-Bar', '1']]);
    expect(getHeader(m, 'x-foo-bar')).toBe('1');
    expect(hasHeader(m, 'X-FOO-BAR')).toBe(true);
  });

  it('getHeaders splits list headers across lines', () => {
    const m = request([
      ['Route', '<sip:p1@127.0.0.3;lr>, <sip:p2@127.0.0.4;lr>'],
      ['Route', '<sip:p3@127.0.0.5;lr>'],
      ['Allow', 'INVITE, ACK,BYE'],
      ['Supported', 'timer, replaces'],
      ['Require', '100rel'],
      ['Record-Route', '<sip:a@127.0.0.6;lr>,<sip:b@127.0.0.7;lr>'],
      ['Contact', '"A, B" <sip:a@127.0.0.8>;expires=60, <sip:b@127.0.0.9>'],
      ['Accept', 'application/sdp, text/plain'],
      ['Allow-Events', 'talk, hold, refer'],
    ]);
    expect(getHeaders(m, 'Route')).toEqual([
      '<sip:p1@127.0.0.3;lr>',
      '<sip:p2@127.0.0.4;lr>',
      '<sip:p3@127.0.0.5;lr>',
    ]);
    expect(getHeaders(m, 'Allow')).toEqual(['INVITE', 'ACK', 'BYE']);
    expect(getHeaders(m, 'k')).toEqual(['timer', 'replaces']);
    expect(getHeaders(m, 'Require')).toEqual(['100rel']);
    expect(getHeaders(m, 'Record-Route')).toHaveLength(2);
    expect(getHeaders(m, 'm')).toEqual([
      '"A, B" <sip:a@127.0.0.8>;expires=60',
      '<sip:b@127.0.0.9>',
    ]);
    expect(getHeaders(m, 'Accept')).toEqual(['application/sdp', 'text/plain']);
    expect(getHeaders(m, 'u')).toEqual(['talk', 'hold', 'refer']);
  });

  it('getHeaders does not split credentials, challenges, dates and single-valued headers', () => {
    const auth = 'Digest username="200", realm="pbx", nonce="n", uri="sip:127.0.0.1", response="r"';
    const m = request([
      ['WWW-Authenticate', 'Digest realm="pbx", nonce="a", qop="auth,auth-int"'],
      ['WWW-Authenticate', 'Digest realm="pbx", nonce="b", algorithm=SHA-256'],
      ['Authorization', auth],
      ['Proxy-Authenticate', 'Digest realm="x", nonce="y"'],
      ['Proxy-Authorization', auth],
      ['Date', 'Sat, 13 Nov 2010 23:29:00 GMT'],
      ['Subject', 'Hello, world'],
      ['User-Agent', 'Phone (a, b)'],
    ]);
    expect(getHeaders(m, 'WWW-Authenticate')).toHaveLength(2);
    expect(getHeaders(m, 'Authorization')).toEqual([auth]);
    expect(getHeaders(m, 'Proxy-Authenticate')).toHaveLength(1);
    expect(getHeaders(m, 'Proxy-Authorization')).toEqual([auth]);
    expect(getHeaders(m, 'Date')).toEqual(['Sat, 13 Nov 2010 23:29:00 GMT']);
    expect(getHeaders(m, 'Subject')).toEqual(['Hello, world']);
    expect(getHeaders(m, 'User-Agent')).toEqual(['Phone (a, b)']);
  });

  it('setHeader replaces all at the first position, or appends', () => {
    const m = request([
      ['Via', 'v'],
      ['Contact', 'c1'],
      ['To', 't'],
      ['m', 'c2'],
    ]);
    setHeader(m, 'contact', 'new');
    expect(names(m)).toEqual(['Via: v', 'Contact: new', 'To: t']);
    setHeader(m, 'Expires', '60');
    expect(names(m)).toEqual(['Via: v', 'Contact: new', 'To: t', 'Expires: 60']);
  });

  it('setHeader keeps the same array (others may hold it)', () => {
    const m = request([
      ['Via', 'v'],
      ['Contact', 'c1'],
      ['Contact', 'c2'],
    ]);
    const array = m.headers;
    setHeader(m, 'Contact', 'x');
    removeHeader(m, 'Via');
    expect(m.headers).toBe(array);
  });

  it('addHeader appends with the canonical name', () => {
    const m = request([['Via', 'v']]);
    addHeader(m, 'x', '1800');
    addHeader(m, 'record-route', '<sip:127.0.0.1;lr>');
    expect(names(m)).toEqual([
      'Via: v',
      'Session-Expires: 1800',
      'Record-Route: <sip:127.0.0.1;lr>',
    ]);
  });

  it('prependHeader inserts before the first of that name; Via goes to the top', () => {
    const m = request([
      ['To', 't'],
      ['Via', 'v1'],
      ['Route', 'r1'],
    ]);
    prependHeader(m, 'Via', 'v0');
    prependHeader(m, 'Route', 'r0');
    prependHeader(m, 'Record-Route', 'rr');
    expect(names(m)).toEqual([
      'To: t',
      'Via: v0',
      'Via: v1',
      'Route: r0',
      'Route: r1',
      'Record-Route: rr',
    ]);
    const empty = request([['To', 't']]);
    prependHeader(empty, 'v', 'top');
    expect(names(empty)).toEqual(['Via: top', 'To: t']);
  });

  it('removeHeader removes every line of that name and counts them', () => {
    const m = request([
      ['Via', 'v'],
      ['Route', 'r1'],
      ['To', 't'],
      ['route', 'r2'],
    ]);
    expect(removeHeader(m, 'Route')).toBe(2);
    expect(removeHeader(m, 'Route')).toBe(0);
    expect(names(m)).toEqual(['Via: v', 'To: t']);
    expect(hasHeader(m, 'Route')).toBe(false);
  });
});
