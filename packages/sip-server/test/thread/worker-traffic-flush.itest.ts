/**
 * A worker hands its SIP trace over in batches (up to 20 ms of messages), so a reader that must
 * see the latest messages (a call's ladder right after its hang-up) asks for a flush: once it
 * resolves, every message the worker handled before it has reached the traffic listeners.
 */
import dgram from 'node:dgram';
import { silentLogger as quiet } from '../../src/logger';
import { startSipServerThread } from '../../src/thread/threaded-server';

jest.setTimeout(30_000);

const options = (port: number, n: number): Buffer =>
  Buffer.from(
    [
      `OPTIONS sip:pbx@127.0.0.1 SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-flush-${n};rport`,
      'Max-Forwards: 70',
      'From: <sip:probe@127.0.0.1>;tag=f1',
      'To: <sip:pbx@127.0.0.1>',
      `Call-ID: flush-${n}@127.0.0.1`,
      `CSeq: ${n} OPTIONS`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );

describe('SIP server worker traffic flush', () => {
  it('hands over every message handled so far before it resolves', async () => {
    const server = await startSipServerThread(
      {
        sip: { host: '127.0.0.1', port: 0, protocols: ['udp'] },
        control: { host: '127.0.0.1', port: 0, secret: 'flush-secret' },
      },
      { to: 'post', level: 'error' },
      quiet,
    );
    const sock = dgram.createSocket('udp4');
    try {
      const seen: string[] = [];
      const stop = server.onTraffic((direction, data) => {
        const callId = /Call-ID: (\S+)/.exec(data.toString('latin1'))?.[1] ?? '';
        seen.push(`${direction} ${callId}`);
      });
      await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
      const { port } = sock.address();
      const sip = server.sipAddresses.find((a) => a.protocol === 'udp')!;
      // No control client routes OPTIONS: the server answers each one itself (404 or 503), and
      // both the request and that answer pass through the trace.
      const answered = new Promise<void>((resolve) => {
        let n = 0;
        sock.on('message', () => {
          if (++n === 3) resolve();
        });
      });
      for (let n = 1; n <= 3; n++) sock.send(options(port, n), sip.port, '127.0.0.1');
      await answered;
      await server.flushTraffic();
      for (let n = 1; n <= 3; n++) {
        expect(seen).toContain(`in flush-${n}@127.0.0.1`);
        expect(seen).toContain(`out flush-${n}@127.0.0.1`);
      }
      stop();
    } finally {
      sock.close();
      await server.stop();
    }
  });
});
