import { parseClientMessage } from '../../src/wire/client-message';

// The app's SIP text is a template (wire spec §4.2): server-owned headers are dropped, names are
// canonicalised (cached per raw name), lines that are not headers are skipped, and nothing the
// app sends can make the parser throw.

describe('parseClientMessage', () => {
  it('drops server-owned headers and canonicalises names, the same on every call', () => {
    const text = [
      'SIP/2.0 200 OK',
      'via: SIP/2.0/UDP 127.0.0.9;branch=z9hG4bKapp',
      'Content-Length: 99',
      'contact: <sip:a@127.0.0.1>',
      'X-Custom_Thing: 1',
      'p_asserted_identity: <sip:b@127.0.0.1>',
      'RSeq: 4',
      'i: call@127.0.0.1',
      '',
      '',
    ].join('\r\n');
    for (let round = 0; round < 3; round++) {
      const m = parseClientMessage(text);
      if ('error' in m) throw new Error(m.error);
      expect(m.kind).toBe('response');
      expect(m.headers).toEqual([
        { name: 'Contact', value: '<sip:a@127.0.0.1>' },
        { name: 'X-Custom_Thing', value: '1' },
        { name: 'P-Asserted-Identity', value: '<sip:b@127.0.0.1>' },
        { name: 'Call-ID', value: 'call@127.0.0.1' },
      ]);
      expect(m.body.length).toBe(0);
    }
  });

  it('skips lines that are not headers and values holding a bare CR or LF', () => {
    const m = parseClientMessage(
      [
        'OPTIONS sip:b@127.0.0.1 SIP/2.0',
        'no colon here',
        ': empty name',
        'Bad Name: x',
        'Subject: one\rtwo',
        'Subject: fine',
        '',
        'body',
      ].join('\r\n'),
    );
    if ('error' in m) throw new Error(m.error);
    expect(m.kind).toBe('request');
    expect(m.headers).toEqual([{ name: 'Subject', value: 'fine' }]);
    expect(m.body.toString('utf8')).toBe('body');
  });

  it('returns an error, not an exception, for a start line it cannot read', () => {
    for (const text of [
      '',
      'garbage',
      'INVITE SIP/2.0',
      '\u0000\u00ff|||\r\n\r\n',
      'SIP/2.0 abc',
    ]) {
      const m = parseClientMessage(text);
      expect('error' in m).toBe(true);
    }
  });

  it('keeps a UTF-8 body exactly', () => {
    const m = parseClientMessage(
      'MESSAGE sip:b@127.0.0.1 SIP/2.0\r\nContent-Type: text/plain\r\n\r\nGrüße €',
    );
    if ('error' in m) throw new Error(m.error);
    expect(m.body.toString('utf8')).toBe('Grüße €');
  });
});
