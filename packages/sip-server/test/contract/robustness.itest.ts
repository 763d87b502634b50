/**
 * Malformed input while a call is in progress, over UDP and TCP: requests that can be answered get
 * 400, garbage is dropped, and the call in progress and later requests are unaffected.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { join } from 'node:path';

import { expectSippSuccess, runSipp, type SippTransport } from '../helpers/sipp';
import { eventually, handlers, protocolOf, sdp, startHarness, type Harness } from './harness';

jest.setTimeout(60_000);

const scenarios = join(__dirname, '..', 'sipp');

/** An OPTIONS whose CSeq names another method: answerable, and RFC 3261 §8.2 makes it a 400. */
function cseqMismatch(target: string, via: string, id: string): string {
  return [
    `OPTIONS sip:bad@${target} SIP/2.0`,
    `Via: ${via};branch=z9hG4bK-${id};rport`,
    `From: <sip:bad@127.0.0.1>;tag=${id}`,
    'To: <sip:bad@127.0.0.1>',
    `Call-ID: ${id}@127.0.0.1`,
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** A request with a header line that has no colon. */
function brokenHeader(target: string, via: string, id: string): string {
  return cseqMismatch(target, via, id).replace(
    'CSeq: 1 INVITE',
    'CSeq: 1 OPTIONS\r\nThis line is not a header',
  );
}

function statusOf(text: string): number | undefined {
  const match = /^SIP\/2\.0 (\d{3}) /.exec(text);
  return match ? Number(match[1]) : undefined;
}

async function udpProbe(
  harness: Harness,
): Promise<{ answers: string[]; send(text: string | Buffer): void; close(): void; via: string }> {
  const socket = dgram.createSocket('udp4');
  const answers: string[] = [];
  socket.on('message', (msg) => answers.push(msg.toString('latin1')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = harness.sipPort('udp');
  return {
    answers,
    via: `SIP/2.0/UDP 127.0.0.1:${socket.address().port}`,
    send: (text) =>
      socket.send(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, port, '127.0.0.1'),
    close: () => socket.close(),
  };
}

async function tcpProbe(
  harness: Harness,
): Promise<{ answers: () => string; socket: net.Socket; via: string }> {
  const socket = net.connect({ port: harness.sipPort('tcp'), host: '127.0.0.1' });
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return {
    answers: () => received,
    socket,
    via: `SIP/2.0/TCP 127.0.0.1:${socket.localPort as number}`,
  };
}

describe.each<[SippTransport]>([['u1'], ['t1']])('malformed input over %s', (transport) => {
  const protocol = protocolOf(transport);

  it('answers 400 or drops bad input while a call goes on', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    let invites = 0;
    const seenOptions: string[] = [];
    handlers(srf).invite((req, res) => {
      invites++;
      // Hold the call in setup while the bad input arrives.
      setTimeout(() => void srf.createUAS(req, res, { localSdp: sdp() }), 1_500);
    });
    handlers(srf).options((req, res) => {
      // The probe's well-formed OPTIONS (a marker, see below) is not what this list is about.
      if (req.get('Call-ID') !== 'udp-marker@127.0.0.1') seenOptions.push(req.get('Call-ID'));
      res.send(200);
    });
    await harness.server.whenRouted(['invite', 'options']);

    const callInProgress = runSipp({
      scenario: join(scenarios, 'uac-invite-expect-200.xml'),
      target: harness.sipTarget(protocol),
      transport,
      timeoutMs: 15_000,
    });
    await eventually(() => invites === 1, 5_000, 'INVITE reached the app');
    const target = harness.sipTarget(protocol);

    if (protocol === 'udp') {
      const probe = await udpProbe(harness);
      try {
        probe.send(randomBytes(1_500));
        probe.send('\r\n\r\n');
        probe.send('NOT SIP AT ALL\r\n\r\n');
        probe.send(cseqMismatch(target, probe.via, 'udp-cseq'));
        probe.send(brokenHeader(target, probe.via, 'udp-header'));
        // A good OPTIONS last: the app's 200 to it comes after every answer to the bad input.
        probe.send(
          cseqMismatch(target, probe.via, 'udp-marker').replace(
            'CSeq: 1 INVITE',
            'CSeq: 1 OPTIONS',
          ),
        );
        await eventually(
          () => probe.answers.some((a) => a.includes('udp-marker@127.0.0.1')),
          3_000,
          'the 200 to the last OPTIONS',
        );
        const [marker, ...bad] = [...probe.answers].reverse();
        expect(marker && statusOf(marker)).toBe(200);
        const cseqAnswer = bad.find((a) => a.includes('udp-cseq@127.0.0.1'));
        expect(cseqAnswer && statusOf(cseqAnswer)).toBe(400);
        for (const answer of bad) expect(statusOf(answer)).toBe(400);
      } finally {
        probe.close();
      }
    } else {
      const garbage = await tcpProbe(harness);
      garbage.socket.write(randomBytes(4_096));
      const idle = await tcpProbe(harness);
      const bad = await tcpProbe(harness);
      bad.socket.write(cseqMismatch(target, bad.via, 'tcp-cseq'));
      await eventually(
        () => bad.answers().includes('\r\n\r\n'),
        3_000,
        'an answer to the bad request on TCP',
      );
      expect(statusOf(bad.answers())).toBe(400);
      expect(bad.answers()).toContain('tcp-cseq@127.0.0.1');
      for (const probe of [garbage, idle, bad]) probe.socket.destroy();
    }

    expectSippSuccess(await callInProgress, 'call in progress');
    expect(invites).toBe(1);
    // Nothing malformed reached the app, and the server still serves new requests.
    expect(seenOptions).toEqual([]);
    expectSippSuccess(
      await runSipp({
        scenario: join(scenarios, 'uac-options-expect-200.xml'),
        target,
        transport,
        timeoutMs: 10_000,
      }),
      'OPTIONS after the bad input',
    );
    expect(seenOptions).toHaveLength(1);
  });
});
