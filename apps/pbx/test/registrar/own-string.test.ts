import { ownString, ownUnlessKept } from '../../src/registrar/own-string';

describe('ownString', () => {
  it('copies any text unchanged, non-ASCII included', () => {
    const message = 'REGISTER sip:x SIP/2.0\r\nUser-Agent: Téléphone 电话 📞/1.0\r\n\r\n';
    const slice = message.slice(message.indexOf('Tél'), message.indexOf('\r\n\r\n'));
    for (const s of ['', 'a', slice, 'x'.repeat(5000)]) expect(ownString(s)).toBe(s);
  });

  it('reuses the kept string when the value is equal, copies it otherwise', () => {
    const kept = 'sip:201@127.0.0.5:5062';
    expect(ownUnlessKept(`sip:201@127.0.0.5:${5062}`, kept)).toBe(kept);
    expect(ownUnlessKept('sip:201@127.0.0.6:5062', kept)).toBe('sip:201@127.0.0.6:5062');
    expect(ownUnlessKept('new', undefined)).toBe('new');
  });
});
