/**
 * Audio checks for tests: decode what was heard and ask which tones it holds.
 *
 * - `goertzel(samples, freq, rate)`: power of one frequency (the Goertzel algorithm), normalised
 *   so a full-scale sine gives about 0.25 whatever the block length.
 * - `toneLevels(samples, freqs)`: that power for several frequencies at once.
 * - `detectTones(samples, candidates, { ratio })`: which candidates are clearly present: power at
 *   least `ratio` (default 0.1) of the strongest candidate and above an absolute floor, so silence
 *   yields [].
 * - `dominantFrequency(samples, { from, to, step })`: the strongest frequency on a grid (25 Hz by
 *   default, Hann-windowed blocks so off-grid tones land on the nearest point), for "it is 1 kHz".
 * - `sine(freq, ms, { rate, amplitude })`: a test tone as Int16Array.
 * - `rms(samples)`: loudness, to tell silence from sound.
 *
 * Works on any Int16Array (8 kHz by default): samples from a WAV our engine recorded, from
 * baresip's recording, or frames collected from an AudioSink.
 */

export function goertzel(samples: ArrayLike<number>, freq: number, rate = 8000): number {
  const n = samples.length;
  if (n === 0) return 0;
  const k = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = (samples[i] as number) / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return power / (n * n);
}

export function toneLevels(
  samples: ArrayLike<number>,
  freqs: number[],
  rate = 8000,
): Record<number, number> {
  return Object.fromEntries(freqs.map((f) => [f, goertzel(samples, f, rate)]));
}

/** Power below which a frequency counts as absent (about -50 dBFS). */
const FLOOR = 1e-5;

export function detectTones(
  samples: ArrayLike<number>,
  candidates: number[],
  options: { ratio?: number; rate?: number } = {},
): number[] {
  const ratio = options.ratio ?? 0.1;
  const levels = candidates.map((f) => goertzel(samples, f, options.rate ?? 8000));
  const max = Math.max(...levels);
  if (max < FLOOR) return [];
  return candidates.filter((_, i) => (levels[i] as number) >= max * ratio);
}

export function dominantFrequency(
  samples: ArrayLike<number>,
  options: { from?: number; to?: number; step?: number; rate?: number } = {},
): number {
  const { from = 100, to = 3900, step = 25, rate = 8000 } = options;
  // Hann-windowed blocks of 256 samples: each probe sees about ±60 Hz around it, so a tone
  // between two grid points is not missed (a long unwindowed block has nulls every rate/n Hz).
  const block = 256;
  const windowed: Float64Array[] = [];
  for (let at = 0; at + block <= samples.length; at += block) {
    const w = new Float64Array(block);
    for (let i = 0; i < block; i++) {
      const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (block - 1));
      w[i] = (samples[at + i] as number) * hann;
    }
    windowed.push(w);
  }
  if (windowed.length === 0) windowed.push(Float64Array.from(samples as ArrayLike<number>));
  let best = from;
  let bestPower = -1;
  for (let f = from; f <= to; f += step) {
    let p = 0;
    for (const w of windowed) p += goertzel(w, f, rate);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return best;
}

export function sine(
  freq: number,
  ms: number,
  options: { rate?: number; amplitude?: number } = {},
): Int16Array {
  const rate = options.rate ?? 8000;
  const amp = options.amplitude ?? 8000;
  const n = Math.round((rate * ms) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}

export function rms(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += (samples[i] as number) ** 2;
  return Math.sqrt(sum / samples.length);
}

/** Concatenates frames (e.g. collected by an AudioSink) into one array. */
export function concatFrames(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}
