import { getHeader, parseMessage, type SipRequest } from '../../src/message';

// The parser recognises header names by comparing them in place with the last spelling seen of
// the same length and first letter, and locates the empty line without views of the datagram.
// Neither may change what a message parses to, whatever order spellings arrive in.

function req(lines: string[], tail = '\r\n\r\n'): SipRequest {
  const r = parseMessage(Buffer.from(lines.join('\r\n') + tail, 'latin1'));
  if (!r.ok || r.message.kind !== 'request')
    throw new Error(r.ok ? 'not a request' : r.error.reason);
  return r.message;
}

function lines(via: string, from: string, extra: string[] = []): string[] {
  return [
    'OPTIONS sip:127.0.0.1 SIP/2.0',
    `${via}: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK1`,
    `${from}: <sip:a@127.0.0.1>;tag=1`,
    't: <sip:b@127.0.0.1>',
    'i: x@127.0.0.2',
    'CSeq: 1 OPTIONS',
    ...extra,
  ];
}

describe('header names recognised in place', () => {
  it('gives the canonical name for every spelling, in any order of arrival', () => {
    const spellings: Array<[string, string]> = [
      ['Via', 'From'],
      ['VIA', 'FROM'],
      ['v', 'f'],
      ['via', 'from'],
      ['Via', 'f'],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [via, from] of spellings) {
        const m = req(
          lines(via, from, ['X-Mine: 1', 'x-mine: 2', 'Subject: s', 'Supported: timer']),
        );
        expect(m.headers.map((h) => h.name)).toEqual([
          'Via',
          'From',
          'To',
          'Call-ID',
          'CSeq',
          'X-Mine',
          'x-mine',
          'Subject',
          'Supported',
        ]);
      }
    }
  });

  it('still refuses a bad name after good names of the same length and first letter', () => {
    req(lines('Via', 'From', ['Abc: 1']));
    const r = parseMessage(Buffer.from(lines('Via', 'From', ['A c: 1']).join('\r\n') + '\r\n\r\n'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.error.status, r.error.reason]).toEqual([400, 'Bad Header Line']);
    // A name differing only after the first letter is not taken for the remembered one.
    const m = req(lines('Via', 'From', ['Abd: 2']));
    expect(getHeader(m, 'Abd')).toBe('2');
    expect(getHeader(m, 'Abc')).toBeUndefined();
  });
});

describe('end of the header block', () => {
  it('takes a bare-LF empty line that comes before the CRLF one', () => {
    const r = parseMessage(
      Buffer.from(`${lines('Via', 'From').join('\n')}\n\nbody\r\n\r\nmore`, 'latin1'),
    );
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.message.body.toString('latin1')).toBe('body\r\n\r\nmore');
  });

  it('takes the CRLF empty line when a bare-LF one only comes later, in the body', () => {
    const m = req([...lines('Via', 'From'), 'Content-Length: 6'], '\r\n\r\nab\n\ncd');
    expect(m.body.toString('latin1')).toBe('ab\n\ncd');
  });

  it('gives an empty body for Content-Length 0 and for no body at all', () => {
    expect(req([...lines('Via', 'From'), 'Content-Length: 0']).body.length).toBe(0);
    expect(req(lines('Via', 'From')).body.length).toBe(0);
  });

  it('parses a datagram without the empty line leniently, and refuses garbage without throwing', () => {
    const r = parseMessage(Buffer.from(lines('Via', 'From').join('\r\n'), 'latin1'));
    expect(r.ok).toBe(true);
    for (const junk of ['\r\n\r\n', ':\r\n\r\n', 'x\n\ny', '\u0000\u00ff\r\n\r\n']) {
      const bad = parseMessage(Buffer.from(junk, 'latin1'));
      expect(bad.ok).toBe(false);
    }
  });
});
