import { open, readFile, stat } from 'node:fs/promises';
import { FRAME_SAMPLES, SAMPLE_RATE } from './frames';
import { MediaFileError } from './types';
import type { AudioSink, AudioSource, RecordingResult } from './types';

/**
 * WAV play and record for the formats the engine supports: PCM 16-bit mono at 8 kHz (as is) or
 * 16 kHz (low-pass filtered, then every second sample). Our own RIFF reader: it checks exactly
 * what we need, copes with odd-sized and unknown chunks and a truncated data chunk, and reads the
 * samples straight into an Int16Array (wavefile would turn them into Float64 first).
 */

export type WavParseResult =
  { ok: true; sampleRate: number; samples: Int16Array } | { ok: false; error: string };

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Parses a RIFF/WAVE file in memory. */
export function parseWav(buf: Uint8Array): WavParseResult {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (at: number): string =>
    at + 4 <= buf.length ? String.fromCharCode(...buf.subarray(at, at + 4)) : '';
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return { ok: false, error: 'not a RIFF/WAVE file' };
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) return { ok: false, error: 'short fmt chunk' };
      let format = view.getUint16(body, true);
      if (format === WAVE_FORMAT_EXTENSIBLE && size >= 26 && body + 26 <= buf.length) {
        format = view.getUint16(body + 24, true);
      }
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) return { ok: false, error: 'data before fmt' };
      if (fmt.format !== WAVE_FORMAT_PCM || fmt.bits !== 16 || fmt.channels !== 1) {
        return {
          ok: false,
          error: `unsupported format ${fmt.format}/${fmt.bits} bit/${fmt.channels} ch`,
        };
      }
      if (fmt.rate !== 8000 && fmt.rate !== 16000) {
        return { ok: false, error: `unsupported sample rate ${fmt.rate}` };
      }
      // A data chunk longer than the file (streamed writers, truncation): take what is there.
      const end = Math.min(buf.length, body + size);
      const count = Math.floor((end - body) / 2);
      const samples = new Int16Array(count);
      for (let i = 0; i < count; i++) samples[i] = view.getInt16(body + i * 2, true);
      return { ok: true, sampleRate: fmt.rate, samples };
    }
    at = body + size + (size & 1);
  }
  return { ok: false, error: 'no data chunk' };
}

/**
 * Halves the sample rate: a 31-tap windowed-sinc low-pass at 3.4 kHz (below the new 4 kHz
 * Nyquist) and then every second sample. Computed once per file, not in the tick path.
 */
export function downsample16kTo8k(input: Int16Array): Int16Array {
  const taps = 31;
  const mid = (taps - 1) / 2;
  const cutoff = 3400 / 16000;
  const h = new Float64Array(taps);
  let sum = 0;
  for (let n = 0; n < taps; n++) {
    const k = n - mid;
    const sinc = k === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * k) / (Math.PI * k);
    const hamming = 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (taps - 1));
    h[n] = sinc * hamming;
    sum += h[n] as number;
  }
  for (let n = 0; n < taps; n++) h[n] = (h[n] as number) / sum;
  const out = new Int16Array(Math.floor(input.length / 2));
  for (let i = 0; i < out.length; i++) {
    const c = i * 2;
    let acc = 0;
    for (let n = 0; n < taps; n++) {
      const j = c + n - mid;
      if (j >= 0 && j < input.length) acc += (input[j] as number) * (h[n] as number);
    }
    out[i] = Math.max(-32768, Math.min(32767, Math.round(acc)));
  }
  return out;
}

/**
 * Decoded files, shared by every channel playing them (music on hold, prompts): samples are never
 * written after decoding. An entry is reused while the file's size and mtime are unchanged; the
 * oldest entries go once the cache holds more than CACHE_SAMPLES samples.
 */
const cache = new Map<string, { size: number; mtimeMs: number; samples: Int16Array }>();
let cachedSamples = 0;
const CACHE_SAMPLES = 16 * 1024 * 1024; // 32 MiB

/** Reads and decodes a WAV file (cached); rejects with MediaFileError. */
export async function loadWav(path: string): Promise<Int16Array> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    throw fileError(path, err);
  }
  const hit = cache.get(path);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) {
    cache.delete(path);
    cache.set(path, hit); // most recently used last
    return hit.samples;
  }
  const samples = await decodeFile(path);
  if (hit) {
    cache.delete(path);
    cachedSamples -= hit.samples.length;
  }
  cache.set(path, { size: st.size, mtimeMs: st.mtimeMs, samples });
  cachedSamples += samples.length;
  for (const [key, e] of cache) {
    if (cachedSamples <= CACHE_SAMPLES || key === path) break;
    cache.delete(key);
    cachedSamples -= e.samples.length;
  }
  return samples;
}

