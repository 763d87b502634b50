import { getHeader, getHeaders, parseMessage, parseUri, serializeMessage } from '../../src/message';
import type { SipRequest, SipResponse } from '../../src/message';
import type { ListenAddress } from '../../src/transport/types';
import {
  buildBranchRequest,
  buildCancel,
  isChallenge,
  isOurUri,
  nextHopUri,
  ourRouteValue,
  prepareForward,
  redirectTargets,
  removeOurRoutes,
  topRouteIsOurs,
  withoutTopVia,
} from '../../src/proxy/forward';
import { parseDuration, parseProxyCommand } from '../../src/proxy/command';

const listen: ListenAddress[] = [
  { protocol: 'udp', address: '127.0.0.1', port: 5080, advertisedAddress: '127.0.0.1' },
];

function parse<T extends SipRequest | SipResponse>(lines: string[]): T {
  const r = parseMessage(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`));
  if (!r.ok) throw new Error(r.error.reason);
  return r.message as T;
}

function invite(extra: string[] = [], uri = 'sip:201@127.0.0.1:5080'): SipRequest {
  return parse<SipRequest>([
    `INVITE ${uri} SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK776asdhds;rport=5062;received=127.0.0.2',
    'Max-Forwards: 70',
    'From: <sip:200@127.0.0.1>;tag=1928301774',
    'To: <sip:201@127.0.0.1>',
    'Call-ID: a84b4c76e66710@127.0.0.2',
    'CSeq: 314159 INVITE',
    'Contact: <sip:200@127.0.0.2:5062>',
    ...extra,
    'Content-Length: 0',
  ]);
}

const target = parseUri('sip:127.0.0.1:5090')!;
const ourVia = 'SIP/2.0/UDP 127.0.0.1:5080;rport;branch=z9hG4bKproxy1';

describe('our addresses', () => {
  it('recognises URIs naming one of our listeners, default port 5060', () => {
    expect(isOurUri(parseUri('sip:201@127.0.0.1:5080')!, listen)).toBe(true);
    expect(isOurUri(parseUri('sip:201@127.0.0.1:5090')!, listen)).toBe(false);
    expect(isOurUri(parseUri('sip:201@127.0.0.1')!, listen)).toBe(false);
    expect(isOurUri(parseUri('sip:201@127.0.0.1')!, [{ ...listen[0]!, port: 5060 }])).toBe(true);
    expect(isOurUri(parseUri('tel:+4930123')!, listen)).toBe(false);
  });

  it('removes only the top Route entries that name us', () => {
    const req = invite([
      'Route: <sip:127.0.0.1:5080;lr>, <sip:127.0.0.9:5060;lr>',
      'Route: <sip:127.0.0.1:5080;lr>',
    ]);
    expect(topRouteIsOurs(req, listen)).toBe(true);
    expect(removeOurRoutes(req, listen)).toBe(1);
    expect(getHeaders(req, 'Route')).toEqual([
      '<sip:127.0.0.9:5060;lr>',
      '<sip:127.0.0.1:5080;lr>',
    ]);
    expect(topRouteIsOurs(req, listen)).toBe(false);
  });
});

describe('prepareForward', () => {
  it('decrements Max-Forwards, drops our preloaded Route and leaves the original alone', () => {
    const req = invite(['Route: <sip:127.0.0.1:5080;lr>']);
    const out = prepareForward(req, listen);
    expect(getHeader(out, 'Max-Forwards')).toBe('69');
    expect(getHeader(out, 'Route')).toBeUndefined();
    expect(getHeader(req, 'Max-Forwards')).toBe('70');
    expect(getHeader(req, 'Route')).toBe('<sip:127.0.0.1:5080;lr>');
  });

  it('sets Max-Forwards 70 when absent', () => {
    const req = invite();
    req.headers = req.headers.filter((h) => h.name !== 'Max-Forwards');
    expect(getHeader(prepareForward(req, listen), 'Max-Forwards')).toBe('70');
  });

  it('sends to the next Route when one remains, else to the target', () => {
    const routed = prepareForward(
      invite(['Route: <sip:127.0.0.1:5080;lr>, <sip:127.0.0.9:5070;lr>']),
      listen,
    );
    expect(nextHopUri(routed, target)).toMatchObject({ host: '127.0.0.9', port: 5070 });
    expect(nextHopUri(prepareForward(invite(), listen), target)).toBe(target);
  });
});

