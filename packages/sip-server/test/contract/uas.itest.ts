/**
 * drachtio-srf as a UAS on the embedded server, driven by sipp over UDP and TCP: answering,
 * rejecting, hanging up, reliable provisionals, and retransmissions absorbed.
 */
import { join } from 'node:path';

import type Srf from 'drachtio-srf';

import { expectSippSuccess, runSipp, type SippTransport } from '../helpers/sipp';
import { eventually, handlers, idOf, protocolOf, sdp, startHarness } from './harness';

jest.setTimeout(60_000);

const scenarios = join(__dirname, '..', 'sipp');

/** Runs one of this folder's sipp scenarios once over `transport`. */
const sippCall = (
  transport: SippTransport,
  scenario: string,
  target: string,
  extra: Partial<Parameters<typeof runSipp>[0]> = {},
) =>
  runSipp({
    scenario: join(scenarios, scenario),
    target,
    transport,
    timeoutMs: 15_000,
    ...extra,
  });

describe.each<[SippTransport]>([['u1'], ['t1']])('srf UAS over %s', (transport) => {
  const protocol = protocolOf(transport);
  const call = sippCall.bind(undefined, transport);

  it('answers a call with createUAS and sees the caller hang up', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    const dialogs: Srf.Dialog[] = [];
    const destroyed: string[] = [];
    handlers(srf).invite((req, res) => {
      void srf.createUAS(req, res, { localSdp: sdp(15000) }).then((dialog) => {
        dialogs.push(dialog);
        dialog.on('destroy', () => destroyed.push(idOf(dialog)));
      });
    });
    await harness.server.whenRouted(['invite']);

    expectSippSuccess(await call('uac-invite-expect-200.xml', harness.sipTarget(protocol)));
    const dialog = await eventually(() => dialogs[0], 2_000, 'dialog');
    expect(idOf(dialog)).toMatch(/;from-tag=\d+SIPpTag001$/);
    expect(dialog.local.sdp).toContain('m=audio 15000');
    expect(dialog.remote.sdp).toContain('o=caller');
    await eventually(() => destroyed.length === 1, 2_000, 'dialog destroy on BYE');
    expect(destroyed).toEqual([idOf(dialog)]);
  });

  it('rejects a call with 486 (the server absorbs the ACK)', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    const seen: string[] = [];
    handlers(srf).invite((req, res) => {
      seen.push(req.method);
      res.send(486);
    });
    srf.use('ack', (req, _res, next) => {
      seen.push('ACK');
      next();
    });
    handlers(srf).options((req, res) => {
      seen.push(req.method);
      res.send(200);
    });
    await harness.server.whenRouted(['invite', 'options']);
    expectSippSuccess(await call('uac-invite-expect-486.xml', harness.sipTarget(protocol)));
    // An OPTIONS sent after the call reaches the app after anything the server passed on before.
    expectSippSuccess(await call('uac-options-expect-200.xml', harness.sipTarget(protocol)));
    await eventually(() => seen.includes('OPTIONS'), 2_000, 'the OPTIONS at the app');
    expect(seen).toEqual(['INVITE', 'OPTIONS']);
  });

  it('hangs up from the application side with dialog.destroy()', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    const byeStatus: number[] = [];
    handlers(srf).invite((req, res) => {
      void srf.createUAS(req, res, { localSdp: sdp() }).then((dialog) => {
        dialog.on('ack', () => {
          const destroy = dialog.destroy as unknown as () => Promise<Srf.SrfRequest>;
          void destroy.call(dialog).then(() => byeStatus.push(1));
        });
      });
    });
    await harness.server.whenRouted(['invite']);
    expectSippSuccess(
      await call('uac-invite-expect-200-recv-bye.xml', harness.sipTarget(protocol)),
    );
    await eventually(() => byeStatus.length === 1, 2_000, 'destroy() resolved');
  });

  it('answers 503 for INVITE when the connected app routes only OPTIONS', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    handlers(srf).options((_req, res) => res.send(200));
    await harness.server.whenRouted(['options']);
    expectSippSuccess(await call('uac-invite-expect-503.xml', harness.sipTarget(protocol)));
  });

  it('sends a reliable 180, receives the PRACK, then answers (RFC 3262)', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    const pracks: string[] = [];
    const answered: Srf.Dialog[] = [];
    handlers(srf).invite((req, res) => {
      const send = res.send as unknown as (
        status: number,
        opts: object,
        callback: ((err: unknown) => void) | null,
        fnPrack: (prack: Srf.SrfRequest) => void,
      ) => void;
      send.call(res, 180, { headers: { Require: '100rel' } }, null, (prack) => {
        pracks.push(prack.get('RAck'));
        void srf.createUAS(req, res, { localSdp: sdp() }).then((d) => answered.push(d));
      });
    });
    await harness.server.whenRouted(['invite']);
    expectSippSuccess(await call('uac-invite-prack-expect-200.xml', harness.sipTarget(protocol)));
    expect(pracks).toHaveLength(1);
    expect(pracks[0]).toMatch(/^\d+ 1 INVITE$/);
    expect(answered).toHaveLength(1);
  });

  it('absorbs a retransmitted INVITE: the app sees it once', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    let invites = 0;
    handlers(srf).invite((req, res) => {
      invites++;
      // Answer late, so the copy arrives while the app still holds the request.
      setTimeout(() => void srf.createUAS(req, res, { localSdp: sdp() }), 600);
    });
    await harness.server.whenRouted(['invite']);
    expectSippSuccess(
      await call('uac-invite-retransmit-expect-200.xml', harness.sipTarget(protocol)),
    );
    expect(invites).toBe(1);
  });

  it('keeps the call when the ACK comes late; over UDP the 200 is retransmitted until it', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    let acks = 0;
    handlers(srf).invite((req, res) => {
      void srf
        .createUAS(req, res, { localSdp: sdp() })
        .then((dialog) => dialog.on('ack', () => acks++));
    });
    await harness.server.whenRouted(['invite']);
    const result = await call('uac-invite-delay-ack-expect-200.xml', harness.sipTarget(protocol), {
      traceMessages: true,
    });
    expectSippSuccess(result);
    const okForInvite = (result.messages ?? '')
      .split(/-{20,}/)
      .filter(
        (m) => /received/.test(m) && /SIP\/2\.0 200 OK/.test(m) && /CSeq:\s*1 INVITE/i.test(m),
      );
    if (protocol === 'udp') expect(okForInvite.length).toBeGreaterThanOrEqual(2);
    else expect(okForInvite.length).toBeGreaterThanOrEqual(1);
    expect(acks).toBe(1);
  });
});

describe('srf UAS over u1: after the ACK', () => {
  it('absorbs the INVITE and the ACK sent again and answers a late CANCEL 200 without effect', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    const seen: string[] = [];
    const ended: string[] = [];
    handlers(srf).invite((req, res) => {
      seen.push('INVITE');
      void srf.createUAS(req, res, { localSdp: sdp() }).then((dialog) => {
        dialog.on('ack', () => seen.push('ACK'));
        dialog.on('destroy', () => ended.push('BYE'));
      });
    });
    await harness.server.whenRouted(['invite']);
    expectSippSuccess(
      await sippCall('u1', 'uac-invite-ack-copies-late-cancel.xml', harness.sipTarget('udp')),
    );
    await eventually(() => ended.length === 1, 2_000, 'the BYE at the app');
    expect(seen).toEqual(['INVITE', 'ACK']);
  });
});
