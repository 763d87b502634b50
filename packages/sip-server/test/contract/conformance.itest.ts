/**
 * RFC 3261 §8.2 checks the server makes before any application sees a request, over UDP and TCP:
 * 416 for a Request-URI scheme we do not serve, 420 with Unsupported for unknown option tags,
 * 505 for another SIP version, non-SIP URIs in From/To accepted, answers on the connection the
 * request came in on, one answer per request however often it is retransmitted, and a
 * rate-limited log line for every refused or dropped message.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';

import { eventually, handlers, startHarness, type Harness } from './harness';

jest.setTimeout(60_000);

interface Probe {
  /** Complete messages received so far. */
  answers: string[];
  /** The Via the probe puts in its requests (its own address). */
  via: string;
  send(text: string): void;
  close(): void;
}

async function udpProbe(h: Harness): Promise<Probe> {
  const socket = dgram.createSocket('udp4');
  const answers: string[] = [];
  socket.on('message', (m) => answers.push(m.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    answers,
    via: `SIP/2.0/UDP 127.0.0.1:${socket.address().port}`,
    send: (text) => socket.send(Buffer.from(text), h.sipPort('udp'), '127.0.0.1'),
    close: () => socket.close(),
  };
}

/**
 * A TCP connection whose Via names a port where nothing listens: an answer can only arrive on
 * this connection.
 */
async function tcpProbe(h: Harness): Promise<Probe> {
  const socket = net.connect({ port: h.sipPort('tcp'), host: '127.0.0.1' });
  const answers: string[] = [];
  let buffered = '';
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/\r\nContent-Length:\s*(\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
      if (buffered.length < end + 4 + len) return;
      answers.push(buffered.slice(0, end + 4 + len));
      buffered = buffered.slice(end + 4 + len);
    }
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return {
    answers,
    via: 'SIP/2.0/TCP 127.0.0.1:9',
    send: (text) => socket.write(text),
    close: () => socket.destroy(),
  };
}

function request(
  probe: Probe,
  id: string,
  opts: {
    method?: string;
    uri?: string;
    version?: string;
    from?: string;
    to?: string;
    extra?: string[];
  } = {},
): string {
  const method = opts.method ?? 'OPTIONS';
  const version = opts.version ?? 'SIP/2.0';
  return [
    `${method} ${opts.uri ?? 'sip:desk@127.0.0.1'} ${version}`,
    `Via: ${probe.via.replace('SIP/2.0', version)};branch=z9hG4bK-${id};rport`,
    `From: ${opts.from ?? '<sip:probe@127.0.0.1>'};tag=f-${id}`,
    `To: ${opts.to ?? '<sip:desk@127.0.0.1>'}`,
    `Call-ID: ${id}@127.0.0.1`,
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
    ...(opts.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function answerTo(probe: Probe, id: string): string | undefined {
  return probe.answers.find((a) => a.includes(`Call-ID: ${id}@127.0.0.1`));
}

function statusOf(text: string | undefined): number | undefined {
  const m = text === undefined ? null : /^SIP\/2\.0 (\d{3}) /.exec(text);
  return m ? Number(m[1]) : undefined;
}

function headerOf(text: string | undefined, name: string): string | undefined {
  return text === undefined
    ? undefined
    : new RegExp(`\\r\\n${name}:\\s*([^\\r]*)`, 'i').exec(text)?.[1];
}

describe.each<['udp' | 'tcp']>([['udp'], ['tcp']])('request checks over %s', (protocol) => {
  let harness: Harness;
  const seen: string[] = [];
  const logLines: Array<{ msg: string; status?: number; why?: string }> = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
          logLines.push(JSON.parse(line) as { msg: string });
        done();
      },
    });
    harness = await startHarness({ logger: pino({ level: 'info' }, sink) });
    const srf = await harness.connectSrf();
    handlers(srf).options((req, res) => {
      seen.push(req.get('Call-ID'));
      res.send(200);
    });
    handlers(srf).register((req, res) => {
      seen.push(req.get('Call-ID'));
      res.send(403);
    });
    await harness.server.whenRouted(['options', 'register']);
  });
  afterAll(async () => {
    await harness[Symbol.asyncDispose]();
  });

  async function ask(
    id: string,
    opts: Parameters<typeof request>[2] = {},
  ): Promise<{ probe: Probe; answer: string }> {
    const probe = protocol === 'udp' ? await udpProbe(harness) : await tcpProbe(harness);
    probe.send(request(probe, `${protocol}-${id}`, opts));
    const answer = await eventually(
      () => answerTo(probe, `${protocol}-${id}`),
      3_000,
      `answer to ${id}`,
    );
    return { probe, answer };
  }

  it('420 with Unsupported listing every unknown tag of Require and Proxy-Require', async () => {
    const { probe, answer } = await ask('bext', {
      extra: ['Require: timer, no-such-ext', 'Proxy-Require: nor-this, no-such-ext'],
    });
    probe.close();
    expect(statusOf(answer)).toBe(420);
    expect(headerOf(answer, 'Unsupported')).toBe('no-such-ext, nor-this');
    expect(seen).not.toContain(`${protocol}-bext@127.0.0.1`);
  });

  it('known option tags (timer, replaces, 100rel) pass to the application', async () => {
    const { probe, answer } = await ask('known', {
      extra: ['Require: timer, Replaces', 'Supported: 100rel'],
    });
    probe.close();
    expect(statusOf(answer)).toBe(200);
    expect(seen).toContain(`${protocol}-known@127.0.0.1`);
  });

  it('416 for a Request-URI scheme we do not serve; tel: is served', async () => {
    const bad = await ask('unkscm', { uri: 'xyzzy:opaque-thing' });
    bad.probe.close();
    expect(statusOf(bad.answer)).toBe(416);
    expect(seen).not.toContain(`${protocol}-unkscm@127.0.0.1`);
    const novel = await ask('novel', { uri: 'cti.feed+v2://127.0.0.23:4200/line' });
    novel.probe.close();
    expect(statusOf(novel.answer)).toBe(416);
    const tel = await ask('tel', { uri: 'tel:+82-2-555-0100' });
    tel.probe.close();
    expect(statusOf(tel.answer)).toBe(200);
  });

  it('accepts non-SIP URIs in From and To (RFC 3261 absoluteURI): the application answers', async () => {
    const { probe, answer } = await ask('unksm2', {
      method: 'REGISTER',
      uri: 'sip:127.0.0.1',
      from: '<https://pbx.example.invalid/users/7>',
      to: 'isbn:2983792873',
      extra: ['Contact: <im:ext272@pbx.example.invalid>'],
    });
    probe.close();
    expect(statusOf(answer)).toBe(403);
    expect(headerOf(answer, 'From')).toContain(`tag=f-${protocol}-unksm2`);
    expect(seen).toContain(`${protocol}-unksm2@127.0.0.1`);
    const tel = await ask('telfrom', { from: '<tel:+82-2-555-0101>', to: '<tel:2100>' });
    tel.probe.close();
    expect(statusOf(tel.answer)).toBe(200);
  });

  it('505 for SIP/3.0, even with SIP/3.0 in the Via', async () => {
    const { probe, answer } = await ask('badvers', { version: 'SIP/3.0' });
    probe.close();
    expect(statusOf(answer)).toBe(505);
    expect(seen).not.toContain(`${protocol}-badvers@127.0.0.1`);
  });

  it('one answer per request: retransmissions are absorbed, the application sees it once', async () => {
    const probe = protocol === 'udp' ? await udpProbe(harness) : await tcpProbe(harness);
    const id = `${protocol}-rexmit`;
    const text = request(probe, id, { extra: ['Require: not-here'] });
    const good = request(probe, `${id}-ok`);
    probe.send(text);
    probe.send(good);
    await eventually(() => answerTo(probe, `${id}-ok`), 3_000, 'the 200');
    await eventually(() => answerTo(probe, id), 3_000, 'the 420');
    probe.send(good);
    probe.send(text);
    // A marker after the retransmissions: once it is answered the retransmissions were handled.
    const marker = request(probe, `${id}-marker`);
    probe.send(marker);
    await eventually(() => answerTo(probe, `${id}-marker`), 3_000, 'the marker');
    probe.close();
    const oks = probe.answers.filter((a) => a.includes(`Call-ID: ${id}-ok@`));
    const bads = probe.answers.filter((a) => a.includes(`Call-ID: ${id}@`));
    expect(seen.filter((c) => c === `${id}-ok@127.0.0.1`)).toHaveLength(1);
    // The one final answer is sent again for the retransmission (RFC 3261 §17.2.2), identical to
    // the first; on TCP from the answers kept after the transaction ended.
    for (const group of [oks, bads]) {
      expect(group.length).toBe(2);
      expect(new Set(group).size).toBe(1);
    }
    expect(statusOf(bads[0])).toBe(420);
  });

  it('logs refusals and drops, at most one line a second per kind, and counts them', async () => {
    const before = logLines.filter((l) => l.msg === 'request refused' && l.status === 416).length;
    const probe = protocol === 'udp' ? await udpProbe(harness) : await tcpProbe(harness);
    for (let i = 0; i < 20; i++)
      probe.send(request(probe, `${protocol}-flood-${i}`, { uri: 'x:y' }));
    await eventually(
      () => probe.answers.filter((a) => statusOf(a) === 416).length === 20,
      3_000,
      '20 answers 416',
    );
    probe.send('GARBAGE / NOT SIP\r\n\r\n');
    probe.close();
    const after = logLines.filter((l) => l.msg === 'request refused' && l.status === 416).length;
    expect(after - before).toBeLessThanOrEqual(2);
    expect(logLines.some((l) => l.msg === 'request refused' && /scheme/.test(l.why ?? ''))).toBe(
      true,
    );
    await eventually(() => harness.server.stats().refusals['malformed'], 3_000, 'malformed count');
    const refusals = harness.server.stats().refusals;
    expect(refusals['refused-416']).toBeGreaterThanOrEqual(22);
    expect(refusals['refused-420']).toBeGreaterThanOrEqual(2);
    expect(logLines.some((l) => l.msg === 'malformed message')).toBe(true);
  });
});
