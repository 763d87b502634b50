import {
  formatCSeq,
  formatNameAddr,
  formatParams,
  formatUri,
  formatVia,
  parseCSeq,
  parseNameAddr,
  parseParams,
  parseUri,
  parseVia,
  unquote,
} from '../../src/message';

const plain = <T extends object>(o: T | undefined): T | undefined =>
  o === undefined ? o : (JSON.parse(JSON.stringify(o)) as T);

describe('parseUri', () => {
  it('reads all parts of a SIP URI', () => {
    expect(
      plain(
        parseUri(
          'sip:alice:secret@example.com:5070;transport=TCP;LR;Maddr=127.0.0.9?Subject=hi%20there&Priority=urgent',
        ),
      ),
    ).toEqual({
      scheme: 'sip',
      user: 'alice',
      password: 'secret',
      host: 'example.com',
      port: 5070,
      params: { transport: 'TCP', lr: null, maddr: '127.0.0.9' },
      headers: { Subject: 'hi there', Priority: 'urgent' },
    });
  });

  it('lower-cases the scheme and parameter names, keeps host and values', () => {
    expect(plain(parseUri('SIPS:Bob@Biloxi.EXAMPLE.com;User=Phone'))).toEqual({
      scheme: 'sips',
      user: 'Bob',
      host: 'Biloxi.EXAMPLE.com',
      params: { user: 'Phone' },
      headers: {},
    });
  });

  it('reads IPv4 and IPv6 hosts; IPv6 is stored without brackets', () => {
    expect(parseUri('sip:127.0.0.1')).toMatchObject({ host: '127.0.0.1' });
    expect(parseUri('sip:127.0.0.1')?.port).toBeUndefined();
    expect(parseUri('sip:200@[2001:db8::1]:5060;transport=udp')).toMatchObject({
      host: '2001:db8::1',
      port: 5060,
      user: '200',
    });
    expect(parseUri('sip:[::ffff:127.0.0.1]')).toMatchObject({ host: '::ffff:127.0.0.1' });
  });

  it('resolves escapes (UTF-8) in user, password, params and headers', () => {
    const u = parseUri(
      'sip:J%C3%BCrgen%40home:p%3Ass@127.0.0.1;na%6De=v%61l;other=%E6%9D%B1?x=%3Csip:a@b%3E',
    );
    expect(u).toMatchObject({
      user: 'Jürgen@home',
      password: 'p:ss',
      params: { name: 'val', other: '東' },
    });
    expect(u?.headers).toMatchObject({ x: '<sip:a@b>' });
  });

  it('keeps an invalid escape literally', () => {
    expect(parseUri('sip:100%zz@127.0.0.1')?.user).toBe('100%zz');
  });

  it('reads tel URIs with the number in user', () => {
    expect(plain(parseUri('tel:+1-201-555-0123;phone-context=example.com'))).toEqual({
      scheme: 'tel',
      user: '+1-201-555-0123',
      host: '',
      params: { 'phone-context': 'example.com' },
      headers: {},
    });
  });

  it.each([
    'http://example.com',
    'sip:',
    'sip:@host',
    'sip:user@',
    'sip:user@host:',
    'sip:user@host:65536',
    'sip:user@host:abc',
    'sip:user@[::1',
    'sip:user@[zz]',
    'sip:user@host;',
    'sip:user@host;=x',
    'sip:user@host;a=',
    'sip:user@host?noequals',
    'sip:us er@host',
    'sip:user@ho st',
    'sip:<user>@host',
    'tel:',
    'tel:+123?x=y',
    '',
    'sip',
  ])('refuses %j', (s) => {
    expect(parseUri(s)).toBeUndefined();
  });
});

describe('formatUri', () => {
  it.each([
    'sip:alice@example.com',
    'sips:alice:secret@example.com:5061;transport=tcp;lr',
    'sip:127.0.0.1:5060',
    'sip:200@[2001:db8::1]:5060;transport=udp',
    'sip:a@127.0.0.1?subject=hello%20world&priority=urgent',
    'tel:+1-201-555-0123;phone-context=example.com',
  ])('round-trips %j', (s) => {
    const u = parseUri(s);
    expect(u && formatUri(u)).toBe(s);
  });

  it('escapes what must be escaped and re-brackets IPv6', () => {
    expect(
      formatUri({
        scheme: 'sip',
        user: 'a b@c',
        host: '::1',
        port: 5060,
        params: { 'x y': 'v;w' },
        headers: { h: '<x>' },
      }),
    ).toBe('sip:a%20b%40c@[::1]:5060;x%20y=v%3Bw?h=%3Cx%3E');
    expect(formatUri({ scheme: 'sip', user: 'Jürgen', host: 'h', params: {}, headers: {} })).toBe(
      'sip:J%C3%BCrgen@h',
    );
  });

  it('normalises escaped characters that need no escape', () => {
    const u = parseUri('sip:%75se%72@example.com');
    expect(u && formatUri(u)).toBe('sip:user@example.com');
  });
});

