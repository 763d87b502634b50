/**
 * Transaction memory stays bounded under a flood beyond capacity: requests the application has
 * not answered are capped (the rest get a stateless 503 with Retry-After), answered ones are
 * remembered only as response bytes and capped too, retransmissions are still answered from that
 * memory without reaching the application, and the server answers normally afterwards.
 */
import dgram from 'node:dgram';
import type Srf from 'drachtio-srf';
import { eventually, handlers, startHarness, type Harness } from './harness';

jest.setTimeout(60_000);

const LIVE = 200;
const DONE = 300;

function register(target: string, port: number, id: string): Buffer {
  return Buffer.from(
    [
      `REGISTER sip:${target} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${id};rport`,
      `From: <sip:${id}@127.0.0.1>;tag=${id}`,
      `To: <sip:${id}@127.0.0.1>`,
      `Call-ID: ${id}@127.0.0.1`,
      'CSeq: 1 REGISTER',
      `Contact: <sip:${id}@127.0.0.1:${port}>`,
      'Max-Forwards: 70',
      'Expires: 600',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    'latin1',
  );
}

interface Probe {
  port: number;
  /** Status codes received, by Call-ID prefix (the request id). */
  answers: Map<string, number[]>;
  count(status: number): number;
  send(id: string): void;
  close(): void;
}

async function probe(h: Harness): Promise<Probe> {
  const socket = dgram.createSocket('udp4');
  const answers = new Map<string, number[]>();
  socket.on('message', (msg) => {
    const text = msg.toString('latin1');
    const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1]);
    const id = /\r\nCall-ID: *([^@\r]+)@/i.exec(text)?.[1] ?? '';
    answers.set(id, [...(answers.get(id) ?? []), status]);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  return {
    port,
    answers,
    count: (status) => [...answers.values()].flat().filter((s) => s === status).length,
    send: (id) =>
      socket.send(register(h.sipTarget('udp'), port, id), h.sipPort('udp'), '127.0.0.1'),
    close: () => socket.close(),
  };
}

describe('a REGISTER flood beyond the transaction limits', () => {
  let h: Harness;
  let srf: Srf;
  let p: Probe;
  const held: Srf.SrfResponse[] = [];
  let hold = true;
  let delivered = 0;

  beforeAll(async () => {
    h = await startHarness({
      limits: { maxServerTransactions: LIVE, maxCompletedTransactions: DONE },
    });
    srf = await h.connectSrf();
    handlers(srf).register((req, res) => {
      delivered++;
      if (hold) held.push(res);
      else res.send(200, { headers: { Contact: req.get('Contact'), Expires: '600' } });
    });
    await h.server.whenRouted(['register']);
    p = await probe(h);
  });

  afterAll(async () => {
    p.close();
    await h[Symbol.asyncDispose]();
  });

  test('unanswered requests beyond the limit are shed with 503 and never reach the app', async () => {
    const total = 1000;
    let peak = 0;
    for (let sent = 0; sent < total;) {
      for (let i = 0; i < 50; i++) p.send(`held-${sent++}`);
      // Every request is either with the app or refused before the next batch goes out.
      await eventually(() => delivered + p.count(503) >= sent, 10_000, `${sent} requests settled`);
      peak = Math.max(peak, h.server.stats().serverTransactions);
    }
    expect(delivered).toBe(LIVE);
    expect(p.count(503)).toBe(total - LIVE);
    expect(peak).toBe(LIVE);
    expect(h.server.stats().serverTransactions).toBe(LIVE);
    expect(h.server.stats().refusals['refused-503']).toBe(total - LIVE);

    // The app answers what it holds: each gets its 200, and the live transactions are released
    // to the answer memory at once (timer J's work needs only the response bytes).
    hold = false;
    // In batches, so the probe's socket buffer never overflows.
    for (let i = 0; i < held.length; i += 50) {
      for (const res of held.slice(i, i + 50)) res.send(200);
      await eventually(() => p.count(200) >= i + 50, 10_000, `${i + 50} held requests answered`);
    }
    await eventually(() => h.server.stats().serverTransactions === 0, 10_000, 'live released');
    expect(h.server.stats().completedTransactions).toBe(LIVE);
    expect(h.server.stats().incoming).toBe(0);
  });

  test('answered requests are remembered up to the limit; retransmissions answered from it', async () => {
    const before200 = p.count(200);
    const total = 1000;
    let peak = 0;
    for (let sent = 0; sent < total;) {
      for (let i = 0; i < 50; i++) p.send(`fast-${sent++}`);
      await eventually(() => p.count(200) - before200 >= sent, 10_000, `${sent} requests answered`);
      peak = Math.max(peak, h.server.stats().completedTransactions);
    }
    expect(peak).toBeLessThanOrEqual(DONE);
    expect(h.server.stats().completedTransactions).toBe(DONE);
    expect(h.server.stats().serverTransactions).toBe(0);

    // A retransmission of a recent request gets the same answer again, not a second app call.
    const seen = delivered;
    p.send('fast-999');
    await eventually(() => p.answers.get('fast-999')?.length === 2, 10_000, 'retransmission');
    expect(p.answers.get('fast-999')).toEqual([200, 200]);
    expect(delivered).toBe(seen);
  });

  test('after the flood a new request is answered by the app as usual', async () => {
    const seen = delivered;
    p.send('after-1');
    await eventually(() => p.answers.get('after-1')?.[0], 10_000, 'answer after the flood');
    expect(p.answers.get('after-1')).toEqual([200]);
    expect(delivered).toBe(seen + 1);
  });
});

describe('answers remembered after a flood', () => {
  test('are freed once 64·T1 has passed, with no request after the flood to sweep them', async () => {
    // T1 = 20 ms: answers are remembered 1.28 s instead of 32 s.
    await using h = await startHarness({ timers: { t1: 20 } });
    const srf = await h.connectSrf();
    handlers(srf).register((_req, res) => res.send(200));
    await h.server.whenRouted(['register']);
    const p = await probe(h);
    try {
      const total = 300;
      for (let sent = 0; sent < total;) {
        for (let i = 0; i < 50; i++) p.send(`gone-${sent++}`);
        await eventually(() => p.count(200) >= sent, 10_000, `${sent} requests answered`);
      }
      expect(p.count(200)).toBe(total);
      // Nothing is sent any more: the memory comes back on its own (it used to wait for the next
      // answered request to sweep it).
      await eventually(
        () => h.server.stats().completedTransactions === 0,
        15_000,
        'answers freed after 64·T1',
      );
      expect(h.server.stats().serverTransactions).toBe(0);
      expect(h.server.stats().incoming).toBe(0);
    } finally {
      p.close();
    }
  });
});
