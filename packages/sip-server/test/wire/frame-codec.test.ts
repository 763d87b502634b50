import { FrameDecoder, FrameError, encodeFrame } from '../../src/wire/frame-codec';
import { splitPayload } from '../../src/wire/leader';

describe('drachtio framing', () => {
  const payloads = [
    'a1|authenticate|cymru|pbx',
    'b2|sip|||\r\nINVITE sip:200@127.0.0.1 SIP/2.0\r\nFrom: "Zoë Ünal" <sip:100@127.0.0.1>\r\n\r\n',
    'c3|ping',
  ];

  it('counts the payload length in UTF-8 bytes, not characters', () => {
    const frame = encodeFrame(payloads[1]!);
    const hash = frame.indexOf('#');
    const n = Number(frame.subarray(0, hash).toString());
    expect(n).toBe(Buffer.byteLength(payloads[1]!));
    expect(n).toBeGreaterThan(payloads[1]!.length);
  });

  it('decodes frames split at every byte offset', () => {
    const all = Buffer.concat(payloads.map(encodeFrame));
    for (let cut = 1; cut < all.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))];
      expect(got).toEqual(payloads);
      expect(d.bufferedBytes).toBe(0);
    }
  });

  it('decodes several frames in one chunk and byte by byte', () => {
    const all = Buffer.concat(payloads.map(encodeFrame));
    expect(new FrameDecoder().push(all)).toEqual(payloads);
    const d = new FrameDecoder();
    const got: string[] = [];
    for (const b of all) got.push(...d.push(Buffer.from([b])));
    expect(got).toEqual(payloads);
  });

  it.each([['x5#hello'], ['#hello'], ['0#'], ['12a#x'], ['99999999999#x']])(
    'rejects a malformed length: %s',
    (bad) => {
      expect(() => new FrameDecoder().push(Buffer.from(bad))).toThrow(FrameError);
    },
  );

  it('keeps empty tokens positional when splitting a leader', () => {
    const { tokens, sip } = splitPayload('id|sip|||\r\nBYE sip:x SIP/2.0\r\n\r\n');
    expect(tokens).toEqual(['id', 'sip', '', '', '']);
    expect(sip.startsWith('BYE')).toBe(true);
  });
});

describe('FrameDecoder with a large frame in many reads', () => {
  test('keeps the pieces until the frame is complete, then gives it and what follows', () => {
    const big = 'x'.repeat(200_000) + 'é';
    const all = Buffer.concat([encodeFrame(big), encodeFrame('next'), Buffer.from('4#ta')]);
    const d = new FrameDecoder();
    const got: string[] = [];
    for (let i = 0; i < all.length; i += 1000) got.push(...d.push(all.subarray(i, i + 1000)));
    expect(got).toEqual([big, 'next']);
    expect(d.bufferedBytes).toBe(4);
    expect(d.push(Buffer.from('il'))).toEqual(['tail']);
    expect(d.bufferedBytes).toBe(0);
  });
});