function fileError(path: string, err: unknown): MediaFileError {
  const code = (err as NodeJS.ErrnoException).code;
  return new MediaFileError(
    code === 'ENOENT' || code === 'ENOTDIR' ? 'not-found' : 'unsupported',
    path,
    {
      cause: err,
    },
  );
}

async function decodeFile(path: string): Promise<Int16Array> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw fileError(path, err);
  }
  const parsed = parseWav(buf);
  if (!parsed.ok) throw new MediaFileError('unsupported', path, { cause: new Error(parsed.error) });
  return parsed.sampleRate === 16000 ? downsample16kTo8k(parsed.samples) : parsed.samples;
}

/**
 * Plays decoded samples frame by frame; the last frame is padded with silence. Frames are copied
 * into one frame of its own (valid until the next `readFrame`) rather than a new view of the
 * shared samples per frame: nothing allocated per frame.
 */
export class SamplesSource implements AudioSource {
  private pos = 0;
  private closed = false;
  private readonly frame = new Int16Array(FRAME_SAMPLES);

  constructor(
    private readonly samples: Int16Array,
    private readonly loop = false,
  ) {}

  readFrame(): Int16Array | null {
    const samples = this.samples;
    if (this.closed || samples.length === 0) return null;
    if (this.pos >= samples.length) {
      if (!this.loop) return null;
      this.pos = 0;
    }
    const frame = this.frame;
    const pos = this.pos;
    const n = Math.min(FRAME_SAMPLES, samples.length - pos);
    for (let i = 0; i < n; i++) frame[i] = samples[pos + i] as number;
    if (n < FRAME_SAMPLES) frame.fill(0, n);
    this.pos = pos + FRAME_SAMPLES;
    return frame;
  }

  close(): void {
    this.closed = true;
  }
}

/** The 44-byte canonical header of an 8 kHz 16-bit mono PCM WAV holding `dataBytes`. */
export function wavHeader(dataBytes: number, sampleRate = SAMPLE_RATE): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A recording sink: frames are batched and appended asynchronously; `close()` fixes the header. */
export interface WavRecorder extends AudioSink {
  readonly path: string;
  close(): Promise<RecordingResult>;
}

/** Frames per write (0.5 s), so a recording costs one write call per 25 frames. */
const FRAMES_PER_WRITE = 25;

/** Opens a recorder; rejects with MediaFileError('not-found') when the folder does not exist. */
export async function openWavRecorder(path: string): Promise<WavRecorder> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'w');
  } catch (err) {
    throw new MediaFileError('not-found', path, { cause: err });
  }
  const file = fh;
  let pending: Buffer[] = [];
  // Frames are packed into one batch buffer (a new one per write, not per frame): the write of
  // a batch is asynchronous, so a batch is never reused.
  let batch: Buffer | undefined;
  let batchUsed = 0;
  let samples = 0;
  let offset = 44;
  let closing: Promise<RecordingResult> | undefined;
  let failure: unknown;
  // Writes run one after another on this chain; the tick path only appends to `pending`.
  let chain: Promise<void> = file.write(wavHeader(0), 0, 44, 0).then(() => undefined);
  const endBatch = (): void => {
    if (batch && batchUsed > 0) pending.push(batch.subarray(0, batchUsed));
    batch = undefined;
    batchUsed = 0;
  };
  const flush = (): void => {
    endBatch();
    if (pending.length === 0) return;
    const data = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    pending = [];
    const at = offset;
    offset += data.length;
    chain = chain
      .then(() => file.write(data, 0, data.length, at))
      .then(
        () => undefined,
        (err: unknown) => {
          failure ??= err;
        },
      );
  };
  return {
    path,
    writeFrame(frame: Int16Array): void {
      if (closing) return;
      const bytes = frame.length * 2;
      if (batch && batchUsed + bytes > batch.length) endBatch();
      batch ??= Buffer.allocUnsafe(Math.max(bytes, FRAMES_PER_WRITE * FRAME_SAMPLES * 2));
      // The frame is the caller's and reused next tick: copied now, sample by sample (LE).
      for (let i = 0; i < frame.length; i++)
        batch.writeInt16LE(frame[i] as number, batchUsed + i * 2);
      batchUsed += bytes;
      samples += frame.length;
      if (batchUsed >= FRAMES_PER_WRITE * FRAME_SAMPLES * 2) flush();
    },
    close(): Promise<RecordingResult> {
      closing ??= (async () => {
        flush();
        await chain;
        try {
          await file.write(wavHeader(samples * 2), 0, 44, 0);
        } finally {
          await file.close();
        }
        if (failure) throw failure;
        return { samples, ms: Math.round((samples * 1000) / SAMPLE_RATE) };
      })();
      return closing;
    },
  };
}
