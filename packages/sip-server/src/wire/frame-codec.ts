/**
 * drachtio framing (drachtio-wire-protocol.md §1.2): `<N>#<payload>` where N is the payload's
 * length in UTF-8 bytes. Frames may be split anywhere or packed several to a chunk, so bytes are
 * buffered, never characters.
 */

export class FrameError extends Error {
  override name = 'FrameError';
}

/** Longest length prefix we accept: 10 digits is far beyond any SIP message. */
const MAX_LENGTH_DIGITS = 10;

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the frame being received is complete: until then chunks are only kept. */
  private needed = 0;

  constructor(private readonly maxFrameBytes = 16 * 1024 * 1024) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds bytes and returns every complete payload. Throws FrameError on a malformed length. */
  push(chunk: Buffer): string[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    // A large frame arriving in many reads is joined once, when complete, not on every read.
    if (this.buffered < this.needed) return [];
    this.needed = 0;
    const out: string[] = [];
    let buf =
      this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    let offset = 0;
    for (;;) {
      const hash = buf.indexOf(0x23 /* # */, offset);
      if (hash === -1) {
        const pending = buf.length - offset;
        for (let i = offset; i < buf.length; i++) {
          const c = buf[i]!;
          if (c < 0x30 || c > 0x39) throw new FrameError('non-digit in frame length');
        }
        if (pending > MAX_LENGTH_DIGITS) throw new FrameError('frame length too long');
        break;
      }
      if (hash === offset) throw new FrameError('empty frame length');
      if (hash - offset > MAX_LENGTH_DIGITS) throw new FrameError('frame length too long');
      let len = 0;
      for (let i = offset; i < hash; i++) {
        const c = buf[i]!;
        if (c < 0x30 || c > 0x39) throw new FrameError('non-digit in frame length');
        len = len * 10 + (c - 0x30);
      }
      if (len <= 0) throw new FrameError('zero frame length');
      if (len > this.maxFrameBytes) throw new FrameError(`frame of ${len} bytes exceeds the limit`);
      const start = hash + 1;
      if (buf.length - start < len) {
        this.needed = start + len - offset;
        break;
      }
      out.push(buf.toString('utf8', start, start + len));
      offset = start + len;
    }
    const rest = buf.length - offset;
    if (rest === 0) {
      this.chunks = [];
      this.buffered = 0;
    } else if (offset > 0) {
      buf = buf.subarray(offset);
      this.chunks = [buf];
      this.buffered = rest;
    } else {
      this.chunks = [buf];
    }
    return out;
  }
}

/** Encodes one payload as a frame. */
export function encodeFrame(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}#`, 'ascii'), body]);
}

/** One frame as text (`<bytes>#<payload>`), for writers that join several into one write. */
export function frameText(payload: string): string {
  return `${Buffer.byteLength(payload, 'utf8')}#${payload}`;
}
