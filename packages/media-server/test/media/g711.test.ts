import { decodeG711, decodeG711Range, encodeG711, encodeG711At } from '../../src/media/g711';
import { alaw, mulaw } from 'alawmulaw';
import { sine, goertzel, dominantFrequency } from '../helpers/audio';

describe('G.711', () => {
  it.each(['PCMU', 'PCMA'] as const)(
    '%s round trip keeps a 1 kHz tone within the companding error',
    (name) => {
      const input = sine(1000, 100, { amplitude: 10000 });
      const back = decodeG711(name, encodeG711(name, input));
      expect(back).toHaveLength(input.length);
      let maxErr = 0;
      for (let i = 0; i < input.length; i++) {
        const x = input[i] as number;
        const err = Math.abs((back[i] as number) - x);
        // Companding keeps about 12 bits of relative precision (error ≤ ~3 % of the value + step).
        expect(err).toBeLessThanOrEqual(Math.abs(x) * 0.04 + 16);
        maxErr = Math.max(maxErr, err);
      }
      expect(maxErr).toBeGreaterThan(0);
      expect(dominantFrequency(back)).toBe(1000);
    },
  );

  it('tables agree with alawmulaw for every 16-bit value and every byte', () => {
    const all = new Int16Array(65536);
    for (let i = 0; i < 65536; i++) all[i] = i - 32768;
    expect(Array.from(encodeG711('PCMU', all))).toEqual(Array.from(mulaw.encode(all)));
    expect(Array.from(encodeG711('PCMA', all))).toEqual(Array.from(alaw.encode(all)));
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(decodeG711('PCMU', bytes))).toEqual(Array.from(mulaw.decode(bytes)));
    expect(Array.from(decodeG711('PCMA', bytes))).toEqual(Array.from(alaw.decode(bytes)));
  });

  it('silence encodes to the codec idle byte', () => {
    expect(encodeG711('PCMU', new Int16Array(2))[0]).toBe(0xff);
    expect(encodeG711('PCMA', new Int16Array(2))[0]).toBe(0xd5);
    expect(goertzel(decodeG711('PCMU', new Uint8Array(160).fill(0xff)), 1000)).toBe(0);
  });

  it('encodes after a header and decodes a payload range into a reused frame, as the whole-array calls do', () => {
    const samples = sine(1000, 20);
    for (const codec of ['PCMU', 'PCMA'] as const) {
      const packet = new Uint8Array(12 + 160).fill(0x11);
      encodeG711At(codec, samples, packet, 12);
      expect(Array.from(packet.subarray(0, 12))).toEqual(new Array<number>(12).fill(0x11));
      expect(Array.from(packet.subarray(12))).toEqual(Array.from(encodeG711(codec, samples)));
      const frame = new Int16Array(160).fill(-1);
      decodeG711Range(codec, packet, 12, 172, frame);
      expect(Array.from(frame)).toEqual(Array.from(decodeG711(codec, packet.subarray(12))));
    }
  });
});
