/**
 * RFC 4475 torture situations (test/fixtures/torture). The messages were written for this project
 * from the RFC's case descriptions; the README lists each file, its RFC section and our verdict.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  branch,
  callId,
  cseq,
  fromTag,
  getHeader,
  getHeaders,
  parseMessage,
  parseAnyNameAddr,
  parseNameAddr,
  parseUri,
  parseVia,
  toTag,
  topVia,
} from '../../src/message';
import { parseRequest, parseResponse } from './helpers';

const DIR = join(__dirname, '../fixtures/torture');
const load = (dir: 'valid' | 'invalid', name: string): Buffer =>
  readFileSync(join(DIR, dir, `${name}.sip`));

describe('RFC 4475 valid messages (§3.1.1) and semantically odd but parsable ones (§3.2-§3.4)', () => {
  const files = readdirSync(join(DIR, 'valid')).filter((f) => f.endsWith('.sip'));

  it('has all fixtures', () => {
    expect(files).toHaveLength(26);
  });

  it.each(files)('%s parses', (file) => {
    const r = parseMessage(readFileSync(join(DIR, 'valid', file)));
    expect(r.ok ? 'ok' : r.error.reason).toBe('ok');
  });

  it('folded-whitespace-invite (§3.1.1.1): folding, odd case, compact names, SWS, escapes', () => {
    const m = parseRequest(load('valid', 'folded-whitespace-invite'));
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:ext214@pbx.example.invalid;oddparam');
    expect(toTag(m)).toBe('7f3c-to-tag');
    expect(fromTag(m)).toBe('a1b2c3fold');
    expect(parseNameAddr(getHeader(m, 'From') ?? '')?.displayName).toBe('Night \\ Desk "');
    expect(getHeader(m, 'Max-Forwards')).toBe('00042');
    expect(cseq(m)).toEqual({ seq: 17, method: 'INVITE' });
    expect(callId(m)).toBe('folded.4471c0de@127.0.0.9');
    expect(getHeader(m, 'Subject')).toBe('');
    expect(getHeader(m, 'weird-folded-remark')).toBe(
      'the first half of a remark and its second half',
    );
    expect(getHeader(m, 'Only-Separators')).toBe(',;;,;,,;');
    const vias = getHeaders(m, 'Via').map((v) => parseVia(v));
    expect(vias.map((v) => [v?.transport, v?.host, v?.params['branch']])).toEqual([
      ['UDP', '127.0.0.9', 'oldstyle77x'],
      ['TCP', 'relay.example.invalid', 'z9hG4bKfold4711'],
      ['UDP', '127.0.0.10', 'z9hG4bKfold4712'],
    ]);
    const contact = parseNameAddr(getHeader(m, 'Contact') ?? '');
    expect(contact?.displayName).toBe('Desk "" phone');
    expect({ ...contact?.params }).toEqual({ colour: 'amber', flagonly: null, q: '0.7' });
    expect({ ...parseNameAddr(getHeader(m, 'Route') ?? '')?.uri.params }).toEqual({
      lr: null,
      flavour: 'mint',
      'bare-flag': null,
    });
    expect(m.body.length).toBe(185);
    expect(m.body.subarray(0, 5).toString()).toBe('v=0\r\n');
    expect(m.headers.map((h) => h.name)).toEqual([
      'To',
      'From',
      'Max-Forwards',
      'Call-ID',
      'Content-Length',
      'CSeq',
      'Via',
      'Subject',
      'Weird-Folded-Remark',
      'Only-Separators',
      'Content-Type',
      'Route',
      'Via',
      'Contact',
    ]);
  });

  it('token-charset-extremes (§3.1.1.2): every token, user, password and quoted-string character', () => {
    const m = parseRequest(load('valid', 'token-charset-extremes'));
    expect(m.method).toBe("Strange-Verb.0123456789~_*+`%!'");
    expect(cseq(m)).toEqual({ seq: 2147483647, method: m.method });
    const uri = parseUri(m.uri);
    expect(uri?.user).toBe("odd(user)_name.with~marks!*'&=+$,;?/");
    expect(uri?.password).toBe("pa$$(word)_with~marks!*'&=+,.-");
    expect(uri?.host).toBe('pbx.example.invalid');
    const to = parseNameAddr(getHeader(m, 'To') ?? '');
    expect(to?.displayName).toBe('ctrl: bell\x07 nul\x00 del\x7f.');
    expect(to?.uri.user).toBe(uri?.user);
    const from = parseNameAddr(getHeader(m, 'From') ?? '');
    expect(from?.displayName).toBe("Odd~Name1' second`+_ third*%!.-");
    expect(from?.params['tag']).toBe("~tag_'+`*%!-.9");
    expect(from?.params["odd''param~+*_!.-%"]).toBe('"안녕하세요"');
    expect(callId(m)).toBe('tokens.id-!%*_+`\'~@(<{[?]}>):\\"/');
    expect(getHeader(m, "Ext-Header.~!%*_+`'")).toBe('내선 전화 교환 ☎');
    expect(branch(m)).toBe("z9hG4bK~odd.branch_!%*+`'-");
  });

  it('escaped-uri-parts (§3.1.1.3): escapes are resolved in users and URI parameters, once', () => {
    const m = parseRequest(load('valid', 'escaped-uri-parts'));
    expect(parseUri(m.uri)).toMatchObject({
      user: 'sip:reception@pbx.example.invalid',
      host: 'gw.example.invalid',
    });
    expect(parseNameAddr(getHeader(m, 'To') ?? '')?.uri.user).toBe('reception');
    expect(parseNameAddr(getHeader(m, 'From') ?? '')?.uri.user).toBe('front desk night');
    const contact = parseNameAddr(getHeader(m, 'Contact') ?? '');
    expect(contact?.uri.user).toBe('operator');
    expect({ ...contact?.uri.params }).toEqual({ transport: 'udp', ob: null, mode: 'x%20y' });
    expect(getHeader(m, 'Content-Type')).toBe('application/sdp');
    expect(callId(m)).toBe('escaped-parts.77f0a2');
  });

  it('escaped-nul-users (§3.1.1.4): escaped NULs in users', () => {
    const m = parseRequest(load('valid', 'escaped-nul-users'));
    expect(parseNameAddr(getHeader(m, 'To') ?? '')?.uri.user).toBe('zero\u0000byte');
    expect(getHeaders(m, 'Contact').map((c) => parseNameAddr(c)?.uri.user)).toEqual([
      'a\u0000',
      '\u0000\u0000\u0000',
    ]);
  });

  it('percent-not-escape (§3.1.1.5): % in method, header name, quoted string and branch stays as is', () => {
    const m = parseRequest(load('valid', 'percent-not-escape'));
    expect(m.method).toBe('OP%54IONS');
    expect(cseq(m)?.method).toBe('OP%54IONS');
    expect(getHeaders(m, 'Contact').map((c) => parseNameAddr(c)?.uri.user)).toEqual([
      'first',
      'second',
    ]);
    expect(getHeader(m, 'Cont%61ct')).toBe('<sip:not-a-contact@127.0.0.7>');
    expect(parseNameAddr(getHeader(m, 'To') ?? '')?.displayName).toBe('50%zz %41');
    expect(branch(m)).toBe('z9hG4bKq%g5-esc');
  });

  it('display-name-no-space (§3.1.1.6): no LWS between display name and <', () => {
    const m = parseRequest(load('valid', 'display-name-no-space'));
    expect(parseNameAddr(getHeader(m, 'From') ?? '')).toMatchObject({
      displayName: 'Reception',
      uri: { user: 'reception' },
    });
    expect(parseNameAddr(getHeader(m, 'To') ?? '')).toMatchObject({
      displayName: 'Operator',
      uri: { user: 'operator' },
    });
  });

  it('oversized-values (§3.1.1.7): long values and many Vias', () => {
    const m = parseRequest(load('valid', 'oversized-values'));
    expect(getHeaders(m, 'Via')).toHaveLength(40);
    expect(topVia(m)?.host).toBe('hop40.example.invalid');
    expect(parseVia(getHeaders(m, 'Via')[39] ?? '')?.host).toBe('hop1.example.invalid');
    const to = parseNameAddr(getHeader(m, 'To') ?? '');
    expect(to?.uri.port).toBe(5070);
    expect(to?.displayName).toMatch(/^A display name made (\(remarkably\) ){12}long$/);
    expect(to?.uri.params[`${'name'.repeat(30)}param`]).toBe('short');
    expect(fromTag(m)).toBe('4711'.repeat(40));
    expect(callId(m)).toHaveLength('long-call-id.'.length + 16 * 12 + '@127.0.0.13'.length);
    expect(m.body.length).toBe(183);
  });

  it('two-requests-one-datagram (§3.1.1.8): bytes after Content-Length in a datagram are ignored', () => {
    const m = parseRequest(load('valid', 'two-requests-one-datagram'));
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
    expect(callId(m)).toBe('two-in-one.first.41a9@127.0.0.16');
  });

  it('semicolon-in-user (§3.1.1.9): semicolon in the user part; folded Accept list', () => {
    const m = parseRequest(load('valid', 'semicolon-in-user'));
    expect(parseUri(m.uri)).toMatchObject({
      user: 'desk;room=b@west.example.invalid',
      host: 'pbx.example.invalid',
    });
    expect(getHeaders(m, 'Accept')).toEqual([
      'text/plain',
      'application/sdp',
      'application/dtmf-relay',
      'message/sipfrag',
      'multipart/alternative',
    ]);
  });

  it('varied-via-transports (§3.1.1.10): unknown transports are kept; IPv6 sent-by', () => {
    const m = parseRequest(load('valid', 'varied-via-transports'));
    const vias = getHeaders(m, 'Via').map((v) => parseVia(v));
    expect(vias.map((v) => v?.transport)).toEqual(['TLS', 'UDP', 'SCTP', 'NOVELXP', 'WSS', 'TCP']);
    expect(vias[1]).toMatchObject({ host: '::ffff:127.0.0.8', port: 5062 });
    expect(callId(m)).toBe('via-mix.88e1c5d0');
  });

  it('binary-multipart (§3.1.1.11): binary multipart body is kept byte for byte', () => {
    const raw = load('valid', 'binary-multipart');
    const m = parseRequest(raw);
    expect(m.body.length).toBe(529);
    expect(m.body.equals(raw.subarray(raw.length - 529))).toBe(true);
    expect(new Set(m.body).size).toBe(256);
    expect(getHeader(m, 'Content-Type')).toBe('multipart/mixed;boundary=pbx-boundary-7e21');
  });

  it('utf8-reason-phrase (§3.1.1.12): UTF-8 reason phrase', () => {
    const m = parseResponse(load('valid', 'utf8-reason-phrase'));
    expect(m.status).toBe(200);
    expect(m.reason).toBe('통화가 연결되었습니다 (call connected) ✓');
    expect(m.body.length).toBe(182);
  });

  it('empty-reason-phrase (§3.1.1.13): empty reason phrase', () => {
    const m = parseResponse(load('valid', 'empty-reason-phrase'));
    expect(m.status).toBe(180);
    expect(m.reason).toBe('');
  });

  it('bare-magic-cookie-branch (§3.2.1): a bare magic cookie is still a branch', () => {
    expect(branch(parseRequest(load('valid', 'bare-magic-cookie-branch')))).toBe('z9hG4bK');
  });

  it('unknown-uri-scheme, novel-scheme-authority (§3.3.2, §3.3.3): Request-URI kept as written', () => {
    expect(parseRequest(load('valid', 'unknown-uri-scheme')).uri).toBe('xyzzy:opaque-stuff-9');
    const novel = parseRequest(load('valid', 'novel-scheme-authority')).uri;
    expect(novel).toBe('cti.feed+v2://127.0.0.23:4200/line/21');
    expect(parseUri(novel)).toBeUndefined();
  });

  it('contact-param-unbracketed / -bracketed (§3.3.12, §3.3.13): whose parameter it is', () => {
    const bare = parseNameAddr(
      getHeader(parseRequest(load('valid', 'contact-param-unbracketed')), 'Contact') ?? '',
    );
    expect({ ...bare?.params }).toEqual({ deskphone: null });
    expect({ ...bare?.uri.params }).toEqual({});
    const bracketed = parseNameAddr(
      getHeader(parseRequest(load('valid', 'contact-param-bracketed')), 'Contact') ?? '',
    );
    expect({ ...bracketed?.params }).toEqual({});
    expect({ ...bracketed?.uri.params }).toEqual({ deskphone: null });
  });

  it('contact-escaped-header (§3.3.14): escaped header inside a bracketed Contact URI', () => {
    const m = parseRequest(load('valid', 'contact-escaped-header'));
    expect({ ...parseNameAddr(getHeader(m, 'Contact') ?? '')?.uri.headers }).toEqual({
      Route: '<sip:proxy.example.invalid;lr>',
    });
  });

  it('rfc2543-invite (§3.4.1): RFC 2543 request without Content-Length takes the rest of the datagram', () => {
    const raw = load('valid', 'rfc2543-invite');
    const m = parseRequest(raw);
    expect(branch(m)).toBeUndefined();
    expect(fromTag(m)).toBeUndefined();
    expect(getHeader(m, 'Content-Length')).toBeUndefined();
    expect(m.body.length).toBe(182);
    expect(m.body.toString()).toMatch(
      /^v=0\r\n[\s\S]*m=audio 40080 RTP\/AVP 8 0 101\r\n[\s\S]*a=sendrecv\r\n$/,
    );
  });
});

type Expect =
  { ok: false; status: 400 | 505; answerable: boolean; reason: string } | { ok: true; why: string };

/** RFC 4475 §3.1.2 and the §3.3 messages our parser refuses (or, where the RFC allows, reads leniently). */
const INVALID: Record<string, Expect> = {
  'empty-params-in-via': { ok: false, status: 400, answerable: false, reason: 'Bad Via Header' },
  'content-length-too-large': {
    ok: false,
    status: 400,
    answerable: true,
    reason: 'Content-Length Larger Than Message',
  },
  'negative-content-length': {
    ok: false,
    status: 400,
    answerable: true,
    reason: 'Bad Content-Length Header',
  },
  'overlarge-scalars-request': {
    ok: false,
    status: 400,
    answerable: false,
    reason: 'Bad CSeq Header',
  },
  'overlarge-scalars-response': {
    ok: false,
    status: 400,
    answerable: false,
    reason: 'Bad CSeq Header',
  },
  'unterminated-quote': { ok: false, status: 400, answerable: false, reason: 'Bad To Header' },
  'angle-brackets-request-uri': {
    ok: false,
    status: 400,
    answerable: true,
    reason: 'Bad Request-URI',
  },
  'spaces-in-request-uri': {
    ok: false,
    status: 400,
    answerable: false,
    reason: 'Bad Request Line',
  },
  'extra-spaces-request-line': {
    ok: true,
    why: '§3.1.2.9: extra SP in the request line may be ignored',
  },
  'trailing-space-request-line': {
    ok: true,
    why: '§3.1.2.10: trailing SP in the request line may be ignored',
  },
  'headers-in-request-uri': { ok: false, status: 400, answerable: true, reason: 'Bad Request-URI' },
  'date-not-gmt': { ok: true, why: '§3.1.2.12: Date is not interpreted by the parser' },
  'contact-query-unbracketed': {
    ok: true,
    why: '§3.1.2.13: Contact is not checked here; parseNameAddr refuses it',
  },
  'spaces-inside-angle-brackets': { ok: true, why: '§3.1.2.14: spaces inside <> may be ignored' },
  'unquoted-display-name-comma': {
    ok: true,
    why: '§3.1.2.15: unquoted non-token display name read liberally',
  },
  'unknown-sip-version': {
    ok: false,
    status: 505,
    answerable: true,
    reason: 'Version Not Supported',
  },
  'cseq-method-mismatch': {
    ok: false,
    status: 400,
    answerable: true,
    reason: 'CSeq Method Mismatch',
  },
  'cseq-mismatch-unknown-method': {
    ok: false,
    status: 400,
    answerable: true,
    reason: 'CSeq Method Mismatch',
  },
  'huge-status-code': { ok: false, status: 400, answerable: false, reason: 'Bad Status Line' },
  'missing-from-to-callid': {
    ok: false,
    status: 400,
    answerable: false,
    reason: 'Missing From Header',
  },
  // RFC 3261 §25.1 allows any absoluteURI in From/To; RFC 4475 §3.3.4 asks parsers to accept it.
  'non-sip-from-to': { ok: true, why: 'any absoluteURI is allowed in From/To' },
  'repeated-single-headers': {
    ok: false,
    status: 400,
    answerable: true,
    reason: 'Multiple To Headers',
  },
  'conflicting-content-lengths': {
    ok: false,
    status: 400,
    answerable: true,
    reason: 'Multiple Content-Length Headers',
  },
};

