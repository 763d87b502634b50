/**
 * CDR events (wire spec §2.4): a client that routes cdr:attempt/start/stop gets one event of each
 * for an answered inbound call, with the source and role/reason tokens srf passes to handlers.
 */
import Srf from 'drachtio-srf';
import { startSipServer } from '../../src';
import { expectSippSuccess, runSipp } from '../helpers/sipp';

const SECRET = 'cdr-secret';

describe('CDR events', () => {
  it('reports attempt, start (uas) and stop (normal-release) for an answered call', async () => {
    await using server = await startSipServer({
      sip: { host: '127.0.0.1', port: 0, protocols: ['udp'] },
      control: { port: 0, secret: SECRET },
    });
    const srf = new Srf();
    const events: string[] = [];
    await new Promise<void>((resolve, reject) => {
      srf.on('connect', (err: Error | null) => (err ? reject(err) : resolve()));
      // drachtio-srf's types say connect() returns a promise; it returns nothing and reports
      // through the 'connect' event handled above.
      void srf.connect({ host: '127.0.0.1', port: server.control.port, secret: SECRET });
    });
    try {
      const cdr = srf as unknown as { on(ev: string, fn: (...a: unknown[]) => void): void };
      cdr.on('cdr:attempt', (source) => events.push(`attempt:${String(source)}`));
      cdr.on('cdr:start', (source, _time, role) =>
        events.push(`start:${String(source)}:${String(role)}`),
      );
      let onStop: () => void = () => undefined;
      const stopped = new Promise<void>((r) => (onStop = r));
      cdr.on('cdr:stop', (source, _time, reason) => {
        events.push(`stop:${String(source)}:${String(reason)}`);
        onStop();
      });
      srf.invite((req, res) => {
        srf.createUAS(req, res, { localSdp: req.body }).catch(() => undefined);
      });
      await server.whenRouted(['invite', 'cdr:attempt', 'cdr:start', 'cdr:stop']);
      const udp = server.sipAddresses.find((a) => a.protocol === 'udp')!;
      expectSippSuccess(
        await runSipp({ scenario: 'uac', target: `127.0.0.1:${udp.port}` }),
        'caller',
      );
      await Promise.race([
        stopped,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('no cdr:stop within 2 s')), 2_000).unref(),
        ),
      ]);
      expect(events).toEqual([
        'attempt:network',
        'start:application:uas',
        'stop:network:normal-release',
      ]);
    } finally {
      srf.disconnect();
    }
  });
});
