/**
 * Requests other than INVITE through the embedded server, over UDP and TCP: OPTIONS, MESSAGE and
 * NOTIFY outside a dialog (both directions), SUBSCRIBE dialogs with NOTIFY, and INFO and REFER
 * inside a call.
 */
import { join } from 'node:path';

import type Srf from 'drachtio-srf';

import { expectSippSuccess, runSipp, startSippUas, type SippTransport } from '../helpers/sipp';
import {
  dialogRequest,
  eventually,
  handlers,
  protocolOf,
  requestFinal,
  sdp,
  startHarness,
  transportParam,
  type Harness,
} from './harness';

jest.setTimeout(60_000);

const scenarios = join(__dirname, '..', 'sipp');

describe.each<[SippTransport]>([['u1'], ['t1']])('non-INVITE requests over %s', (transport) => {
  const protocol = protocolOf(transport);
  const call = (harness: Harness, scenario: string) =>
    runSipp({
      scenario: join(scenarios, scenario),
      target: harness.sipTarget(protocol),
      transport,
      timeoutMs: 15_000,
    });

  it('delivers OPTIONS to the app, which answers 200', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    const seen: Array<{ protocol: string; source: string }> = [];
    handlers(srf).options((req, res) => {
      seen.push({ protocol: req.protocol, source: req.source_address });
      res.send(200, { headers: { Allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS' } });
    });
    await harness.server.whenRouted(['options']);
    expectSippSuccess(await call(harness, 'uac-options-expect-200.xml'));
    expect(seen).toEqual([{ protocol, source: '127.0.0.1' }]);
  });

  it('answers OPTIONS 503 when no app routes it', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    handlers(srf).invite((_req, res) => res.send(480));
    await harness.server.whenRouted(['invite']);
    expectSippSuccess(await call(harness, 'uac-options-expect-503.xml'));
  });

  it('delivers MESSAGE with its body and content type', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    const messages: Array<{ type: string; body: string }> = [];
    handlers(srf).message((req, res) => {
      messages.push({ type: req.get('Content-Type'), body: req.body });
      res.send(200);
    });
    await harness.server.whenRouted(['message']);
    expectSippSuccess(await call(harness, 'uac-message-expect-200.xml'));
    expect(messages).toEqual([
      { type: 'text/plain', body: expect.stringContaining('hello from sipp') },
    ]);
  });

  it('delivers an unsolicited NOTIFY outside a dialog', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    const events: string[] = [];
    handlers(srf).notify((req, res) => {
      events.push(req.get('Event'));
      res.send(200);
    });
    await harness.server.whenRouted(['notify']);
    expectSippSuccess(await call(harness, 'uac-notify-expect-200.xml'));
    expect(events).toEqual(['message-summary']);
  });

  it('creates a SUBSCRIBE dialog: 202, NOTIFY active, NOTIFY terminated', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    const notified: number[] = [];
    handlers(srf).subscribe((req, res) => {
      void (async () => {
        const dialog = await srf.createUAS(req, res, {
          localSdp: '',
          headers: { Expires: '60' },
        } as Srf.CreateUASOptions);
        const active = await dialogRequest(dialog, {
          method: 'NOTIFY',
          headers: {
            Event: 'presence',
            'Subscription-State': 'active;expires=60',
            'Content-Type': 'application/pidf+xml',
          },
          body: '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@127.0.0.1"/>',
        });
        notified.push(active.status);
        const ended = await dialogRequest(dialog, {
          method: 'NOTIFY',
          headers: { Event: 'presence', 'Subscription-State': 'terminated;reason=timeout' },
        });
        notified.push(ended.status);
      })();
    });
    await harness.server.whenRouted(['subscribe']);
    expectSippSuccess(await call(harness, 'uac-subscribe-expect-202.xml'));
    await eventually(() => notified.length === 2, 2_000, 'both NOTIFY responses');
    expect(notified).toEqual([200, 200]);
  });

  it('delivers INFO inside an answered call to the dialog', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    const infos: string[] = [];
    handlers(srf).invite((req, res) => {
      void srf.createUAS(req, res, { localSdp: sdp() }).then((dialog) => {
        dialog.on('info', (info, infoRes) => {
          infos.push(info.body);
          infoRes.send(200);
        });
      });
    });
    await harness.server.whenRouted(['invite']);
    expectSippSuccess(await call(harness, 'uac-invite-info-expect-200.xml'));
    expect(infos).toHaveLength(1);
    expect(infos[0]).toContain('Signal=5');
  });

  it('delivers REFER inside a call; the app answers 202 and NOTIFYs the outcome', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    const referTo: string[] = [];
    const notifyStatus: number[] = [];
    handlers(srf).invite((req, res) => {
      void srf.createUAS(req, res, { localSdp: sdp() }).then((dialog) => {
        dialog.on('refer', (refer, referRes) => {
          referTo.push(refer.get('Refer-To'));
          referRes.send(202);
          void dialogRequest(dialog, {
            method: 'NOTIFY',
            headers: {
              Event: 'refer',
              'Subscription-State': 'terminated;reason=noresource',
              'Content-Type': 'message/sipfrag;version=2.0',
            },
            body: 'SIP/2.0 200 OK\r\n',
          }).then((r) => notifyStatus.push(r.status));
        });
      });
    });
    await harness.server.whenRouted(['invite']);
    expectSippSuccess(await call(harness, 'uac-invite-refer-expect-202.xml'));
    expect(referTo).toEqual(['<sip:transfer-target@127.0.0.1>']);
    await eventually(() => notifyStatus.length === 1, 2_000, 'NOTIFY response');
    expect(notifyStatus).toEqual([200]);
  });

  it('sends MESSAGE and OPTIONS from the app to a SIP peer', async () => {
    await using harness = await startHarness();
    const srf = await harness.connectSrf();
    await using messagePeer = await startSippUas({
      scenario: join(scenarios, 'uas-answer-message.xml'),
      transport,
      timeoutMs: 15_000,
    });
    const message = await requestFinal(
      srf,
      `sip:peer@127.0.0.1:${messagePeer.port}${transportParam(transport)}`,
      {
        method: 'MESSAGE',
        headers: { From: 'sip:app@localhost', 'Content-Type': 'text/plain' },
        body: 'hello peer',
      },
    );
    expect(message.status).toBe(200);
    expectSippSuccess(await messagePeer.done);

    await using optionsPeer = await startSippUas({
      scenario: join(scenarios, 'uas-answer-options.xml'),
      transport,
      timeoutMs: 15_000,
    });
    const options = await requestFinal(
      srf,
      `sip:peer@127.0.0.1:${optionsPeer.port}${transportParam(transport)}`,
      {
        method: 'OPTIONS',
        headers: { From: 'sip:app@localhost' },
      },
    );
    expect(options.status).toBe(200);
    expect(options.get('Allow')).toContain('INVITE');
    expectSippSuccess(await optionsPeer.done);
  });
});