describe('RFC 4475 invalid messages (§3.1.2, and §3.3.1/§3.3.4/§3.3.8/§3.3.9)', () => {
  it('has a verdict for every fixture', () => {
    const files = readdirSync(join(DIR, 'invalid'))
      .filter((f) => f.endsWith('.sip'))
      .map((f) => f.slice(0, -4));
    expect(files).toHaveLength(23);
    expect(files.sort()).toEqual(Object.keys(INVALID).sort());
  });

  it.each(Object.entries(INVALID))('%s', (name, expected) => {
    const r = parseMessage(load('invalid', name));
    if (expected.ok) {
      expect(r.ok).toBe(true);
      return;
    }
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe(expected.reason);
    expect(r.error.status).toBe(expected.status);
    expect(r.error.answerable !== undefined).toBe(expected.answerable);
  });

  it('non-SIP From/To keep their tags and URIs as text (RFC 4475 §3.3.4)', () => {
    const m = parseRequest(load('invalid', 'non-sip-from-to'));
    expect(fromTag(m)).toBe('web-34');
    expect(toTag(m)).toBeUndefined();
    expect(parseAnyNameAddr(getHeader(m, 'From') ?? '')?.uri).toBe(
      'https://pbx.example.invalid/users/ext272',
    );
    expect(parseAnyNameAddr('isbn:2983792873')?.uri).toBe('isbn:2983792873');
    expect(parseAnyNameAddr('<not a uri>')).toBeUndefined();
    expect(parseAnyNameAddr('<:nothing>')).toBeUndefined();
  });

  it('answerable requests keep what a 400 needs', () => {
    const r = parseMessage(load('invalid', 'cseq-method-mismatch'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const req = r.error.answerable;
    expect(req?.method).toBe('OPTIONS');
    expect(req && callId(req)).toBe('cseq-mismatch.1717');
    expect(req && branch(req)).toBe('z9hG4bKmm17');
    expect(req && cseq(req)).toEqual({ seq: 17, method: 'REGISTER' });
  });

  it('lenient readings give the sensible values', () => {
    expect(parseRequest(load('invalid', 'extra-spaces-request-line')).uri).toBe(
      'sip:ext254@pbx.example.invalid',
    );
    expect(parseRequest(load('invalid', 'trailing-space-request-line')).uri).toBe(
      'sip:ext256@pbx.example.invalid',
    );
    const padded = parseRequest(load('invalid', 'spaces-inside-angle-brackets'));
    expect(parseNameAddr(getHeader(padded, 'To') ?? '')).toMatchObject({
      displayName: 'Desk, Front',
      uri: { user: 'frontdesk', host: 'pbx.example.invalid' },
    });
    const comma = parseRequest(load('invalid', 'unquoted-display-name-comma'));
    expect(parseNameAddr(getHeader(comma, 'From') ?? '')?.displayName).toBe('Lee, Dohyun');
    expect(parseNameAddr(getHeader(comma, 'To') ?? '')?.displayName).toBe('Kim, Minji');
    const date = parseRequest(load('invalid', 'date-not-gmt'));
    expect(getHeader(date, 'Date')).toBe('Tue, 07 Mar 2023 09:30:00 KST');
    const bare = parseRequest(load('invalid', 'contact-query-unbracketed'));
    expect(getHeader(bare, 'Contact')).toBe('sip:ext262@127.0.0.47?Subject=lunch');
    expect(parseNameAddr(getHeader(bare, 'Contact') ?? '')).toBeUndefined();
  });
});
