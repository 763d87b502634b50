import { randomInt } from 'node:crypto';
import { createMediaEngine } from '../../src/media/engine';
import type { MediaEngineInternals } from '../../src/media/engine';
import { PCMU } from '../../src/media/g711';
import type { AudioCodec, AudioSink, MediaDirection, RtpSession } from '../../src/media/types';
import { concatFrames } from '../helpers/audio';

/** An engine on 127.0.0.1 with a random 200-port range (busy ports are skipped by the pool). */
export async function engine(pairs = 100): Promise<MediaEngineInternals> {
  const min = 20000 + 2 * randomInt(0, 15000);
  return createMediaEngine({
    address: '127.0.0.1',
    rtpPortMin: min,
    rtpPortMax: min + 2 * pairs - 1,
  });
}

/** Points two sessions at each other. */
export function connect(
  a: RtpSession,
  b: RtpSession,
  opts: { codec?: AudioCodec; dirA?: MediaDirection; dirB?: MediaDirection } = {},
): void {
  const codec = opts.codec ?? PCMU;
  a.setRemote({
    address: b.localAddress,
    port: b.localPort,
    codec,
    telephoneEventPayloadType: 101,
    direction: opts.dirA ?? 'sendrecv',
  });
  b.setRemote({
    address: a.localAddress,
    port: a.localPort,
    codec,
    telephoneEventPayloadType: 101,
    direction: opts.dirB ?? 'sendrecv',
  });
}

/** A sink that keeps every frame heard. */
export class Collector implements AudioSink {
  frames: Int16Array[] = [];
  writeFrame(frame: Int16Array): void {
    this.frames.push(frame.slice());
  }
  /** Everything heard since `fromFrame`. */
  samples(fromFrame = 0): Int16Array {
    return concatFrames(this.frames.slice(fromFrame));
  }
  /** Frames whose samples are not all zero. */
  get soundFrames(): number {
    return this.frames.filter((f) => f.some((x) => x !== 0)).length;
  }
  clear(): void {
    this.frames = [];
  }
}

/** Waits until `cond()` holds, checking every 10 ms; fails after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
