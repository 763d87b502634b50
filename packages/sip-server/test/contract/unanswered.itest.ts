/**
 * A request the application never answers gets the server's own final answer when the client
 * timer runs out (drachtio would drop it silently after 64 s) — unless the source has meanwhile
 * been blocked by the admission check: then the server forgets it without a word, so a blocked
 * scanner learns nothing (Comm Exclusive no-response).
 */
import dgram from 'node:dgram';
import { eventually, handlers, startHarness, type Harness } from './harness';

jest.setTimeout(60_000);

function options(target: string, port: number, id: string, from: string): string {
  return [
    `OPTIONS sip:pbx@${target} SIP/2.0`,
    `Via: SIP/2.0/UDP ${from}:${port};branch=z9hG4bK-${id};rport`,
    `From: <sip:scan@${from}>;tag=${id}`,
    'To: <sip:pbx@127.0.0.1>',
    `Call-ID: ${id}@${from}`,
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function probe(h: Harness, from: string) {
  const socket = dgram.createSocket('udp4');
  const answers: string[] = [];
  socket.on('message', (m) => answers.push(m.toString('latin1')));
  await new Promise<void>((resolve) => socket.bind(0, from, resolve));
  const port = socket.address().port;
  return {
    answers,
    send: (id: string) =>
      socket.send(options('127.0.0.1', port, id, from), h.sipPort('udp'), '127.0.0.1'),
    close: () => socket.close(),
  };
}

describe('requests the application never answers', () => {
  let h: Harness;
  let blocked: Set<string>;
  let seen: string[];

  beforeEach(async () => {
    // T1 of 50 ms: the client timer (64 × T1) runs out after 3.2 s.
    h = await startHarness({ timers: { t1: 50 } });
    blocked = new Set();
    seen = [];
    h.server.setAdmission((src) => !blocked.has(src.address));
    const srf = await h.connectSrf();
    handlers(srf).options((req) => void seen.push(req.get('Call-ID')));
  });

  afterEach(async () => {
    await h[Symbol.asyncDispose]();
  });

  test('from an admitted source: answered 408 by the server when the timer runs out', async () => {
    const p = await probe(h, '127.0.0.7');
    try {
      p.send('kept');
      await eventually(() => seen.length === 1, 5_000);
      await eventually(() => p.answers.length > 0, 8_000);
      expect(p.answers[0]).toMatch(/^SIP\/2\.0 408 /);
    } finally {
      p.close();
    }
  });

  test('from a source blocked meanwhile: forgotten without an answer', async () => {
    const p = await probe(h, '127.0.0.8');
    try {
      p.send('dropped');
      await eventually(() => seen.length === 1, 5_000);
      blocked.add('127.0.0.8');
      await eventually(
        () => (h.server.stats().refusals['dropped-unanswered-blocked'] ?? 0) === 1,
        8_000,
      );
      expect(p.answers).toEqual([]);
      expect(h.server.stats().serverTransactions).toBe(0);
    } finally {
      p.close();
    }
  });
});