describe('parseNameAddr / formatNameAddr', () => {
  it('reads a quoted display name with escapes, URI params and header params', () => {
    const n = parseNameAddr(
      '"Alice \\"Al\\" Smith" <sip:alice@127.0.0.1;transport=tcp>;tag=88sja8x;expires=60',
    );
    expect(n?.displayName).toBe('Alice "Al" Smith');
    expect(n?.uri).toMatchObject({
      user: 'alice',
      host: '127.0.0.1',
      params: { transport: 'tcp' },
    });
    expect({ ...n?.params }).toEqual({ tag: '88sja8x', expires: '60' });
  });

  it('reads token display names and no display name', () => {
    expect(parseNameAddr('Bob Jones <sip:bob@127.0.0.1>')?.displayName).toBe('Bob Jones');
    expect(parseNameAddr('<sip:bob@127.0.0.1>')?.displayName).toBeUndefined();
    expect(parseNameAddr('""<sip:bob@127.0.0.1>')?.displayName).toBe('');
  });

  it('gives params after a bare addr-spec to the header (RFC 3261 §20.10)', () => {
    const n = parseNameAddr('sip:bob@127.0.0.1;tag=abc;user=phone');
    expect({ ...n?.uri.params }).toEqual({});
    expect({ ...n?.params }).toEqual({ tag: 'abc', user: 'phone' });
  });

  it('keeps URI params inside brackets apart from header params', () => {
    const n = parseNameAddr('<sip:bob@127.0.0.1;user=phone>;tag=abc');
    expect({ ...n?.uri.params }).toEqual({ user: 'phone' });
    expect({ ...n?.params }).toEqual({ tag: 'abc' });
  });

  it('keeps quoted param values with their quotes', () => {
    const n = parseNameAddr(
      '<sip:200@127.0.0.2>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1',
    );
    expect(n?.params['+sip.instance']).toBe('"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"');
    expect(unquote(n?.params['+sip.instance'] ?? '')).toBe(
      '<urn:uuid:00000000-0000-1000-8000-000A95A0E128>',
    );
  });

  it('reads IPv6 and tel URIs', () => {
    expect(parseNameAddr('<sip:200@[::1]:5062>')?.uri.host).toBe('::1');
    expect(parseNameAddr('<tel:+4930123>;tag=1')?.uri.user).toBe('+4930123');
  });

  it.each([
    '',
    '"unterminated <sip:a@127.0.0.1>',
    '"name" sip:a@127.0.0.1',
    '<sip:a@127.0.0.1',
    '<http://example.com>',
    'sip:a@127.0.0.1?subject=x',
    'sip:a@127.0.0.1, sip:b@127.0.0.1',
    '<sip:a@127.0.0.1> junk',
    '<sip:a@127.0.0.1>;;tag=1',
    'a "b" <sip:a@127.0.0.1>',
    '*',
  ])('refuses %j', (s) => {
    expect(parseNameAddr(s)).toBeUndefined();
  });

  it('formats with angle brackets and a quoted display name', () => {
    const n = parseNameAddr('Bob <sip:bob@127.0.0.1;transport=tcp>;tag=a1');
    expect(n && formatNameAddr(n)).toBe('"Bob" <sip:bob@127.0.0.1;transport=tcp>;tag=a1');
    const bare = parseNameAddr('sip:bob@127.0.0.1;tag=a1');
    expect(bare && formatNameAddr(bare)).toBe('<sip:bob@127.0.0.1>;tag=a1');
    const quoted = parseNameAddr('"A \\"q\\" \\\\ b" <sip:x@[::1]>');
    expect(quoted && formatNameAddr(quoted)).toBe('"A \\"q\\" \\\\ b" <sip:x@[::1]>');
    expect(quoted && parseNameAddr(formatNameAddr(quoted))?.displayName).toBe('A "q" \\ b');
  });
});

