import type * as nodeCrypto from 'node:crypto';
import { computeHa1 } from '@pbx/store';
import {
  checkDigestForm,
  expectedResponse,
  formatChallenge,
  nonceCount,
  parseDigestCredentials,
  verifyDigest,
} from '../../src/registrar/digest';

// RFC 2617 §3.5: the worked example (method GET).
const RFC_HEADER =
  'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
  'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", ' +
  'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
const RFC_HA1 = computeHa1('Mufasa', 'testrealm@host.com', 'Circle Of Life');

describe('parseDigestCredentials', () => {
  test('reads every parameter of the RFC 2617 example', () => {
    expect(parseDigestCredentials(RFC_HEADER)).toEqual({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      response: '6629fae49393a05397450978507c4ef1',
      algorithm: undefined,
      cnonce: '0a4f113b',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      qop: 'auth',
      nc: '00000001',
    });
  });

  test('handles commas and escaped quotes inside quoted values, no spaces, any scheme case', () => {
    const c = parseDigestCredentials(
      'digest username="a\\"b",realm="x,y",nonce="n",uri="sip:h",response="r",algorithm=MD5',
    );
    expect(c).toMatchObject({ username: 'a"b', realm: 'x,y', algorithm: 'MD5' });
  });

  test.each([
    ['Basic dXNlcjpwYXNz'],
    ['Digest realm="r", nonce="n", uri="u", response="x"'],
    ['Digest username="u", realm="r", nonce="n", uri="u"'],
    ['Digest username="u", realm="r", nonce="n", uri="u", response="x'],
    ['Digest username="u", username="v", realm="r", nonce="n", uri="u", response="x"'],
    ['Digest username="u", realm="", nonce="n", uri="u", response="x"'],
    ['Digest username'],
  ])('refuses %s', (h) => {
    expect(parseDigestCredentials(h)).toBeUndefined();
  });

  test('an empty username is well-formed', () => {
    expect(
      parseDigestCredentials('Digest username="", realm="r", nonce="n", uri="u", response="x"')
        ?.username,
    ).toBe('');
  });
});

describe('responses', () => {
  test('the RFC 2617 example response is reproduced and verified', () => {
    const c = parseDigestCredentials(RFC_HEADER)!;
    expect(expectedResponse(RFC_HA1, 'GET', c)).toBe('6629fae49393a05397450978507c4ef1');
    expect(verifyDigest(RFC_HA1, 'GET', c)).toBe(true);
    expect(verifyDigest(RFC_HA1, 'GET', { ...c, response: c.response.toUpperCase() })).toBe(true);
    expect(verifyDigest(RFC_HA1, 'POST', c)).toBe(false);
    expect(
      verifyDigest(computeHa1('Mufasa', 'testrealm@host.com', 'circle of life'), 'GET', c),
    ).toBe(false);
    expect(verifyDigest(RFC_HA1, 'GET', { ...c, nc: '00000002' })).toBe(false);
    expect(verifyDigest(RFC_HA1, 'GET', { ...c, response: 'abc' })).toBe(false);
  });

  test('without qop the RFC 2069 form is used', () => {
    const c = { username: 'u', realm: 'r', nonce: 'n', uri: 'sip:r', response: '' };
    const ha1 = computeHa1('u', 'r', 'pw');
    const { createHash } = jest.requireActual<typeof nodeCrypto>('node:crypto');
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    expect(expectedResponse(ha1, 'REGISTER', c)).toBe(md5(`${ha1}:n:${md5('REGISTER:sip:r')}`));
  });

  test('checkDigestForm accepts what we offer and names what we do not', () => {
    const base = parseDigestCredentials(RFC_HEADER)!;
    expect(checkDigestForm(base)).toBeUndefined();
    expect(checkDigestForm({ ...base, algorithm: 'md5' })).toBeUndefined();
    expect(
      checkDigestForm({ ...base, qop: undefined, nc: undefined, cnonce: undefined }),
    ).toBeUndefined();
    expect(checkDigestForm({ ...base, algorithm: 'SHA-256' })).toBe('algorithm');
    expect(checkDigestForm({ ...base, qop: 'auth-int' })).toBe('qop');
    expect(checkDigestForm({ ...base, cnonce: undefined })).toBe('qop');
    expect(checkDigestForm({ ...base, nc: '1' })).toBe('nonce-count');
    expect(nonceCount({ ...base, nc: '0000000a' })).toBe(10);
    expect(nonceCount({ ...base, qop: undefined })).toBeUndefined();
  });
});

test('formatChallenge offers MD5 with qop="auth", stale only when asked', () => {
  expect(formatChallenge({ realm: 'pbx.local', nonce: 'abc', opaque: '0f' })).toBe(
    'Digest realm="pbx.local", nonce="abc", opaque="0f", algorithm=MD5, qop="auth"',
  );
  const stale = formatChallenge({ realm: 'p"q', nonce: 'abc', opaque: '0f', stale: true });
  expect(stale).toContain('realm="p\\"q"');
  expect(stale.endsWith(', stale=true')).toBe(true);
  expect(parseDigestCredentials(`${stale}, username="u", uri="u", response="r"`)?.realm).toBe(
    'p"q',
  );
});
