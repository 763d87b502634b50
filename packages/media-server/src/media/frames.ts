/** Frame constants shared by the engine: 8 kHz, 20 ms, 160 samples. */
export const SAMPLE_RATE = 8000;
export const FRAME_MS = 20;
export const FRAME_SAMPLES = 160;

/** A frame of silence; never written to. */
export const SILENCE: Int16Array = new Int16Array(FRAME_SAMPLES);

/** Clamps an Int32 sum into the 16-bit sample range. */
export function clamp16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}
