import {
  digitToEvent,
  eventToDigit,
  newRtpHeaderView,
  parseRtp,
  parseRtpHeader,
  parseTelephoneEvent,
  serializeRtp,
  serializeTelephoneEvent,
  writeRtpHeader,
  writeRtpHeaderFields,
} from '../../src/media/rtp-packet';

// A PCMU packet as a phone sends it: V=2, M=1, PT=0, seq 0x1234, ts 0xdeadbeef, SSRC 0x01020304.
const fixture = Uint8Array.from([
  0x80, 0x80, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0xff, 0xfe, 0x7f, 0x00,
]);

describe('RTP header codec', () => {
  it('parses the fixed header and serialises it back byte for byte', () => {
    const r = parseRtp(fixture);
    if (!r.ok) throw new Error(r.error);
    expect(r.packet).toMatchObject({
      marker: true,
      payloadType: 0,
      sequenceNumber: 0x1234,
      timestamp: 0xdeadbeef,
      ssrc: 0x01020304,
    });
    expect(Array.from(r.packet.payload)).toEqual([0xff, 0xfe, 0x7f, 0x00]);
    expect(Buffer.from(serializeRtp(r.packet))).toEqual(Buffer.from(fixture));
  });

  it('rejects every truncation of the header', () => {
    for (let n = 0; n < 12; n++) expect(parseRtp(fixture.subarray(0, n)).ok).toBe(false);
    expect(parseRtp(fixture.subarray(0, 12)).ok).toBe(true); // empty payload is still RTP
  });

  it('skips CSRCs and a header extension, and rejects them truncated', () => {
    const withCsrc = Uint8Array.from([0x81, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 9, 9, 9, 9, 0xaa]);
    const r = parseRtp(withCsrc);
    expect(r.ok && Array.from(r.packet.payload)).toEqual([0xaa]);
    expect(parseRtp(withCsrc.subarray(0, 14)).ok).toBe(false);
    const withExt = Uint8Array.from([
      0x90, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 0xbb,
    ]);
    const e = parseRtp(withExt);
    expect(e.ok && Array.from(e.packet.payload)).toEqual([0xbb]);
    expect(parseRtp(withExt.subarray(0, 18)).ok).toBe(false);
    expect(parseRtp(withExt.subarray(0, 14)).ok).toBe(false);
  });

  it('removes padding and rejects bad padding', () => {
    const padded = Uint8Array.from([0xa0, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xcc, 0, 0, 3]);
    const r = parseRtp(padded);
    expect(r.ok && Array.from(r.packet.payload)).toEqual([0xcc]);
    const bad = Uint8Array.from([0xa0, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xcc, 0, 0, 9]);
    expect(parseRtp(bad).ok).toBe(false);
    const zero = Uint8Array.from([0xa0, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0]);
    expect(parseRtp(zero).ok).toBe(false);
  });

  it('rejects other versions and RTCP arriving on the RTP port', () => {
    const v1 = Uint8Array.from(fixture);
    v1[0] = 0x40;
    expect(parseRtp(v1).ok).toBe(false);
    const rtcp = Uint8Array.from([0x80, 200, 0, 6, ...new Array<number>(24).fill(0)]);
    expect(parseRtp(rtcp).ok).toBe(false);
  });

  it('never throws on random bytes', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const b = Uint8Array.from({ length: i % 40 }, rnd);
      expect(() => parseRtp(b)).not.toThrow();
    }
  });
});

describe('RTP header into a reused view (the receive path)', () => {
  it('fills one view packet after packet, as parseRtp reads them, with the payload bounds', () => {
    const view = newRtpHeaderView();
    const withExt = Uint8Array.from([
      0x91, 0x08, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0x55, 0x66, 0x77,
      0x88, 0xbe, 0xde, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0x09, 0x08,
    ]);
    for (const buf of [fixture, withExt, fixture]) {
      expect(parseRtpHeader(buf, view)).toBeUndefined();
      const p = parseRtp(buf);
      if (!p.ok) throw new Error(p.error);
      const { payload, ...header } = p.packet;
      expect(view).toMatchObject(header);
      expect(Array.from(buf.subarray(view.payloadStart, view.payloadEnd))).toEqual(
        Array.from(payload),
      );
    }
    expect(parseRtpHeader(fixture.subarray(0, 11), view)).toBe('shorter than the RTP header');
  });

  it('writes the same header bytes from fields as from a header object', () => {
    const h = {
      marker: true,
      payloadType: 8,
      sequenceNumber: 65535,
      timestamp: 2 ** 32 - 1,
      ssrc: 7,
    };
    const a = new Uint8Array(12);
    const b = new Uint8Array(12);
    writeRtpHeader(a, h);
    writeRtpHeaderFields(b, h.marker, h.payloadType, h.sequenceNumber, h.timestamp, h.ssrc);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe('RFC 4733 telephone-event payload', () => {
  it('round trips event, end bit, volume and duration', () => {
    const e = { event: 11, end: true, volume: 10, duration: 1280 };
    const bytes = serializeTelephoneEvent(e);
    expect(Array.from(bytes)).toEqual([11, 0x8a, 0x05, 0x00]);
    expect(parseTelephoneEvent(bytes)).toEqual(e);
    expect(parseTelephoneEvent(bytes.subarray(0, 3))).toBeUndefined();
  });

  it('maps digits 0-9 * # A-D to events 0-15', () => {
    expect([...'0123456789*#ABCD'].map(digitToEvent)).toEqual([...Array(16).keys()]);
    expect(digitToEvent('x')).toBeUndefined();
    expect(eventToDigit(16)).toBeUndefined();
    expect(digitToEvent('a')).toBe(12);
  });
});
