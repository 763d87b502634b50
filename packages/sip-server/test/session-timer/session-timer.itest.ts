/**
 * Session timers kept by the server (RFC 4028, wire spec §6.6): invisible to the app except for
 * the BYE it learns about when the peer stops refreshing. Min-SE is lowered to 2 s so the test
 * sees expiry quickly; the behaviour is the same at the default 90 s.
 */
import path from 'node:path';
import Srf from 'drachtio-srf';
import { startSipServer } from '../../src';
import { expectSippSuccess, runSipp } from '../helpers/sipp';

const SCEN = path.join(__dirname, '..', 'sipp');
const SECRET = 'session-timer-secret';

async function setup() {
  const server = await startSipServer({
    sip: { host: '127.0.0.1', port: 0, protocols: ['udp'] },
    control: { port: 0, secret: SECRET },
    minSessionExpires: 2,
  });
  const srf = new Srf();
  await new Promise<void>((resolve, reject) => {
    srf.on('connect', (err: Error | null) => (err ? reject(err) : resolve()));
    // drachtio-srf's types say connect() returns a promise; it returns nothing and reports
    // through the 'connect' event handled above.
    void srf.connect({ host: '127.0.0.1', port: server.control.port, secret: SECRET });
  });
  const destroyed: string[] = [];
  let onDestroy: () => void = () => undefined;
  const firstDestroy = new Promise<void>((r) => (onDestroy = r));
  srf.invite((req, res) => {
    srf
      .createUAS(req, res, { localSdp: req.body })
      .then((dialog) =>
        dialog.on('destroy', (_msg: unknown, reason?: string) => {
          destroyed.push(reason ?? '');
          onDestroy();
        }),
      )
      .catch(() => undefined);
  });
  await server.whenRouted(['invite']);
  const udp = server.sipAddresses.find((a) => a.protocol === 'udp')!;
  return {
    target: `127.0.0.1:${udp.port}`,
    destroyed,
    /** Resolves once the app's dialog has ended; rejects after `withinMs`. */
    dialogEnded: (withinMs = 3_000): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the app's dialog did not end within ${withinMs} ms`)),
          withinMs,
        );
        void firstDestroy.then(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
    server,
    async [Symbol.asyncDispose]() {
      srf.disconnect();
      await server.stop();
    },
  };
}

describe('session timers', () => {
  it('ends the call with BYE "Session timer expired" when the refresher never refreshes', async () => {
    await using t = await setup();
    const result = await runSipp({
      scenario: path.join(SCEN, 'uac-session-expires-expect-bye.xml'),
      target: t.target,
      keys: { se: '2' },
      timeoutMs: 15_000,
    });
    expectSippSuccess(result, 'caller');
    // The app's dialog ended with the reason srf reads from the unsolicited BYE.
    await t.dialogEnded();
    expect(t.destroyed).toEqual(['Session timer expired']);
    expect(t.server.stats().dialogs).toBe(0);
  });

  it('refreshes with a re-INVITE when it is the refresher, and the call lives on', async () => {
    await using t = await setup();
    const result = await runSipp({
      scenario: path.join(SCEN, 'uac-session-expires-uas-refresh.xml'),
      target: t.target,
      keys: { se: '2' },
      timeoutMs: 15_000,
    });
    expectSippSuccess(result, 'caller');
    await t.dialogEnded();
    // The call ended by the caller's BYE, not by the timer.
    expect(t.destroyed).toEqual(['normal release']);
  });
});
