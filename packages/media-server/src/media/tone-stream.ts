import { FRAME_SAMPLES, SAMPLE_RATE, SILENCE } from './frames';
import type { AudioSource } from './types';

/**
 * `tone_stream://` as FreeSWITCH's mod_tone_stream reads it for the subset apps use:
 * `%(on,off,f1[,f2…])` segments separated by `;`, `loops=n` (-1 = endless) and `v=dB` anywhere in
 * the list; other `x=n` settings are accepted and ignored.
 */
export interface ToneSegment {
  onMs: number;
  offMs: number;
  freqs: number[];
}

export interface ToneSpec {
  segments: ToneSegment[];
  /** Times the whole list is played; -1 = endless. */
  loops: number;
  /** `v=` volume in dBFS of the whole tone (FreeSWITCH's default -7). */
  volumeDb: number;
}

export type ToneParseResult = { ok: true; spec: ToneSpec } | { ok: false; error: string };

const SEGMENT = /^%\(\s*(\d+)\s*,\s*(\d+)\s*((?:,\s*\d+(?:\.\d+)?\s*)+)\)$/;

/** Parses the part after `tone_stream://`. */
export function parseToneStream(text: string): ToneParseResult {
  const segments: ToneSegment[] = [];
  let loops = 1;
  let volumeDb = -7;
  for (const raw of text.split(';')) {
    const part = raw.trim();
    if (part === '') continue;
    const loopMatch = /^(?:loops|l)=(-?\d+)$/i.exec(part);
    if (loopMatch) {
      loops = Number(loopMatch[1]);
      if (loops === 0 || loops < -1) return { ok: false, error: `bad loops: ${part}` };
      continue;
    }
    const volume = /^v=(-?\d+(?:\.\d+)?)$/.exec(part);
    if (volume) {
      volumeDb = Math.min(0, Math.max(-63, Number(volume[1])));
      continue;
    }
    // Other teletone settings (d=, w=, r=, …) only matter for forms we do not generate.
    if (/^[a-z]+=-?[\d.]+$/i.test(part)) continue;
    const m = SEGMENT.exec(part);
    if (!m) return { ok: false, error: `bad tone segment: ${part}` };
    const freqs = (m[3] as string)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map(Number);
    if (freqs.some((f) => f < 0 || f >= SAMPLE_RATE / 2)) {
      return { ok: false, error: `frequency out of range: ${part}` };
    }
    segments.push({ onMs: Number(m[1]), offMs: Number(m[2]), freqs });
  }
  if (segments.length === 0) return { ok: false, error: 'no tone segment' };
  if (segments.every((s) => s.onMs + s.offMs === 0))
    return { ok: false, error: 'zero-length tone' };
  return { ok: true, spec: { segments, loops, volumeDb } };
}

/**
 * sin(2π·k/8000) for k in 0..7999: sample n of an integer frequency f is SINE[(f·n) mod 8000],
 * exact and several times cheaper than Math.sin per sample. Frequencies are rounded to 1 Hz.
 */
const SINE = Float64Array.from({ length: SAMPLE_RATE }, (_, k) =>
  Math.sin((2 * Math.PI * k) / SAMPLE_RATE),
);

/** Generates a parsed tone spec frame by frame. `endless` overrides `loops`. */
export class ToneSource implements AudioSource {
  private segment = 0;
  private sampleInSegment = 0;
  private loopsDone = 0;
  private closed = false;
  private phase = 0;
  /** Peak of the whole tone, shared between its frequencies so a dual tone does not clip. */
  private readonly peak: number;
  /** The frame `readFrame` returns, rewritten by the next call (no allocation per frame). */
  private readonly out = new Int16Array(FRAME_SAMPLES);

  constructor(
    private readonly spec: ToneSpec,
    private readonly endless = false,
  ) {
    this.peak = 32767 * 10 ** (spec.volumeDb / 20);
  }

  readFrame(): Int16Array | null {
    if (this.closed) return null;
    const out = this.out;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      let seg = this.spec.segments[this.segment] as ToneSegment;
      let onSamples = (seg.onMs * SAMPLE_RATE) / 1000;
      let total = onSamples + (seg.offMs * SAMPLE_RATE) / 1000;
      while (this.sampleInSegment >= total) {
        this.sampleInSegment = 0;
        this.phase = 0;
        if (++this.segment >= this.spec.segments.length) {
          this.segment = 0;
          this.loopsDone++;
          const loops = this.endless ? -1 : this.spec.loops;
          if (loops !== -1 && this.loopsDone >= loops) {
            this.closed = true;
            // A tone ending mid-frame still yields its last partial frame, padded with silence.
            if (i === 0) return null;
            out.fill(0, i);
            return out;
          }
        }
        seg = this.spec.segments[this.segment] as ToneSegment;
        onSamples = (seg.onMs * SAMPLE_RATE) / 1000;
        total = onSamples + (seg.offMs * SAMPLE_RATE) / 1000;
      }
      if (this.sampleInSegment < onSamples && seg.freqs.length > 0) {
        const amp = this.peak / seg.freqs.length;
        let v = 0;
        for (const f of seg.freqs) v += SINE[(Math.round(f) * this.phase) % SAMPLE_RATE] as number;
        out[i] = Math.round(v * amp);
      } else {
        out[i] = 0;
      }
      this.phase++;
      this.sampleInSegment++;
    }
    return out;
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * `silence_stream://<ms>[,<level>]`: `ms` -1 = endless; a `level` above 0 adds faint white noise
 * of peak 32767/level (FreeSWITCH's comfort-noise divisor), 0 or absent = digital silence.
 */
export class SilenceSource implements AudioSource {
  private left: number;
  private noise: Int16Array | undefined;
  private closed = false;

  constructor(
    ms: number,
    private readonly level = 0,
    private readonly endless = false,
  ) {
    this.left = ms < 0 ? Infinity : Math.ceil((ms * SAMPLE_RATE) / 1000 / FRAME_SAMPLES);
  }

  static parse(text: string): { ms: number; level: number } | undefined {
    const m = /^(-?\d+)(?:,(\d+))?$/.exec(text.trim());
    if (!m) return undefined;
    const ms = Number(m[1]);
    if (ms < -1) return undefined;
    return { ms, level: m[2] === undefined ? 0 : Number(m[2]) };
  }

  readFrame(): Int16Array | null {
    if (this.closed || (this.left <= 0 && !this.endless)) return null;
    this.left--;
    // Digital silence is the shared SILENCE frame (mixers skip it); noise is rewritten in place.
    if (this.level <= 0) return SILENCE;
    this.noise ??= new Int16Array(FRAME_SAMPLES);
    const out = this.noise;
    const peak = Math.max(1, Math.floor(32767 / this.level));
    for (let i = 0; i < FRAME_SAMPLES; i++) out[i] = Math.round((Math.random() * 2 - 1) * peak);
    return out;
  }

  close(): void {
    this.closed = true;
  }
}
