/**
 * srf.proxyRequest end to end: sipp UAC → embedded server (proxying for an unmodified drachtio-srf
 * app) → sipp UAS targets, all on loopback.
 */
import dgram from 'node:dgram';
import { join } from 'node:path';

import type Srf from 'drachtio-srf';

import { expectSippSuccess, runSipp, startSippUas, type SippPeer } from '../helpers/sipp';
import { startProxyBed, statusesOf, tracedMessages, type ProxyBed } from './harness';

jest.setTimeout(40_000);

const scenarios = join(__dirname, '..', 'sipp');
const scenario = (name: string): string => join(scenarios, name);

async function eventually(probe: () => boolean, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

function header(msg: string, name: string): string[] {
  const re = new RegExp(`^${name}:\\s*(.*)$`, 'gim');
  return [...msg.matchAll(re)].map((m) => m[1]!.trim());
}

describe('proxy (srf.proxyRequest through the embedded server)', () => {
  let bed: ProxyBed;
  const peers: SippPeer[] = [];

  beforeAll(async () => {
    bed = await startProxyBed();
  });
  afterEach(async () => {
    bed.discardPlans();
    for (const p of peers.splice(0)) await p.stop();
  });
  afterAll(async () => {
    await bed[Symbol.asyncDispose]();
  });

  async function uas(name: string, keys?: Record<string, string>): Promise<SippPeer> {
    const peer = await startSippUas({
      scenario: scenario(name),
      traceMessages: true,
      ...(keys ? { keys } : {}),
    });
    peers.push(peer);
    return peer;
  }

  it('serial: a failing target, then one that answers; Record-Route keeps ACK and BYE on the proxy', async () => {
    const failing = await uas('proxy-uas-reject-503.xml');
    const answering = await uas('uas-answer-check-record-route.xml');
    const results = bed.proxyNext({
      targets: [`127.0.0.1:${failing.port}`, `sip:127.0.0.1:${answering.port}`],
      opts: { recordRoute: true },
    });
    const uac = await runSipp({
      scenario: scenario('uac-invite-expect-200.xml'),
      target: bed.target,
      service: '201',
      traceMessages: true,
    });
    expectSippSuccess(uac, 'caller');
    expectSippSuccess(await failing.done, 'failing target');
    const callee = await answering.done;
    expectSippSuccess(callee, 'answering target');

    const r = await results;
    expect(r.connected).toBe(true);
    expect(r.finalStatus).toBe(200);
    expect(statusesOf(r)).toEqual([503, 200]);

    // The target saw the Request-URI replaced (it named us), our Via on top and our Record-Route.
    const [invite] = tracedMessages(callee.messages, 'received', /^INVITE /);
    expect(invite).toMatch(new RegExp(`^INVITE sip:127\\.0\\.0\\.1:${answering.port} SIP/2\\.0`));
    expect(header(invite!, 'Via')[0]).toMatch(
      new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${bed.port};`),
    );
    expect(header(invite!, 'Record-Route')).toEqual([
      `<sip:127.0.0.1:${bed.port};transport=udp;lr>`,
    ]);
    expect(header(invite!, 'Max-Forwards')).toEqual(['69']);

    // The caller's ACK and BYE went through the proxy: our Route gone, our Via added.
    for (const method of ['ACK', 'BYE']) {
      const [relayed] = tracedMessages(callee.messages, 'received', new RegExp(`^${method} `));
      expect(relayed).toBeDefined();
      expect(header(relayed!, 'Route')).toEqual([]);
      expect(header(relayed!, 'Via')).toHaveLength(2);
      expect(header(relayed!, 'Via')[0]).toMatch(new RegExp(`127\\.0\\.0\\.1:${bed.port};`));
    }
    // Responses reach the caller without our Via.
    const [ok] = tracedMessages(uac.messages, 'received', /^SIP\/2\.0 200/);
    expect(header(ok!, 'Via')).toHaveLength(1);
    expect(header(ok!, 'Record-Route')).toEqual([`<sip:127.0.0.1:${bed.port};transport=udp;lr>`]);
    const byeOk = tracedMessages(uac.messages, 'received', /^SIP\/2\.0 200/).find((m) =>
      /CSeq:\s*2 BYE/i.test(m),
    );
    expect(byeOk).toBeDefined();
    expect(header(byeOk!, 'Via')).toHaveLength(1);
    await eventually(() => bed.server.stats().incoming === 0);
  });

  it('relays a BYE from the callee along the record-routed path', async () => {
    const callee = await uas('proxy-uas-answer-then-bye.xml');
    const results = bed.proxyNext({
      targets: [`127.0.0.1:${callee.port}`],
      opts: { recordRoute: true },
    });
    const uac = await runSipp({
      scenario: scenario('uac-invite-expect-200-recv-bye.xml'),
      target: bed.target,
      service: '202',
      traceMessages: true,
    });
    expectSippSuccess(uac, 'caller');
    expectSippSuccess(await callee.done, 'callee');
    expect((await results).connected).toBe(true);
    const [bye] = tracedMessages(uac.messages, 'received', /^BYE /);
    expect(header(bye!, 'Route')).toEqual([]);
    expect(header(bye!, 'Via')[0]).toMatch(
      new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${bed.port};`),
    );
    expect(header(bye!, 'Max-Forwards')).toEqual(['69']);
  });

  it('simultaneous: the first answer wins and the ringing branch is CANCELled', async () => {
    const ringing = await uas('uas-ring-expect-cancel.xml');
    const answering = await uas('uas-answer-check-record-route.xml');
    const results = bed.proxyNext({
      targets: [`127.0.0.1:${ringing.port}`, `127.0.0.1:${answering.port}`],
      opts: { recordRoute: true, forking: 'simultaneous' },
    });
    const uac = await runSipp({
      scenario: scenario('uac-invite-expect-200.xml'),
      target: bed.target,
      service: '203',
    });
    expectSippSuccess(uac, 'caller');
    expectSippSuccess(await answering.done, 'answering target');
    const rang = await ringing.done;
    expectSippSuccess(rang, 'ringing target (CANCEL, 487, ACK)');
    const [cancel] = tracedMessages(rang.messages, 'received', /^CANCEL /);
    expect(header(cancel!, 'Via')).toHaveLength(1);
    const r = await results;
    expect(r.connected).toBe(true);
    expect(r.finalStatus).toBe(200);
  });

  it('a CANCEL from the caller gets 200, the caller 487, and the target is CANCELled', async () => {
    const ringing = await uas('uas-ring-expect-cancel.xml');
    const results = bed.proxyNext({
      targets: [`127.0.0.1:${ringing.port}`],
      opts: { recordRoute: true },
    });
    const uac = await runSipp({
      scenario: scenario('uac-invite-cancel-expect-487.xml'),
      target: bed.target,
      service: 'cancel-me',
      traceMessages: true,
    });
    expectSippSuccess(uac, 'caller');
    expectSippSuccess(await ringing.done, 'ringing target');
    expect(
      tracedMessages(uac.messages, 'received', /^SIP\/2\.0 200/).some((m) =>
        /CSeq:\s*1 CANCEL/i.test(m),
      ),
    ).toBe(true);
    const r = await results;
    expect(r.connected).toBe(false);
    expect(r.finalStatus).toBe(487);
    await eventually(() => bed.server.stats().incoming === 0);
  });

  it('all targets fail: the best response (486 over 503) goes upstream', async () => {
    const unavailable = await uas('proxy-uas-reject-503.xml');
    const busy = await uas('uas-reject-486.xml');
    let proxied: Srf.SrfRequest | undefined;
    const results = bed.proxyNext({
      targets: [`127.0.0.1:${unavailable.port}`, `127.0.0.1:${busy.port}`],
      opts: { forking: 'simultaneous' },
      onRequest: (req) => (proxied = req),
    });
    // The caller's scenario fails on anything but 486.
    const uac = await runSipp({
      scenario: scenario('uac-invite-expect-486.xml'),
      target: bed.target,
      service: '204',
    });
    expectSippSuccess(uac, 'caller');
    expectSippSuccess(await unavailable.done, '503 target');
    expectSippSuccess(await busy.done, '486 target');
    const r = await results;
    expect(r.connected).toBe(false);
    expect([...statusesOf(r)].sort()).toEqual([486, 503]);
    // The transaction is over: proxying it again is refused.
    await expect(
      bed.proxy(proxied!, { targets: [`127.0.0.1:${busy.port}`], opts: {} }),
    ).rejects.toThrow(
      `Unknown transaction id: ${(proxied as Srf.SrfRequest & { stackTxnId: string }).stackTxnId}`,
    );
  });

  it('a caller on TCP reaches a UDP target; ACK and BYE follow the record-route', async () => {
    const answering = await uas('uas-answer-check-record-route.xml');
    const results = bed.proxyNext({
      targets: [`127.0.0.1:${answering.port}`],
      opts: { recordRoute: true },
    });
    const uac = await runSipp({
      scenario: scenario('uac-invite-expect-200.xml'),
      target: bed.tcpTarget,
      service: '206',
      transport: 't1',
    });
    expectSippSuccess(uac, 'caller on TCP');
    expectSippSuccess(await answering.done, 'target on UDP');
    expect((await results).finalStatus).toBe(200);
  });

  it('proxies a MESSAGE (non-INVITE) and relays its 200', async () => {
    const target = await uas('uas-answer-message.xml');
    const results = bed.proxyNext({ targets: [`127.0.0.1:${target.port}`], opts: {} });
    const uac = await runSipp({
      scenario: scenario('uac-message-expect-200.xml'),
      target: bed.target,
      service: '207',
    });
    expectSippSuccess(uac, 'sender');
    const received = await target.done;
    expectSippSuccess(received, 'target');
    const [message] = tracedMessages(received.messages, 'received', /^MESSAGE /);
    expect(header(message!, 'Via')).toHaveLength(2);
    expect(header(message!, 'Record-Route')).toEqual([]);
    const r = await results;
    expect(r.connected).toBe(true);
    expect(statusesOf(r)).toEqual([200]);
  });

  it('no target can be reached: 500 upstream and the app gets an error', async () => {
    const results = bed.proxyNext({ targets: [`sip:127.0.0.1:${bed.port}`], opts: {} });
    const settled = results.then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    const socket = dgram.createSocket('udp4');
    const statuses: number[] = [];
    socket.on('message', (buf) => {
      const m = /^SIP\/2\.0 (\d{3})/.exec(buf.toString('latin1'));
      if (m) statuses.push(Number(m[1]));
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    try {
      const port = socket.address().port;
      const invite = [
        `INVITE sip:205@127.0.0.1:${bed.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKloop${Date.now()};rport`,
        'Max-Forwards: 70',
        `From: <sip:caller@127.0.0.1:${port}>;tag=loop1`,
        `To: <sip:205@127.0.0.1:${bed.port}>`,
        `Call-ID: loop-${Date.now()}@127.0.0.1`,
        'CSeq: 1 INVITE',
        `Contact: <sip:caller@127.0.0.1:${port}>`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(invite, bed.port, '127.0.0.1');
      await eventually(() => statuses.some((s) => s >= 200));
      expect(statuses.filter((s) => s >= 200)).toEqual([500]);
      expect(await settled).toMatch(/^error proxying request to sip:127\.0\.0\.1:\d+/);
    } finally {
      socket.close();
    }
  });
});