describe('parseVia / formatVia', () => {
  it('reads protocol, sent-by and params', () => {
    expect(
      plain(parseVia('SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK776;rport;received=127.0.0.3')),
    ).toEqual({
      transport: 'UDP',
      host: '127.0.0.2',
      port: 5062,
      params: { branch: 'z9hG4bK776', rport: null, received: '127.0.0.3' },
    });
  });

  it('allows whitespace around / : ; and = and lower-case transport', () => {
    expect(
      plain(parseVia('  sip / 2.0 / tcp   host.example.com : 5060 ; Branch = z9hG4bKx ;  rport  ')),
    ).toEqual({
      transport: 'TCP',
      host: 'host.example.com',
      port: 5060,
      params: { branch: 'z9hG4bKx', rport: null },
    });
  });

  it('reads IPv6 sent-by', () => {
    expect(parseVia('SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bKa')).toMatchObject({
      host: '2001:db8::9',
      port: 5061,
    });
  });

  it.each([
    'SIP/2.0/UDP',
    'SIP/2.0 127.0.0.1',
    'SIP/3.0/UDP 127.0.0.1',
    'HTTP/2.0/UDP 127.0.0.1',
    'SIP/2.0/UDP127.0.0.1',
    'SIP/2.0/UDP 127.0.0.1:',
    'SIP/2.0/UDP 127.0.0.1:70000',
    'SIP/2.0/UDP 127.0.0.1;',
    'SIP/2.0/UDP 127.0.0.1;;branch=x',
    'SIP/2.0/UDP 127.0.0.1 junk',
    'SIP/2.0/UDP [::1',
  ])('refuses %j', (s) => {
    expect(parseVia(s)).toBeUndefined();
  });

  it('formats and round-trips', () => {
    const v = parseVia('SIP/2.0/UDP [::1]:5062;branch=z9hG4bK1;rport=5062;received=::1');
    expect(v && formatVia(v)).toBe(
      'SIP/2.0/UDP [::1]:5062;branch=z9hG4bK1;rport=5062;received=::1',
    );
    expect(
      formatVia({
        transport: 'TCP',
        host: '127.0.0.1',
        params: { branch: 'z9hG4bKb', rport: null },
      }),
    ).toBe('SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKb;rport');
  });
});

describe('parseCSeq', () => {
  it.each([
    ['1 INVITE', { seq: 1, method: 'INVITE' }],
    ['  0009   BYE  ', { seq: 9, method: 'BYE' }],
    ['2147483647 ACK', { seq: 2147483647, method: 'ACK' }],
    ['0 OPTIONS', { seq: 0, method: 'OPTIONS' }],
  ])('%j', (s, expected) => {
    expect(parseCSeq(s)).toEqual(expected);
    expect(formatCSeq(expected)).toBe(`${expected.seq} ${expected.method}`);
  });

  it.each([
    '',
    'INVITE',
    '1',
    '1INVITE',
    '-1 INVITE',
    '2147483648 INVITE',
    '36893488147419103232 REGISTER',
    '1 INV<ITE',
    '1 INVITE x',
  ])('refuses %j', (s) => {
    expect(parseCSeq(s)).toBeUndefined();
  });
});

describe('parseParams / formatParams', () => {
  it('reads flags, values, quoted values; names lower-cased', () => {
    expect({ ...parseParams(';Tag=AbC;lr; q = 0.5 ;x="a;b c"') }).toEqual({
      tag: 'AbC',
      lr: null,
      q: '0.5',
      x: '"a;b c"',
    });
    expect({ ...parseParams('expires=60') }).toEqual({ expires: '60' });
    expect({ ...parseParams('') }).toEqual({});
  });

  it('is safe with __proto__ as a name', () => {
    const p = parseParams(';__proto__=x;constructor');
    expect(p?.['__proto__']).toBe('x');
    expect(p?.['constructor']).toBeNull();
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it.each([';', ';;a', ';a=', ';a="unterminated', ';a b', ';a=b c'])('refuses %j', (s) => {
    expect(parseParams(s)).toBeUndefined();
  });

  it('formats in order', () => {
    expect(formatParams({ tag: 'a', lr: null, q: '0.5' })).toBe(';tag=a;lr;q=0.5');
  });
});
