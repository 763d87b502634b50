import { alaw, mulaw } from 'alawmulaw';
import type { AudioCodec } from './types';

/**
 * G.711 at the RTP edge. alawmulaw does the per-sample maths once; we keep its results in lookup
 * tables (256 entries to decode, 65536 to encode) because a table read per sample is several
 * times cheaper than its function call per sample, and the engine runs this for every packet.
 */
const decodeTables = {
  PCMU: Int16Array.from({ length: 256 }, (_, i) => mulaw.decodeSample(i)),
  PCMA: Int16Array.from({ length: 256 }, (_, i) => alaw.decodeSample(i)),
};

let encodeTables: { PCMU: Uint8Array; PCMA: Uint8Array } | undefined;

function encoders(): { PCMU: Uint8Array; PCMA: Uint8Array } {
  if (!encodeTables) {
    const u = new Uint8Array(65536);
    const a = new Uint8Array(65536);
    for (let i = 0; i < 65536; i++) {
      const s = i - 32768;
      u[i] = mulaw.encodeSample(s);
      a[i] = alaw.encodeSample(s);
    }
    encodeTables = { PCMU: u, PCMA: a };
  }
  return encodeTables;
}

/** Static payload types of RFC 3551. */
export const PCMU: AudioCodec = { name: 'PCMU', payloadType: 0, clockRate: 8000 };
export const PCMA: AudioCodec = { name: 'PCMA', payloadType: 8, clockRate: 8000 };

/** Encodes linear 16-bit samples into `out` (same length); returns `out`. */
export function encodeG711(
  name: AudioCodec['name'],
  samples: Int16Array,
  out: Uint8Array = new Uint8Array(samples.length),
): Uint8Array {
  const table = encoders()[name];
  for (let i = 0; i < samples.length; i++) out[i] = table[(samples[i] as number) + 32768] as number;
  return out;
}

/**
 * Encodes `samples` into `out` from byte `offset` on (an RTP payload after its header), without
 * the view `encodeG711(name, samples, buf.subarray(offset))` would allocate per packet.
 */
export function encodeG711At(
  name: AudioCodec['name'],
  samples: Int16Array,
  out: Uint8Array,
  offset: number,
): void {
  const table = encoders()[name];
  for (let i = 0; i < samples.length; i++)
    out[offset + i] = table[(samples[i] as number) + 32768] as number;
}

/**
 * Decodes `bytes[start, end)` into `out` from sample 0 (a payload inside a datagram, into a frame
 * the caller reuses); `out` must hold `end - start` samples.
 */
export function decodeG711Range(
  name: AudioCodec['name'],
  bytes: Uint8Array,
  start: number,
  end: number,
  out: Int16Array,
): void {
  const table = decodeTables[name];
  for (let i = start; i < end; i++) out[i - start] = table[bytes[i] as number] as number;
}

/** Decodes G.711 bytes into linear 16-bit samples. */
export function decodeG711(
  name: AudioCodec['name'],
  bytes: Uint8Array,
  out: Int16Array = new Int16Array(bytes.length),
): Int16Array {
  const table = decodeTables[name];
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i] as number] as number;
  return out;
}
