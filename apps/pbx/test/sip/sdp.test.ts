import { answerFromOffer, SdpOrigin } from '../../src/sip/sdp';

const sdp = (origin: string, formats: string, extra: string[] = [], eol = '\r\n'): string =>
  [
    'v=0',
    `o=${origin} IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio 4000 RTP/AVP ${formats}`,
    ...extra,
    '',
  ].join(eol);

describe('SdpOrigin', () => {
  test('keeps the first session id and bumps the version only when the body changes', () => {
    const o = new SdpOrigin();
    const first = o.stamp(sdp('alice 111 5', '0', ['a=sendrecv']));
    expect(first).toContain('o=alice 111 5 IN IP4');
    expect(o.stamp(sdp('alice 111 5', '0', ['a=sendrecv']))).toBe(first);
    expect(o.stamp(sdp('alice 111 5', '0', ['a=sendonly']))).toContain('o=alice 111 6 IN IP4');
    // Another phone's SDP on the same dialog keeps our session id, next version.
    expect(o.stamp(sdp('bob 999 1', '0', ['a=sendrecv']))).toContain('o=bob 111 7 IN IP4');
  });

  test('rewrites only the numbers of the origin line: the rest of the body goes out as it came', () => {
    const o = new SdpOrigin();
    // Attribute order and bare LF that sdp-transform's writer would not keep.
    const body = sdp(
      'carol 42 9',
      '0 8',
      ['a=x-custom:1', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv'],
      '\n',
    );
    expect(o.stamp(body)).toBe(body);
    // Our session id and the next version on a changed body, the rest verbatim.
    const changed = sdp(
      'dave 7 1',
      '8',
      ['a=x-custom:1', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv'],
      '\n',
    );
    expect(o.stamp(changed)).toBe(changed.replace('o=dave 7 1', 'o=dave 42 10'));
  });

  test('a body that differs only in layout or origin numbers is not a change', () => {
    const o = new SdpOrigin();
    const first = o.stamp(sdp('alice 111 5', '0', ['a=sendrecv']));
    // Bare LF instead of CRLF and other origin numbers: same session, same version, same text.
    expect(o.stamp(sdp('alice 222 8', '0', ['a=sendrecv'], '\n'))).toBe(first);
    expect(o.stamp(sdp('alice 111 5', '0', ['a=sendonly']))).toContain('o=alice 111 6 IN IP4');
  });

  test('a version too large to count keeps counting from 0', () => {
    const o = new SdpOrigin();
    expect(o.stamp(sdp('eve 1 99999999999999999999', '0'))).toContain('o=eve 1 0 IN IP4');
    expect(o.stamp(sdp('eve 1 99999999999999999999', '8'))).toContain('o=eve 1 1 IN IP4');
  });

  test('leaves a body without an origin line alone', () => {
    expect(new SdpOrigin().stamp('v=0\r\n')).toBe('v=0\r\n');
    expect(new SdpOrigin().stamp('')).toBe('');
  });
});

describe('answerFromOffer', () => {
  test('cuts the counterpart to the formats the offer lists, by encoding name', () => {
    const offer = sdp('a 1 1', '8 101', [
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
    ]);
    const other = sdp('b 1 1', '0 8 96', [
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:96 telephone-event/8000',
      'a=fmtp:96 0-16',
    ]);
    const answer = answerFromOffer(offer, other)!;
    expect(answer).toMatch(/^m=audio 4000 RTP\/AVP 8 96$/m);
    expect(answer).not.toContain('PCMU');
    expect(answer).toContain('a=fmtp:96 0-16');
  });

  test('undefined when only telephone-event is shared', () => {
    const offer = sdp('a 1 1', '18 101', ['a=rtpmap:101 telephone-event/8000']);
    const other = sdp('b 1 1', '0 101', [
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
    ]);
    expect(answerFromOffer(offer, other)).toBeUndefined();
  });

  test('keeps the line endings of the counterpart', () => {
    const answer = answerFromOffer(sdp('a 1 1', '0', [], '\r\n'), sdp('b 1 1', '0', [], '\n'))!;
    expect(answer).not.toContain('\r\n');
  });
});
