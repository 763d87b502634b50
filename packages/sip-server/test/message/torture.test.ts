/**
 * RFC 4475 torture messages (test/fixtures/torture, see its README.md for where each file comes
 * from and why it sits in valid/ or invalid/).
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
  parseNameAddr,
  parseUri,
  parseVia,
  toTag,
  topVia,
} from '../../src/message';
import { parseRequest, parseResponse } from './helpers';

const DIR = join(__dirname, '../fixtures/torture');
const load = (dir: 'valid' | 'invalid', name: string): Buffer => readFileSync(join(DIR, dir, `${name}.sip`));

describe('RFC 4475 valid messages (§3.1.1) and semantically odd but parsable ones (§3.2-§3.4)', () => {
  const files = readdirSync(join(DIR, 'valid')).filter((f) => f.endsWith('.sip'));

  it('has all fixtures', () => {
    expect(files).toHaveLength(26);
  });

  it.each(files)('%s parses', (file) => {
    const r = parseMessage(readFileSync(join(DIR, 'valid', file)));
    expect(r.ok ? 'ok' : r.error.reason).toBe('ok');
  });

  it('wsinv (§3.1.1.1): whitespace, folding, compact forms, case of names', () => {
    const m = parseRequest(load('valid', 'wsinv'));
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:vivekg@chair-dnrc.example.com;unknownparam');
    expect(toTag(m)).toBe('1918181833n');
    expect(fromTag(m)).toBe('98asjd8');
    expect(parseNameAddr(getHeader(m, 'From') ?? '')?.displayName).toBe('J Rosenberg \\"');
    expect(getHeader(m, 'Max-Forwards')).toBe('0068');
    expect(cseq(m)).toEqual({ seq: 9, method: 'INVITE' });
    expect(callId(m)).toBe('wsinv.ndaksdj@192.0.2.1');
    expect(getHeader(m, 'Subject')).toBe('');
    expect(getHeader(m, 'NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(getHeader(m, 'UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    const vias = getHeaders(m, 'Via').map((v) => parseVia(v));
    expect(vias.map((v) => [v?.transport, v?.host, v?.params['branch']])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    const contact = parseNameAddr(getHeader(m, 'Contact') ?? '');
    expect(contact?.displayName).toBe('Quoted string ""');
    expect({ ...contact?.params }).toEqual({ newparam: 'newvalue', secondparam: null, q: '0.33' });
    expect(parseNameAddr(getHeader(m, 'Route') ?? '')?.uri.params).toMatchObject({ lr: null, 'unknown-no-value': null });
    expect(m.body.length).toBe(150);
    expect(m.headers.map((h) => h.name)).toEqual([
      'To', 'From', 'Max-Forwards', 'Call-ID', 'Content-Length', 'CSeq', 'Via', 'Subject',
      'Newfangledheader', 'Unknownheaderwithunusualvalue', 'Content-Type', 'Route', 'Via', 'Contact',
    ]);
  });

  it('intmeth (§3.1.1.2): the full range of token and quoted-string characters', () => {
    const m = parseRequest(load('valid', 'intmeth'));
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(cseq(m)?.method).toBe(m.method);
    const uri = parseUri(m.uri);
    expect(uri?.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(uri?.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(uri?.host).toBe('example.com');
    expect(parseNameAddr(getHeader(m, 'To') ?? '')?.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    const from = parseNameAddr(getHeader(m, 'From') ?? '');
    expect(from?.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(from?.params['tag']).toBe("_token~1'+`*%!-.");
    expect(from?.params["fromparam''~+*_!.-%"]).toBe('"работающий"');
    expect(callId(m)).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(getHeader(m, "extensionHeader-!.%*+_`'~")).toBe('\uFEFF\u5927\u505C\u96FB');
    expect(branch(m)).toBe("z9hG4bK-.!%66*_+`'~");
  });

  it('esc01 (§3.1.1.3): escapes are resolved in user, params', () => {
    const m = parseRequest(load('valid', 'esc01'));
    expect(parseUri(m.uri)).toMatchObject({ user: 'sips:user@example.com', host: 'example.net' });
    expect(parseNameAddr(getHeader(m, 'To') ?? '')?.uri.user).toBe('user');
    expect(parseNameAddr(getHeader(m, 'From') ?? '')?.uri.user).toBe('I have spaces');
    const contact = parseNameAddr(getHeader(m, 'Contact') ?? '');
    expect(contact?.uri.user).toBe('caller');
    expect({ ...contact?.uri.params }).toEqual({ lr: null, name: 'value%41' });
    expect(getHeader(m, 'Content-Type')).toBe('application/sdp');
  });

  it('escnull (§3.1.1.4): escaped NULs in users', () => {
    const m = parseRequest(load('valid', 'escnull'));
    expect(parseNameAddr(getHeader(m, 'To') ?? '')?.uri.user).toBe('null-\u0000-null');
    expect(getHeaders(m, 'Contact').map((c) => parseNameAddr(c)?.uri.user)).toEqual(['\u0000', '\u0000\u0000']);
  });

  it('esc02 (§3.1.1.5): % that is not an escape', () => {
    const m = parseRequest(load('valid', 'esc02'));
    expect(m.method).toBe('RE%47IST%45R');
    expect(getHeaders(m, 'Contact')).toHaveLength(2);
    expect(getHeader(m, 'C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
    expect(parseNameAddr(getHeader(m, 'To') ?? '')?.displayName).toBe('%Z%45');
    expect(branch(m)).toBe('z9hG4bK209%fzsnel234');
  });

  it('lwsdisp (§3.1.1.6): no LWS between display name and <', () => {
    const m = parseRequest(load('valid', 'lwsdisp'));
    expect(parseNameAddr(getHeader(m, 'From') ?? '')).toMatchObject({ displayName: 'caller', uri: { user: 'caller' } });
  });

  it('longreq (§3.1.1.7): long values and many Vias', () => {
    const m = parseRequest(load('valid', 'longreq'));
    expect(getHeaders(m, 'Via')).toHaveLength(34);
    expect(topVia(m)?.host).toBe('sip33.example.com');
    const to = parseNameAddr(getHeader(m, 'To') ?? '');
    expect(to?.uri.port).toBe(6000);
    expect(to?.displayName).toMatch(/^I have a user name of (extreme){10} proportion$/);
    expect(m.body.length).toBe(150);
  });

  it('dblreq (§3.1.1.8): bytes after Content-Length in a datagram are ignored', () => {
    const m = parseRequest(load('valid', 'dblreq'));
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
    expect(callId(m)).toBe('dblreq.0ha0isndaksdj99sdfafnl3lk233412');
  });

  it('semiuri (§3.1.1.9): semicolon in the user part; folded Accept list', () => {
    const m = parseRequest(load('valid', 'semiuri'));
    expect(parseUri(m.uri)).toMatchObject({ user: 'user;par=u@example.net', host: 'example.com' });
    expect(getHeaders(m, 'Accept')).toEqual([
      'application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag',
    ]);
  });

  it('transports (§3.1.1.10): unknown transports are kept', () => {
    const m = parseRequest(load('valid', 'transports'));
    expect(getHeaders(m, 'Via').map((v) => parseVia(v)?.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    expect(callId(m)).toBe('transports.kijh4akdnaqjkwendsasfdj');
  });

  it('mpart01 (§3.1.1.11): binary multipart body is kept byte for byte', () => {
    const raw = load('valid', 'mpart01');
    const m = parseRequest(raw);
    expect(m.body.length).toBe(553);
    expect(m.body.equals(raw.subarray(raw.length - 553))).toBe(true);
  });

  it('unreason (§3.1.1.12): UTF-8 reason phrase', () => {
    const m = parseResponse(load('valid', 'unreason'));
    expect(m.status).toBe(200);
    expect(m.reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
  });

  it('noreason (§3.1.1.13): empty reason phrase', () => {
    const m = parseResponse(load('valid', 'noreason'));
    expect(m.status).toBe(100);
    expect(m.reason).toBe('');
  });

  it('badbranch (§3.2.1): a bare magic cookie is still a branch', () => {
    expect(branch(parseRequest(load('valid', 'badbranch')))).toBe('z9hG4bK');
  });

  it('inv2543 (§3.4.1): RFC 2543 request without Content-Length takes the rest of the datagram', () => {
    const raw = load('valid', 'inv2543');
    const m = parseRequest(raw);
    expect(branch(m)).toBeUndefined();
    expect(fromTag(m)).toBeUndefined();
    expect(m.body.toString()).toMatch(/^v=0\r\n[\s\S]*m=audio 49217 RTP\/AVP 0\r\n$/);
  });
});

type Expect =
  | { ok: false; status: 400 | 505; answerable: boolean; reason: string }
  | { ok: true; why: string };

/** RFC 4475 §3.1.2 and the §3.3 messages our parser refuses. */
const INVALID: Record<string, Expect> = {
  badinv01: { ok: false, status: 400, answerable: false, reason: 'Bad Via Header' },
  clerr: { ok: false, status: 400, answerable: true, reason: 'Content-Length Larger Than Message' },
  ncl: { ok: false, status: 400, answerable: true, reason: 'Bad Content-Length Header' },
  scalar02: { ok: false, status: 400, answerable: false, reason: 'Bad CSeq Header' },
  scalarlg: { ok: false, status: 400, answerable: false, reason: 'Bad CSeq Header' },
  quotbal: { ok: false, status: 400, answerable: false, reason: 'Bad To Header' },
  ltgtruri: { ok: false, status: 400, answerable: true, reason: 'Bad Request-URI' },
  lwsruri: { ok: false, status: 400, answerable: false, reason: 'Bad Request Line' },
  lwsstart: { ok: true, why: '§3.1.2.9: extra SP in the request line may be ignored' },
  trws: { ok: true, why: '§3.1.2.10: trailing SP in the request line may be ignored' },
  escruri: { ok: false, status: 400, answerable: true, reason: 'Bad Request-URI' },
  baddate: { ok: true, why: '§3.1.2.12: Date is not interpreted by the parser' },
  regbadct: { ok: true, why: '§3.1.2.13: Contact is not checked here; parseNameAddr refuses it' },
  badaspec: { ok: true, why: '§3.1.2.14: spaces inside <> may be ignored' },
  baddn: { ok: true, why: '§3.1.2.15: unquoted non-token display name read liberally' },
  badvers: { ok: false, status: 505, answerable: false, reason: 'Version Not Supported' },
  mismatch01: { ok: false, status: 400, answerable: true, reason: 'CSeq Method Mismatch' },
  mismatch02: { ok: false, status: 400, answerable: true, reason: 'CSeq Method Mismatch' },
  bigcode: { ok: false, status: 400, answerable: false, reason: 'Bad Status Line' },
  insuf: { ok: false, status: 400, answerable: false, reason: 'Missing From Header' },
  unksm2: { ok: false, status: 400, answerable: false, reason: 'Bad From Header' },
  multi01: { ok: false, status: 400, answerable: true, reason: 'Multiple CSeq Headers' },
  mcl01: { ok: false, status: 400, answerable: true, reason: 'Multiple Content-Length Headers' },
};