describe('buildBranchRequest', () => {
  it('replaces a Request-URI naming us, adds our Via on top and Record-Route', () => {
    const out = buildBranchRequest(prepareForward(invite(), listen), {
      target,
      replaceUri: true,
      via: ourVia,
      recordRoute: ourRouteValue('127.0.0.1', 5080, 'udp'),
      headers: [{ name: 'X-Proxied', value: 'yes' }],
    });
    expect(out.uri).toBe('sip:127.0.0.1:5090');
    expect(getHeaders(out, 'Via')).toEqual([
      ourVia,
      'SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK776asdhds;rport=5062;received=127.0.0.2',
    ]);
    expect(getHeader(out, 'Record-Route')).toBe('<sip:127.0.0.1:5080;transport=udp;lr>');
    expect(getHeader(out, 'X-Proxied')).toBe('yes');
    expect(out.headers[0]?.name).toBe('Via');
    expect(out.headers[2]?.name).toBe('Record-Route');
  });

  it('keeps a Request-URI that does not name us', () => {
    const out = buildBranchRequest(prepareForward(invite([], 'sip:201@example.invalid'), listen), {
      target,
      replaceUri: false,
      via: ourVia,
      headers: [],
    });
    expect(out.uri).toBe('sip:201@example.invalid');
    expect(getHeader(out, 'Record-Route')).toBeUndefined();
  });

  it('puts our Record-Route above the ones already there', () => {
    const out = buildBranchRequest(
      prepareForward(invite(['Record-Route: <sip:127.0.0.7;lr>']), listen),
      {
        target,
        replaceUri: true,
        via: ourVia,
        recordRoute: ourRouteValue('127.0.0.1', 5080, 'udp'),
        headers: [],
      },
    );
    expect(getHeaders(out, 'Record-Route')).toEqual([
      '<sip:127.0.0.1:5080;transport=udp;lr>',
      '<sip:127.0.0.7;lr>',
    ]);
  });

  it('uses Path and Require: path for REGISTER (RFC 3327)', () => {
    const reg = parse<SipRequest>([
      'REGISTER sip:127.0.0.1:5080 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bKreg1',
      'Max-Forwards: 70',
      'From: <sip:200@127.0.0.1>;tag=r1',
      'To: <sip:200@127.0.0.1>',
      'Call-ID: reg1@127.0.0.2',
      'CSeq: 1 REGISTER',
      'Contact: <sip:200@127.0.0.2:5062>',
      'Content-Length: 0',
    ]);
    const out = buildBranchRequest(prepareForward(reg, listen), {
      target,
      replaceUri: true,
      via: ourVia,
      recordRoute: ourRouteValue('127.0.0.1', 5080, 'udp'),
      headers: [],
    });
    expect(getHeader(out, 'Path')).toBe('<sip:127.0.0.1:5080;transport=udp;lr>');
    expect(getHeader(out, 'Require')).toBe('path');
    expect(getHeader(out, 'Record-Route')).toBeUndefined();
  });

  it('serialises to a message that parses again', () => {
    const out = buildBranchRequest(prepareForward(invite(), listen), {
      target,
      replaceUri: true,
      via: ourVia,
      headers: [],
    });
    const again = parseMessage(serializeMessage(out));
    expect(again.ok).toBe(true);
  });
});

