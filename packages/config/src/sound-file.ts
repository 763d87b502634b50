/**
 * Whether a sound file is one the media server can play (the embedded one and FreeSWITCH alike):
 * a RIFF/WAVE file with PCM 16-bit mono samples at 8 or 16 kHz and some audio in it. Used by
 * `pbx config set media.holdMusic` to refuse a file before it is stored, and by the PBX before it
 * plays one.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** The header of a playable WAV file. */
export interface SoundFileInfo {
  readonly sampleRate: 8000 | 16000;
  readonly seconds: number;
}

/** Reads at most `max` bytes from the start of `file`. */
function head(file: string, max: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * The file's format if it is playable; otherwise throws an Error whose message says what is
 * wrong, in words an administrator can act on.
 */
export function checkPlayableWav(file: string): SoundFileInfo {
  let buf: Buffer;
  try {
    buf = head(file, 4096);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (code ?? String(err));
    throw new Error(`${file}: cannot read it (${why})`);
  }
  return wavInfo(buf, file);
}

/**
 * As {@link checkPlayableWav}, for the first bytes of a WAV file already read (an upload);
 * `file` is how messages name it. `dataAt` and `dataBytes` say where its samples are.
 */
export function wavInfo(
  buf: Buffer,
  file: string,
): SoundFileInfo & { readonly dataAt: number; readonly dataBytes: number } {
  if (
    buf.length < 12 ||
    buf.toString('latin1', 0, 4) !== 'RIFF' ||
    buf.toString('latin1', 8, 12) !== 'WAVE'
  )
    throw new Error(`${file}: not a WAV file (convert it: sox in.mp3 -r 8000 -c 1 -b 16 out.wav)`);
  let at = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  while (at + 8 <= buf.length) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ' && at + 24 <= buf.length) {
      fmt = {
        format: buf.readUInt16LE(at + 8),
        channels: buf.readUInt16LE(at + 10),
        rate: buf.readUInt32LE(at + 12),
        bits: buf.readUInt16LE(at + 22),
      };
    } else if (id === 'data') {
      if (!fmt) break;
      if (fmt.format !== 1 || fmt.bits !== 16)
        throw new Error(`${file}: not 16-bit PCM (format ${fmt.format}, ${fmt.bits} bits)`);
      if (fmt.channels !== 1) throw new Error(`${file}: ${fmt.channels} channels; it must be mono`);
      if (fmt.rate !== 8000 && fmt.rate !== 16000)
        throw new Error(`${file}: ${fmt.rate} Hz; it must be 8000 or 16000 Hz`);
      if (size < 2) throw new Error(`${file}: it holds no audio`);
      return {
        sampleRate: fmt.rate,
        seconds: size / 2 / fmt.rate,
        dataAt: at + 8,
        dataBytes: size,
      };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${file}: a WAV file without ${fmt ? 'a data' : 'a fmt'} chunk`);
}
