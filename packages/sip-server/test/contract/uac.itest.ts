/**
 * drachtio-srf as a UAC through the embedded server towards sipp UAS peers, over UDP and TCP:
 * digest authentication (401 verified by sipp, 407), REGISTER with auth, reliable provisionals,
 * rejection, and CANCEL.
 */
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

import type Srf from 'drachtio-srf';

import { expectSippSuccess, startSippUas, type SippTransport } from '../helpers/sipp';
import { requestFinal, sdp, startHarness, transportParam } from './harness';

jest.setTimeout(60_000);

const scenarios = join(__dirname, '..', 'sipp');

/** `dialog.destroy()` as a promise (srf's typings only declare the callback form). */
function hangUp(dialog: Srf.Dialog): Promise<unknown> {
  return (dialog.destroy as unknown as () => Promise<unknown>).call(dialog);
}

describe.each<[SippTransport]>([['u1'], ['t1']])('srf UAC over %s', (transport) => {
  const peer = (scenario: string) =>
    startSippUas({ scenario: join(scenarios, scenario), transport, timeoutMs: 15_000 });
  const uri = (port: number, user = 'callee') =>
    `sip:${user}@127.0.0.1:${port}${transportParam(transport)}`;
  const caller = { From: 'sip:caller@localhost' };

  it('answers a 401 challenge on INVITE with a digest the far end verifies', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    await using uas = await peer('uas-challenge-invite-401.xml');
    const dialog = await srf.createUAC(uri(uas.port), {
      localSdp: sdp(),
      headers: caller,
      auth: { username: 'foo', password: 'bar' },
    });
    expect(dialog.remote.sdp).toContain('o=callee');
    await hangUp(dialog);
    expectSippSuccess(await uas.done);
  });

  it('gets 403 when the password is wrong (the verification is real)', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    await using uas = await peer('uas-challenge-invite-401.xml');
    await expect(
      srf.createUAC(uri(uas.port), {
        localSdp: sdp(),
        headers: caller,
        auth: { username: 'foo', password: 'wrong' },
      }),
    ).rejects.toMatchObject({ status: 403 });
    expectSippSuccess(await uas.done);
  });

  it('answers a 407 proxy challenge on INVITE', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    await using uas = await peer('uas-challenge-invite-407.xml');
    const dialog = await srf.createUAC(uri(uas.port), {
      localSdp: sdp(),
      headers: caller,
      auth: { username: 'foo', password: 'bar' },
    });
    await hangUp(dialog);
    expectSippSuccess(await uas.done);
  });

  it('registers with digest authentication (srf.request REGISTER, 401 then 200)', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    await using registrar = await peer('uas-challenge-register-401.xml');
    const response = await requestFinal(srf, uri(registrar.port, 'registrar'), {
      method: 'REGISTER',
      headers: {
        From: 'sip:trunk@localhost',
        To: 'sip:trunk@127.0.0.1',
        Contact: '<sip:trunk@localhost>;expires=3600',
      },
      auth: { username: 'foo', password: 'bar' },
    });
    expect(response.status).toBe(200);
    expectSippSuccess(await registrar.done);
  });

  it('PRACKs a reliable 180 and completes the call', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    await using uas = await peer('uas-reliable-180.xml');
    const provisional: number[] = [];
    const dialog = await srf.createUAC(
      uri(uas.port),
      { localSdp: sdp(), headers: { ...caller, Supported: '100rel' } },
      { cbProvisional: (res) => provisional.push(res.status) },
    );
    expect(provisional).toContain(180);
    await hangUp(dialog);
    expectSippSuccess(await uas.done);
  });

  it('rejects with the callee status and the server ACKs the 486', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    await using uas = await peer('uas-reject-486.xml');
    await expect(
      srf.createUAC(uri(uas.port), { localSdp: sdp(), headers: caller }),
    ).rejects.toMatchObject({
      status: 486,
    });
    expectSippSuccess(await uas.done);
  });

  it('cancels a ringing call: 487 and the callee gets CANCEL and ACK', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    await using uas = await peer('uas-ring-expect-cancel.xml');
    let sent: Srf.SrfRequest | undefined;
    const callback = (err: unknown, req: Srf.SrfRequest): void => {
      if (!err) sent = req;
    };
    await expect(
      srf.createUAC(
        uri(uas.port),
        { localSdp: sdp(), headers: caller },
        {
          cbRequest: callback as unknown as (req: Srf.SrfRequest) => void,
          cbProvisional: (res) => {
            if (res.status === 180) sent?.cancel(() => undefined);
          },
        },
      ),
    ).rejects.toMatchObject({ status: 487 });
    expectSippSuccess(await uas.done);
  });
});

describe('srf UAC: a request the server cannot send', () => {
  it('gets 503 with a Warning saying why (a refused TCP connection)', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    // A port nobody listens on: take a free one and close it again.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const response = await requestFinal(srf, `sip:nobody@127.0.0.1:${port};transport=tcp`, {
      method: 'OPTIONS',
      headers: { From: 'sip:app@localhost', To: 'sip:nobody@127.0.0.1' },
    });
    expect(response.status).toBe(503);
    expect(response.get('Warning')).toMatch(
      new RegExp(`^399 localhost "tcp connect to 127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`),
    );
  });
});