describe('responses and CANCEL', () => {
  it('takes our Via off a response, also from a combined header line', () => {
    const res = parse<SipResponse>([
      'SIP/2.0 180 Ringing',
      `Via: ${ourVia}, SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK776asdhds`,
      'From: <sip:200@127.0.0.1>;tag=1928301774',
      'To: <sip:201@127.0.0.1>;tag=callee',
      'Call-ID: a84b4c76e66710@127.0.0.2',
      'CSeq: 314159 INVITE',
      'Content-Length: 0',
    ]);
    const up = withoutTopVia(res);
    expect(getHeaders(up, 'Via')).toEqual(['SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK776asdhds']);
    expect(getHeaders(res, 'Via')).toHaveLength(2);
  });

  it('builds the CANCEL of a branch from its INVITE (RFC 3261 §9.1)', () => {
    const branchReq = buildBranchRequest(
      prepareForward(invite(['Route: <sip:127.0.0.9;lr>']), listen),
      {
        target,
        replaceUri: true,
        via: ourVia,
        headers: [],
      },
    );
    const cancel = buildCancel(branchReq);
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.uri).toBe(branchReq.uri);
    expect(getHeaders(cancel, 'Via')).toEqual([ourVia]);
    expect(getHeader(cancel, 'CSeq')).toBe('314159 CANCEL');
    expect(getHeader(cancel, 'Route')).toBe('<sip:127.0.0.9;lr>');
    expect(getHeader(cancel, 'To')).toBe('<sip:201@127.0.0.1>');
  });

  it('reads 3xx Contacts as targets, highest q first', () => {
    const res = parse<SipResponse>([
      'SIP/2.0 302 Moved Temporarily',
      `Via: ${ourVia}`,
      'From: <sip:200@127.0.0.1>;tag=1',
      'To: <sip:201@127.0.0.1>;tag=2',
      'Call-ID: x',
      'CSeq: 1 INVITE',
      'Contact: <sip:a@127.0.0.3>;q=0.5, <sip:b@127.0.0.4>;q=0.9',
      'Contact: <sip:c@127.0.0.5>',
      'Content-Length: 0',
    ]);
    expect(redirectTargets(res)).toEqual(['sip:c@127.0.0.5', 'sip:b@127.0.0.4', 'sip:a@127.0.0.3']);
  });

  it('knows a challenge only when it carries its header', () => {
    const common = [
      `Via: ${ourVia}`,
      'From: <sip:a@127.0.0.1>;tag=1',
      'To: <sip:b@127.0.0.1>;tag=2',
      'Call-ID: c',
      'CSeq: 1 INVITE',
    ];
    const with401 = parse<SipResponse>([
      'SIP/2.0 401 Unauthorized',
      ...common,
      'WWW-Authenticate: Digest realm="x", nonce="y"',
      'Content-Length: 0',
    ]);
    const bare407 = parse<SipResponse>([
      'SIP/2.0 407 Proxy Authentication Required',
      ...common,
      'Content-Length: 0',
    ]);
    expect(isChallenge(with401)).toBe(true);
    expect(isChallenge(bare407)).toBe(false);
  });
});

describe('proxy command', () => {
  const sipPart = 'INVITE sip:127.0.0.1:5090 SIP/2.0\r\nX-Foo: bar\r\nContent-Length: 0\r\n\r\n';

  it('reads the tokens as drachtio-srf writes them', () => {
    const tokens = [
      'm1',
      'proxy',
      'txn-1',
      'remainInDialog',
      'fullResponse',
      '',
      'simultaneous',
      '2s',
      '',
      'sip:127.0.0.1:5090',
      'sip:127.0.0.1:5091',
    ];
    expect(parseProxyCommand(tokens, sipPart)).toEqual({
      txnId: 'txn-1',
      remainInDialog: true,
      fullResponse: true,
      followRedirects: false,
      forking: 'simultaneous',
      provisionalTimeoutMs: 2000,
      destinations: ['sip:127.0.0.1:5090', 'sip:127.0.0.1:5091'],
      headers: [{ name: 'X-Foo', value: 'bar' }],
    });
  });

  it('defaults to serial and rejects a command without destinations', () => {
    const cmd = parseProxyCommand(
      ['m1', 'proxy', 't', '', 'fullResponse', 'followRedirects', 'serial', '', '1500ms', 'sip:a'],
      '',
    );
    expect(cmd).toMatchObject({
      forking: 'serial',
      followRedirects: true,
      remainInDialog: false,
      finalTimeoutMs: 1500,
    });
    expect(
      parseProxyCommand(['m1', 'proxy', 't', '', 'fullResponse', '', 'serial', '', ''], ''),
    ).toEqual({ error: 'no destination to proxy to' });
  });

  it.each([
    ['2s', 2000],
    ['1500ms', 1500],
    ['750', 750],
    ['', undefined],
    ['soon', undefined],
    ['0s', undefined],
  ])('duration %j is %j ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
