/**
 * The parser and framer must survive hostile input: random bytes, truncations and mutations of
 * real messages. The generator is seeded so a failure can be replayed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SipParseError } from '../../src/errors';
import {
  getHeaders,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  serializeMessage,
  StreamFramer,
} from '../../src/message';
import { invite } from './helpers';

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIR = join(__dirname, '../fixtures/torture');
const corpus: Buffer[] = [
  invite(),
  ...['valid', 'invalid'].flatMap((d) =>
    readdirSync(join(DIR, d))
      .filter((f) => f.endsWith('.sip'))
      .map((f) => readFileSync(join(DIR, d, f))),
  ),
];

/** Parses and, when it worked, exercises the helpers on the result: nothing may throw. */
function exercise(data: Buffer): void {
  const r = parseMessage(data);
  if (r.ok) {
    const again = parseMessage(serializeMessage(r.message));
    expect(again.ok).toBe(true);
    for (const v of getHeaders(r.message, 'Via')) parseVia(v);
    for (const c of getHeaders(r.message, 'Contact')) parseNameAddr(c);
    if (r.message.kind === 'request') parseUri(r.message.uri);
  } else {
    expect(typeof r.error.reason).toBe('string');
    expect([400, 413, 505]).toContain(r.error.status);
  }
}

describe('fuzz', () => {
  it('random bytes never make parseMessage throw', () => {
    const next = rng(1);
    for (let i = 0; i < 3000; i++) {
      const data = Buffer.alloc(Math.floor(next() * 600));
      for (let j = 0; j < data.length; j++) data[j] = Math.floor(next() * 256);
      expect(() => exercise(data)).not.toThrow();
    }
  });

  it('random SIP-ish text never makes parseMessage throw', () => {
    const next = rng(2);
    const alphabet = [
      '\r\n',
      ' ',
      ':',
      ';',
      ',',
      '"',
      '<',
      '>',
      '\\',
      '=',
      '@',
      '[',
      ']',
      '/',
      'SIP/2.0',
      'Via',
      'v',
      'To',
      'From',
      'Call-ID',
      'CSeq',
      '1',
      'INVITE',
      'sip:',
      'Content-Length',
      '\t',
      '\r\n ',
      '%',
      '?',
      'z9hG4bK',
    ];
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const n = Math.floor(next() * 80);
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(next() * alphabet.length)];
      expect(() => exercise(Buffer.from(s))).not.toThrow();
    }
  });

  it('every truncation of every corpus message is handled', () => {
    for (const msg of corpus) {
      for (let cut = 0; cut <= msg.length; cut++) {
        expect(() => exercise(msg.subarray(0, cut))).not.toThrow();
      }
    }
  });

  it('random byte mutations of corpus messages are handled', () => {
    const next = rng(3);
    for (let i = 0; i < 4000; i++) {
      const src = corpus[Math.floor(next() * corpus.length)] as Buffer;
      const data = Buffer.from(src);
      const edits = 1 + Math.floor(next() * 5);
      for (let e = 0; e < edits; e++)
        data[Math.floor(next() * data.length)] = Math.floor(next() * 256);
      expect(() => exercise(data)).not.toThrow();
    }
  });

  it('the stream framer throws only SipParseError', () => {
    const next = rng(4);
    for (let i = 0; i < 500; i++) {
      const framer = new StreamFramer({ maxHeaderBytes: 2000, maxBodyBytes: 5000 });
      try {
        for (let k = 0; k < 20; k++) {
          const src = corpus[Math.floor(next() * corpus.length)] as Buffer;
          const data = Buffer.from(src.subarray(Math.floor(next() * src.length)));
          if (data.length > 0 && next() < 0.3)
            data[Math.floor(next() * data.length)] = Math.floor(next() * 256);
          for (const frame of framer.push(data)) exercise(frame);
        }
      } catch (err) {
        expect(err).toBeInstanceOf(SipParseError);
      }
    }
  });
});
