import { SipParseError } from '../../src/errors';
import { parseMessage, StreamFramer } from '../../src/message';
import { invite, sip } from './helpers';

const BASE = [
  'Via: SIP/2.0/TCP 127.0.0.2:5062;branch=z9hG4bKs1',
  'From: <sip:200@127.0.0.1>;tag=f1',
  'To: <sip:201@127.0.0.1>',
  'Call-ID: stream@127.0.0.2',
];

function message(n: number, body = ''): Buffer {
  return sip(
    [
      `MESSAGE sip:201@127.0.0.1 SIP/2.0`,
      ...BASE,
      `CSeq: ${n} MESSAGE`,
      `Content-Length: ${Buffer.byteLength(body)}`,
    ],
    body,
  );
}

function pushAll(framer: StreamFramer, chunks: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) out.push(...framer.push(c));
  return out;
}

describe('StreamFramer', () => {
  const a = invite();
  const b = message(2, 'hello\r\n\r\nworld'); // The body holds an empty line of its own.
  const c = message(3);
  const stream = Buffer.concat([a, b, c]);

  it('returns one whole message per frame', () => {
    const framer = new StreamFramer();
    const frames = framer.push(a);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.equals(a)).toBe(true);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('cuts many messages out of one chunk', () => {
    const framer = new StreamFramer();
    const frames = framer.push(stream);
    expect(frames.map((f) => f.length)).toEqual([a.length, b.length, c.length]);
    expect(Buffer.concat(frames).equals(stream)).toBe(true);
  });

  it('gives the same frames for a split at every byte offset', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new StreamFramer();
      const frames = pushAll(framer, [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(frames.length).toBe(3);
      expect(Buffer.concat(frames).equals(stream)).toBe(true);
      expect(framer.bufferedBytes).toBe(0);
    }
  });

  it('gives the same frames for two splits at many offsets', () => {
    for (let i = 0; i <= stream.length; i += 7) {
      for (let j = i; j <= stream.length; j += 13) {
        const framer = new StreamFramer();
        const frames = pushAll(framer, [
          stream.subarray(0, i),
          stream.subarray(i, j),
          stream.subarray(j),
        ]);
        expect(frames.map((f) => f.length)).toEqual([a.length, b.length, c.length]);
      }
    }
  });

  it('works byte by byte', () => {
    const framer = new StreamFramer();
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      frames.push(...framer.push(stream.subarray(i, i + 1)));
      expect(framer.bufferedBytes).toBe(i + 1 - frames.reduce((n, f) => n + f.length, 0));
    }
    expect(Buffer.concat(frames).equals(stream)).toBe(true);
  });

  it('frames parse as the messages that were sent', () => {
    const frames = new StreamFramer().push(stream);
    const parsed = frames.map((f) => parseMessage(f));
    expect(parsed.every((r) => r.ok)).toBe(true);
    const second = parsed[1];
    expect(second?.ok && second.message.body.toString()).toBe('hello\r\n\r\nworld');
  });

  it('does not keep references to the pushed chunk in its frames', () => {
    const chunk = Buffer.from(b);
    const [frame] = new StreamFramer().push(chunk);
    chunk.fill(0);
    expect(frame?.equals(b)).toBe(true);
  });

  it('handles 200 messages in one chunk', () => {
    const many = Buffer.concat(Array.from({ length: 200 }, (_, i) => message(i + 1, `body ${i}`)));
    const frames = new StreamFramer().push(many);
    expect(frames).toHaveLength(200);
    expect(frames[199]?.toString()).toContain('CSeq: 200 MESSAGE');
  });

  describe('keep-alives (RFC 5626 §4.4.1)', () => {
    it('skips CRLFs between messages', () => {
      const framer = new StreamFramer();
      const frames = framer.push(Buffer.concat([Buffer.from('\r\n'), c, Buffer.from('\r\n'), c]));
      expect(frames).toHaveLength(2);
      expect(frames[0]?.equals(c)).toBe(true);
      expect(framer.pongNeeded).toBe(false);
    });

    it('reports a double-CRLF ping, also when split across pushes', () => {
      const pings: number[] = [];
      const framer = new StreamFramer({ onPing: () => pings.push(1) });
      expect(framer.push(Buffer.from('\r\n\r\n'))).toEqual([]);
      expect(framer.pongNeeded).toBe(true);
      expect(pings).toHaveLength(1);
      framer.push(Buffer.from('\r\n'));
      expect(framer.pongNeeded).toBe(false);
      framer.push(Buffer.from('\r'));
      framer.push(Buffer.from('\n'));
      expect(framer.pongNeeded).toBe(true);
      expect(pings).toHaveLength(2);
      expect(framer.bufferedBytes).toBe(0);
    });

    it('does not treat CRLFs inside a message as a ping', () => {
      const pings: number[] = [];
      const framer = new StreamFramer({ onPing: () => pings.push(1) });
      framer.push(b);
      expect(pings).toHaveLength(0);
      expect(framer.pongNeeded).toBe(false);
    });
  });

  describe('errors', () => {
    const expectError = (fn: () => unknown, status: number, text: RegExp) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(SipParseError);
        expect((err as SipParseError).status).toBe(status);
        expect((err as Error).message).toMatch(text);
        return;
      }
      throw new Error('expected SipParseError');
    };

    it('refuses a message without Content-Length', () => {
      const data = sip(['OPTIONS sip:201@127.0.0.1 SIP/2.0', ...BASE, 'CSeq: 1 OPTIONS']);
      expectError(() => new StreamFramer().push(data), 400, /Missing Content-Length/);
    });

    it.each(['-1', 'abc', '1 2', ''])('refuses Content-Length %j', (v) => {
      const data = sip([
        'OPTIONS sip:201@127.0.0.1 SIP/2.0',
        ...BASE,
        'CSeq: 1 OPTIONS',
        `Content-Length: ${v}`,
      ]);
      expectError(() => new StreamFramer().push(data), 400, /Content-Length/);
    });

    it('reads the compact and folded Content-Length', () => {
      const data = sip(
        ['OPTIONS sip:201@127.0.0.1 SIP/2.0', ...BASE, 'CSeq: 1 OPTIONS', 'l:', ' 3'],
        'abc',
      );
      expect(new StreamFramer().push(data)[0]?.equals(data)).toBe(true);
    });

    it('refuses a header block larger than maxHeaderBytes without an empty line', () => {
      const framer = new StreamFramer({ maxHeaderBytes: 1000 });
      framer.push(Buffer.from('OPTIONS sip:201@127.0.0.1 SIP/2.0\r\n'));
      expectError(
        () => framer.push(Buffer.from(`X-Big: ${'a'.repeat(1000)}\r\n`)),
        413,
        /Header block too large/,
      );
    });

    it('uses 65535 header bytes by default', () => {
      const framer = new StreamFramer();
      expect(framer.push(Buffer.from(`X-Big: ${'a'.repeat(65000)}\r\n`))).toEqual([]);
      expectError(() => framer.push(Buffer.from('a'.repeat(1000))), 413, /Header block/);
    });

    it('refuses a body over maxBodyBytes before it arrives', () => {
      const data = sip([
        'MESSAGE sip:201@127.0.0.1 SIP/2.0',
        ...BASE,
        'CSeq: 1 MESSAGE',
        'Content-Length: 1048577',
      ]);
      expectError(() => new StreamFramer().push(data), 413, /Body too large/);
      const small = new StreamFramer({ maxBodyBytes: 10 });
      expectError(() => small.push(message(1, 'eleven byte')), 413, /Body too large/);
    });

    it('accepts a 1 MiB body in small chunks', () => {
      const body = Buffer.alloc(1024 * 1024, 0x61);
      const data = sip(
        [
          'MESSAGE sip:201@127.0.0.1 SIP/2.0',
          ...BASE,
          'CSeq: 1 MESSAGE',
          `Content-Length: ${body.length}`,
        ],
        body,
      );
      const framer = new StreamFramer();
      const frames: Buffer[] = [];
      for (let i = 0; i < data.length; i += 1400)
        frames.push(...framer.push(data.subarray(i, i + 1400)));
      expect(frames).toHaveLength(1);
      expect(frames[0]?.equals(data)).toBe(true);
    });

    it('honours maxBytes for a whole message', () => {
      expectError(() => new StreamFramer({ maxBytes: 100 }).push(c), 413, /Message too large/);
    });

    it('returns the messages before an error, then fails on the next push and after', () => {
      const framer = new StreamFramer();
      const bad = sip(['OPTIONS sip:201@127.0.0.1 SIP/2.0', ...BASE, 'CSeq: 1 OPTIONS']);
      const frames = framer.push(Buffer.concat([c, bad]));
      expect(frames).toHaveLength(1);
      expectError(() => framer.push(c), 400, /Missing Content-Length/);
      expectError(() => framer.push(c), 400, /Missing Content-Length/);
    });
  });
});