describe('RFC 4475 invalid messages (§3.1.2, and §3.3.1/§3.3.4/§3.3.8/§3.3.9)', () => {
  it('has a verdict for every fixture', () => {
    const files = readdirSync(join(DIR, 'invalid')).filter((f) => f.endsWith('.sip')).map((f) => f.slice(0, -4));
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

  it('answerable requests keep what a 400 needs', () => {
    const r = parseMessage(load('invalid', 'mismatch01'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const req = r.error.answerable;
    expect(req?.method).toBe('OPTIONS');
    expect(req && callId(req)).toBe('mismatch01.dj0234sxdfl3');
    expect(req && branch(req)).toBe('z9hG4bKkdjuw');
  });

  it('lenient readings give the sensible values', () => {
    expect(parseRequest(load('invalid', 'lwsstart')).uri).toBe('sip:user@example.com');
    expect(parseRequest(load('invalid', 'trws')).uri).toBe('sip:remote-target@example.com');
    const badaspec = parseRequest(load('invalid', 'badaspec'));
    expect(parseNameAddr(getHeader(badaspec, 'To') ?? '')?.uri).toMatchObject({ user: 't.watson', host: 'example.org' });
    const baddn = parseRequest(load('invalid', 'baddn'));
    expect(parseNameAddr(getHeader(baddn, 'From') ?? '')?.displayName).toBe('Bell, Alexander');
    const regbadct = parseRequest(load('invalid', 'regbadct'));
    expect(parseNameAddr(getHeader(regbadct, 'Contact') ?? '')).toBeUndefined();
  });
});
