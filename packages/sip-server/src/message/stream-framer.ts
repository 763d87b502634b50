import { SipParseError } from '../errors';
import { findHeaderEnd } from './framing';
import { trimLws } from './grammar';

export interface StreamFramerOptions {
  /** Largest header block (start line and headers) accepted. Default 65535. */
  maxHeaderBytes?: number;
  /** Largest Content-Length accepted. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Optional cap on a whole message, headers and body together. */
  maxBytes?: number;
  /** Called for every RFC 5626 double-CRLF keep-alive ping; the transport answers `\r\n`. */
  onPing?: () => void;
}

export const DEFAULT_MAX_HEADER_BYTES = 65535;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const MIN_CAPACITY = 4096;
/** An idle buffer larger than this is released rather than kept for the next message. */
const KEEP_CAPACITY = 64 * 1024;

/**
 * Cuts a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3): each output buffer is one
 * header block plus exactly Content-Length body bytes, ready for `parseMessage`. CRLFs between
 * messages are skipped; a CRLFCRLF there is an RFC 5626 ping (`pongNeeded`, `onPing`).
 *
 * `push` throws `SipParseError` when the stream cannot be framed (header block too large, missing
 * or invalid Content-Length, body too large); the connection should then be closed. If complete
 * messages came before the error in the same push, they are returned and the error is thrown by
 * the next `push`. Once failed, the framer keeps failing.
 */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** True while `buf` is the caller's chunk, which must not be written to. */
  private borrowed = false;
  private start = 0;
  private end = 0;
  /** Where the search for the empty line resumes. */
  private scanFrom = 0;
  /** Total size of the message at `start` once its headers have been read. */
  private pendingTotal = -1;
  /** Line feeds seen in a row between messages (two make a ping). */
  private lineFeeds = 0;
  private pong = false;
  private failure: SipParseError | undefined;
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;
  private readonly maxBytes: number;
  private readonly onPing: (() => void) | undefined;

  constructor(opts: StreamFramerOptions = {}) {
    this.maxHeaderBytes = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxBytes = opts.maxBytes ?? Infinity;
    this.onPing = opts.onPing;
  }

  /** Bytes received but not yet returned as a message. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** True when the last `push` consumed a double-CRLF ping: answer it with `\r\n`. */
  get pongNeeded(): boolean {
    return this.pong;
  }

  /** Adds received bytes; returns the messages completed by them, in order. */
  push(chunk: Buffer): Buffer[] {
    if (this.failure !== undefined) throw this.failure;
    this.pong = false;
    this.append(chunk);
    const out: Buffer[] = [];
    try {
      for (;;) {
        const msg = this.next();
        if (msg === undefined) break;
        out.push(msg);
      }
    } catch (err) {
      this.failure =
        err instanceof SipParseError
          ? err
          : new SipParseError('Framing failed', 400, { cause: err });
      if (out.length === 0) throw this.failure;
    }
    this.release();
    return out;
  }

  private append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.start === this.end) {
      // Nothing buffered: work on the chunk itself until more must be appended.
      this.buf = chunk;
      this.borrowed = true;
      this.start = 0;
      this.end = chunk.length;
      this.scanFrom = 0;
      return;
    }
    const used = this.end - this.start;
    if (this.borrowed || this.end + chunk.length > this.buf.length) {
      const fits = !this.borrowed && used + chunk.length <= this.buf.length;
      const target = fits
        ? this.buf
        : Buffer.allocUnsafe(Math.max(MIN_CAPACITY, used + chunk.length, this.buf.length * 2));
      this.buf.copy(target, 0, this.start, this.end);
      this.buf = target;
      this.borrowed = false;
      this.scanFrom -= this.start;
      this.start = 0;
      this.end = used;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  /** Drops references to large or borrowed buffers once everything has been consumed. */
  private release(): void {
    if (this.start !== this.end) return;
    if (this.borrowed || this.buf.length > KEEP_CAPACITY) {
      this.buf = Buffer.alloc(0);
      this.borrowed = false;
    }
    this.start = 0;
    this.end = 0;
    this.scanFrom = 0;
  }

  private next(): Buffer | undefined {
    if (this.pendingTotal < 0) {
      if (!this.skipKeepAlives()) return undefined;
      const found = findHeaderEnd(this.buf, Math.max(this.scanFrom, this.start), this.end);
      if (found === undefined) {
        if (this.end - this.start > this.maxHeaderBytes) {
          throw new SipParseError('Header block too large', 413);
        }
        this.scanFrom = Math.max(this.start, this.end - 3);
        return undefined;
      }
      if (found.headerEnd - this.start > this.maxHeaderBytes) {
        throw new SipParseError('Header block too large', 413);
      }
      const length = contentLength(this.buf.toString('latin1', this.start, found.headerEnd));
      if (length === 'missing') throw new SipParseError('Missing Content-Length on a stream', 400);
      if (length === 'invalid') throw new SipParseError('Bad Content-Length Header', 400);
      if (length > this.maxBodyBytes) throw new SipParseError('Body too large', 413);
      const total = found.bodyStart - this.start + length;
      if (total > this.maxBytes) throw new SipParseError('Message too large', 413);
      this.pendingTotal = total;
    }
    if (this.end - this.start < this.pendingTotal) return undefined;
    const msg = Buffer.from(this.buf.subarray(this.start, this.start + this.pendingTotal));
    this.start += this.pendingTotal;
    this.scanFrom = this.start;
    this.pendingTotal = -1;
    return msg;
  }

  /** Consumes CR/LF bytes before a message; false when nothing else is buffered. */
  private skipKeepAlives(): boolean {
    while (this.start < this.end) {
      const c = this.buf[this.start];
      if (c === 0x0a) {
        this.lineFeeds++;
        if (this.lineFeeds === 2) {
          // RFC 5626 §4.4.1: CRLFCRLF is a ping, answered with a single CRLF.
          this.lineFeeds = 0;
          this.pong = true;
          this.onPing?.();
        }
      } else if (c !== 0x0d) {
        this.lineFeeds = 0;
        return true;
      }
      this.start++;
    }
    return false;
  }
}

const CL_RE = /^[ \t]*[0-9]{1,10}[ \t]*$/;

/** Content-Length of a header block (full or compact name, folded or not). */
function contentLength(head: string): number | 'missing' | 'invalid' {
  let found: string | undefined;
  let pos = 0;
  let inLength = false;
  let value = '';
  const finish = (): 'invalid' | undefined => {
    if (!inLength) return undefined;
    inLength = false;
    if (!CL_RE.test(value)) return 'invalid';
    const v = trimLws(value);
    if (found !== undefined && Number(found) !== Number(v)) return 'invalid';
    found = v;
    return undefined;
  };
  while (pos < head.length) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0) nl = head.length;
    const line = head.slice(pos, head.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl);
    pos = nl + 1;
    const c0 = line.charCodeAt(0);
    if (c0 === 0x20 || c0 === 0x09) {
      if (inLength) value += ` ${trimLws(line)}`;
      continue;
    }
    if (finish() === 'invalid') return 'invalid';
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = trimLws(line.slice(0, colon)).toLowerCase();
    if (name === 'content-length' || name === 'l') {
      inLength = true;
      value = line.slice(colon + 1);
    }
  }
  if (finish() === 'invalid') return 'invalid';
  return found === undefined ? 'missing' : Number(found);
}
