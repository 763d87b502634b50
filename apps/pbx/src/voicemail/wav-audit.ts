/**
 * What a recorded message holds: its length and how much of it is sound. A recording whose header
 * was never completed (the media server stopped mid-write) is read up to the end of the file.
 */
import { readFile } from 'node:fs/promises';

export interface WavAudit {
  /** Length in ms (from the samples present). */
  readonly ms: number;
  /** Ms of 20 ms frames louder than the silence level. */
  readonly soundMs: number;
}

/** A frame quieter than this RMS (about -45 dBFS) counts as silence. */
export const SILENCE_RMS = 180;

/** Reads a 16-bit PCM WAV file's samples; rejects a file that is no such WAV. */
export async function readPcm16(file: string): Promise<{ rate: number; samples: Int16Array }> {
  const buf = await readFile(file);
  if (
    buf.length < 12 ||
    buf.toString('latin1', 0, 4) !== 'RIFF' ||
    buf.toString('latin1', 8, 12) !== 'WAVE'
  )
    throw new Error('not a RIFF/WAVE file');
  let at = 12;
  let rate = 0;
  let bits = 0;
  let channels = 0;
  while (at + 8 <= buf.length) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ' && body + 16 <= buf.length) {
      channels = buf.readUInt16LE(body + 2);
      rate = buf.readUInt32LE(body + 4);
      bits = buf.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (bits !== 16 || channels !== 1 || rate === 0) throw new Error('not 16-bit mono PCM');
      // A header left at size 0 (never completed): take what is in the file.
      const end = size === 0 || body + size > buf.length ? buf.length : body + size;
      const count = Math.floor((end - body) / 2);
      const samples = new Int16Array(count);
      for (let i = 0; i < count; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { rate, samples };
    }
    at = body + size + (size % 2);
  }
  throw new Error('no data chunk');
}

/** Length and sound of a recording. */
export async function auditWav(file: string): Promise<WavAudit> {
  const { rate, samples } = await readPcm16(file);
  const frame = Math.max(1, Math.round(rate / 50));
  let loud = 0;
  for (let start = 0; start + frame <= samples.length; start += frame) {
    let sum = 0;
    for (let i = start; i < start + frame; i++) sum += samples[i]! * samples[i]!;
    if (Math.sqrt(sum / frame) > SILENCE_RMS) loud += 1;
  }
  return { ms: Math.round((samples.length * 1000) / rate), soundMs: loud * 20 };
}
