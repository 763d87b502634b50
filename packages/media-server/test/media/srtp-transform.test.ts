import { randomBytes } from 'node:crypto';
import { parseRtp, serializeRtp } from '../../src/media/rtp-packet';
import { SrtpTransform } from '../../src/media/srtp-transform';

const key = (): string => randomBytes(30).toString('base64');

describe('SrtpTransform (AES_CM_128_HMAC_SHA1_80)', () => {
  const k1 = key();
  const k2 = key();
  const packet = (seq: number): Buffer =>
    Buffer.from(
      serializeRtp({
        payloadType: 0,
        sequenceNumber: seq,
        timestamp: seq * 160,
        ssrc: 0x11223344,
        marker: false,
        payload: Buffer.alloc(160, seq & 0xff),
      }),
    );

  it('encrypts so that only the peer with the matching keys gets the packet back', () => {
    const a = new SrtpTransform({ localKey: k1, remoteKey: k2 });
    const b = new SrtpTransform({ localKey: k2, remoteKey: k1 });
    for (const seq of [65534, 65535, 0, 1]) {
      const plain = packet(seq);
      const wire = a.protect(plain);
      // Header in clear, payload encrypted, 10-byte tag appended.
      expect(wire.length).toBe(plain.length + 10);
      expect(wire.subarray(0, 12)).toEqual(plain.subarray(0, 12));
      expect(wire.subarray(12, 172)).not.toEqual(plain.subarray(12));
      const back = b.unprotect(wire);
      expect(back).toEqual(plain);
      expect(parseRtp(back!)).toMatchObject({ ok: true, packet: { sequenceNumber: seq } });
    }
  });

  it('refuses a tampered packet, a plain one and one under another key', () => {
    const a = new SrtpTransform({ localKey: k1, remoteKey: k2 });
    const b = new SrtpTransform({ localKey: k2, remoteKey: k1 });
    const wire = a.protect(packet(10));
    const tampered = Buffer.from(wire);
    tampered[20] = (tampered[20] as number) ^ 1;
    expect(b.unprotect(tampered)).toBeUndefined();
    expect(b.unprotect(packet(11))).toBeUndefined();
    const other = new SrtpTransform({ localKey: key(), remoteKey: k1 });
    expect(
      new SrtpTransform({ localKey: k2, remoteKey: k1 }).unprotect(other.protect(packet(12))),
    ).toBeUndefined();
  });

  it('refuses key material of the wrong size', () => {
    expect(() => new SrtpTransform({ localKey: 'AAAA', remoteKey: k2 })).toThrow(RangeError);
  });
});
