/**
 * Requests answered in-process (`handleLocally`): REGISTER goes to the local handler instead of
 * the drachtio-srf client that routes it, the answer is built like a client's (request's Via with
 * rport, From, To with a new tag, Call-ID, CSeq, then the handler's headers, never its copies of
 * those), a `drop` sends nothing, a failing handler is answered 500, and handing the method back
 * (`undefined`) delivers to the client again.
 */
import dgram from 'node:dgram';
import type Srf from 'drachtio-srf';
import type { LocalAnswer, ReceiveInfo, SipRequest } from '../../src';
import { getHeader } from '../../src';
import { eventually, handlers, startHarness, type Harness } from './harness';

jest.setTimeout(60_000);

function register(target: string, port: number, id: string, extra: string[] = []): Buffer {
  return Buffer.from(
    [
      `REGISTER sip:${target} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${id}`,
      `From: <sip:${id}@127.0.0.1>;tag=${id}`,
      `To: <sip:${id}@127.0.0.1>`,
      `Call-ID: ${id}@127.0.0.1`,
      'CSeq: 7 REGISTER',
      `Contact: <sip:${id}@127.0.0.1:${port}>`,
      ...extra,
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    'latin1',
  );
}

describe('requests answered in-process', () => {
  let h: Harness;
  let srf: Srf;
  let socket: dgram.Socket;
  let port: number;
  const answers = new Map<string, string[]>();
  let delivered = 0;
  const seen: Array<{ req: SipRequest; info: ReceiveInfo }> = [];

  const answersTo = (id: string, n = 1): Promise<string[]> =>
    eventually(
      () => {
        const a = answers.get(id);
        return a && a.length >= n ? a : undefined;
      },
      15_000,
      `answer to ${id}`,
    );
  const send = (id: string, extra: string[] = []): void =>
    socket.send(register(h.sipTarget('udp'), port, id, extra), h.sipPort('udp'), '127.0.0.1');

  beforeAll(async () => {
    h = await startHarness();
    srf = await h.connectSrf();
    handlers(srf).register((_req, res) => {
      delivered++;
      res.send(200);
    });
    await h.server.whenRouted(['register'], 10_000);
    socket = dgram.createSocket('udp4');
    socket.on('message', (msg) => {
      const text = msg.toString('latin1');
      const id = /\r\nCall-ID: *([^@\r]+)@/i.exec(text)?.[1] ?? '';
      answers.set(id, [...(answers.get(id) ?? []), text]);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    port = socket.address().port;
    h.server.handleLocally('REGISTER', async (req, info): Promise<LocalAnswer> => {
      seen.push({ req, info });
      const id = /^<sip:([^@]+)@/.exec(getHeader(req, 'To') ?? '')?.[1] ?? '';
      if (id.startsWith('drop')) return { kind: 'drop' };
      if (id.startsWith('fail')) throw new Error('handler broke');
      return {
        kind: 'reply',
        status: 401,
        reason: 'Unauthorized',
        headers: [
          { name: 'WWW-Authenticate', value: 'Digest realm="test", nonce="abc"' },
          { name: 'Via', value: 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-not-ours' },
          { name: 'Call-ID', value: 'not-ours' },
        ],
      };
    });
  });

  afterAll(async () => {
    socket?.close();
    await h?.[Symbol.asyncDispose]();
  });

  it('answers from the handler, shaped like a client answer, without the client', async () => {
    send('local1', ['Authorization: Digest username="a"', 'Authorization: Digest username="b"']);
    const [text] = await answersTo('local1');
    const lines = text!.split('\r\n');
    expect(lines[0]).toBe('SIP/2.0 401 Unauthorized');
    const vias = lines.filter((l) => /^via:/i.test(l));
    expect(vias).toHaveLength(1);
    expect(vias[0]).toContain(`127.0.0.1:${port};branch=z9hG4bK-local1`);
    expect(vias[0]).toContain(`rport=${port}`);
    expect(lines).toContain('From: <sip:local1@127.0.0.1>;tag=local1');
    expect(lines.find((l) => /^To:/i.test(l))).toMatch(/^To: <sip:local1@127\.0\.0\.1>;tag=\S+$/);
    expect(lines.filter((l) => /^Call-ID:/i.test(l))).toEqual(['Call-ID: local1@127.0.0.1']);
    expect(lines).toContain('CSeq: 7 REGISTER');
    expect(lines).toContain('WWW-Authenticate: Digest realm="test", nonce="abc"');
    expect(delivered).toBe(0);
    // The handler saw the parsed request with its source and the rport the server added.
    const got = seen.find((s) => getHeader(s.req, 'Call-ID') === 'local1@127.0.0.1');
    expect(got?.info.source).toEqual({ protocol: 'udp', address: '127.0.0.1', port });
    expect(getHeader(got!.req, 'Via')).toContain(`rport=${port}`);
  });

  it('answers a retransmission from the transaction, not the handler again', async () => {
    send('again1');
    await answersTo('again1');
    const before = seen.length;
    send('again1');
    const [first, second] = await answersTo('again1', 2);
    expect(second).toBe(first);
    expect(seen.length).toBe(before);
  });

  it('sends nothing for a drop, and counts it', async () => {
    const dropsBefore = h.server.stats().refusals['dropped-local'] ?? 0;
    send('drop1');
    await eventually(
      () => (h.server.stats().refusals['dropped-local'] ?? 0) === dropsBefore + 1 || undefined,
      15_000,
      'drop counted',
    );
    // A request sent after it is answered; the dropped one still has no answer.
    send('after1');
    await answersTo('after1');
    expect(answers.get('drop1')).toBeUndefined();
  });

  it('answers 500 when the handler fails', async () => {
    send('fail1');
    const [text] = await answersTo('fail1');
    expect(text!.split('\r\n')[0]).toBe('SIP/2.0 500 Server Internal Error');
  });

  it('hands the method back to the client when the handler is removed', async () => {
    h.server.handleLocally('REGISTER', undefined);
    send('client1');
    const [text] = await answersTo('client1');
    expect(text!.split('\r\n')[0]).toMatch(/^SIP\/2\.0 200 /);
    expect(delivered).toBe(1);
  });
});
