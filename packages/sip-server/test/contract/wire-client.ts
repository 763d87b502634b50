/**
 * A raw drachtio control-connection client for wire-level tests: writes `<N>#<payload>` frames
 * (N in UTF-8 bytes) and decodes the server's frames strictly, so a malformed frame from the
 * server (bad length, zero length, junk between frames) fails the test instead of being skipped.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';

/** One decoded server frame. */
export interface WireFrame {
  payload: string;
  /** Everything before the first CR (the whole payload when there is no SIP part). */
  leader: string;
  /** The leader split on every `|`, empty tokens kept. */
  tokens: string[];
  /** The SIP message after the leader's CR LF, if any. */
  sip?: string;
}

export function frame(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}#`, 'ascii'), body]);
}

export function parsePayload(payload: string): WireFrame {
  const cr = payload.indexOf('\r');
  const leader = cr === -1 ? payload : payload.slice(0, cr);
  const result: WireFrame = { payload, leader, tokens: leader.split('|') };
  if (cr !== -1) result.sip = payload.slice(cr + 2);
  return result;
}

export class WireClient implements AsyncDisposable {
  private buffer = Buffer.alloc(0);
  private readonly frames: WireFrame[] = [];
  private waiters: Array<() => void> = [];
  /** Set when the server sent bytes that are not a valid frame. */
  protocolError: string | undefined;
  readonly closed: Promise<void>;
  private isClosed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.once('connect', () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  get hasClosed(): boolean {
    return this.isClosed;
  }

  /** Writes one framed message. */
  send(payload: string): void {
    this.socket.write(frame(payload));
  }

  /** Writes bytes exactly as given. */
  sendRaw(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Sends `<msgId>|<rest>` and returns the msgId. */
  command(rest: string, msgId: string = randomUUID()): string {
    this.send(`${msgId}|${rest}`);
    return msgId;
  }

  /** The next frame, in arrival order; rejects on timeout or when the socket closed first. */
  async next(timeoutMs = 3_000): Promise<WireFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.protocolError) throw new Error(`server broke the framing: ${this.protocolError}`);
      const first = this.frames.shift();
      if (first) return first;
      if (this.isClosed) throw new Error('control connection closed while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame from the server within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next `response` frame answering `msgId`; other frames before it are returned in `skipped`. */
  async responseTo(
    msgId: string,
    timeoutMs = 3_000,
  ): Promise<WireFrame & { skipped: WireFrame[] }> {
    const skipped: WireFrame[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = await this.next(Math.max(1, deadline - Date.now()));
      if (next.tokens[1] === 'response' && next.tokens[2] === msgId) return { ...next, skipped };
      skipped.push(next);
    }
  }

  /** Resolves true if the server closes the connection within `timeoutMs`. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([this.closed.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Authenticates and returns the response frame. */
  async authenticate(secret: string, tags = ''): Promise<WireFrame> {
    const id = this.command(`authenticate|${secret}|${tags}`);
    return this.responseTo(id);
  }

  close(): void {
    this.socket.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.closed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const hash = this.buffer.indexOf(0x23);
      if (hash === -1) {
        if (this.buffer.length > 0 && !/^\d+$/.test(this.buffer.toString('latin1'))) {
          this.protocolError = `non-digit length prefix ${JSON.stringify(this.buffer.subarray(0, 20).toString('latin1'))}`;
        }
        break;
      }
      const lengthText = this.buffer.subarray(0, hash).toString('latin1');
      if (!/^[1-9]\d*$/.test(lengthText)) {
        this.protocolError = `bad length prefix ${JSON.stringify(lengthText.slice(0, 20))}`;
        break;
      }
      const length = Number(lengthText);
      if (this.buffer.length < hash + 1 + length) break;
      const payload = this.buffer.subarray(hash + 1, hash + 1 + length);
      this.buffer = this.buffer.subarray(hash + 1 + length);
      const text = payload.toString('utf8');
      if (Buffer.byteLength(text, 'utf8') !== length) {
        this.protocolError = 'frame payload is not valid UTF-8';
        break;
      }
      this.frames.push(parsePayload(text));
    }
    this.wake();
  }
}
