/**
 * A drachtio-srf B2BUA on the embedded server between two sipp peers, over UDP and TCP:
 * sipp caller → server → app (createB2BUA) → server → sipp callee.
 */
import { join } from 'node:path';

import type Srf from 'drachtio-srf';

import {
  expectSippSuccess,
  runSipp,
  startSippUas,
  type SippPeer,
  type SippTransport,
} from '../helpers/sipp';
import {
  dialogRequest,
  eventually,
  handlers,
  protocolOf,
  startHarness,
  transportParam,
  type Harness,
} from './harness';

jest.setTimeout(60_000);

const scenarios = join(__dirname, '..', 'sipp');

/** drachtio-srf's Dialog has `connected` at run time; its type declarations leave it out. */
function isConnected(dialog: Srf.Dialog): boolean {
  return (dialog as Srf.Dialog & { connected: boolean }).connected;
}

interface Legs {
  uas: Srf.Dialog;
  uac: Srf.Dialog;
}

describe.each<[SippTransport]>([['u1'], ['t1']])('srf B2BUA over %s', (transport) => {
  const protocol = protocolOf(transport);

  /** Starts the callee, connects an app that bridges every INVITE to it, and returns both. */
  async function bridge(
    harness: Harness,
    calleeScenario: string,
    onLegs: (legs: Legs) => void = () => undefined,
    opts: Srf.CreateB2BUAOptions = {},
  ): Promise<{ callee: SippPeer; failures: unknown[]; legs: Legs[] }> {
    const callee = await startSippUas({
      scenario: join(scenarios, calleeScenario),
      transport,
      timeoutMs: 15_000,
    });
    const srf = await harness.connectSrf();
    const failures: unknown[] = [];
    const legs: Legs[] = [];
    handlers(srf).invite((req, res) => {
      const target = `sip:callee@127.0.0.1:${callee.port}${transportParam(transport)}`;
      srf.createB2BUA(req, res, target, opts).then(
        (pair) => {
          // Hang-up from either side ends the other leg.
          pair.uas.on('destroy', () => pair.uac.destroy());
          pair.uac.on('destroy', () => pair.uas.destroy());
          // A BYE read together with the 200's echo is handled before this runs.
          if (!isConnected(pair.uac)) void pair.uas.destroy();
          else if (!isConnected(pair.uas)) void pair.uac.destroy();
          legs.push(pair);
          onLegs(pair);
        },
        (err: unknown) => failures.push(err),
      );
    });
    await harness.server.whenRouted(['invite']);
    return { callee, failures, legs };
  }

  function caller(harness: Harness, scenario: string) {
    return runSipp({
      scenario: join(scenarios, scenario),
      target: harness.sipTarget(protocol),
      transport,
      timeoutMs: 15_000,
    });
  }

  it('connects a call and tears down the callee when the caller hangs up', async () => {
    await using harness = await startHarness();
    const { callee, legs } = await bridge(harness, 'uas-answer.xml');
    await using _callee = callee;
    expectSippSuccess(await caller(harness, 'uac-invite-expect-200.xml'), 'caller');
    expectSippSuccess(await callee.done, 'callee');
    expect(legs).toHaveLength(1);
  });

  it('tears down the caller when the callee hangs up', async () => {
    await using harness = await startHarness();
    const { callee } = await bridge(harness, 'uas-answer-then-bye.xml');
    await using _callee = callee;
    expectSippSuccess(await caller(harness, 'uac-invite-expect-200-recv-bye.xml'), 'caller');
    expectSippSuccess(await callee.done, 'callee');
  });

  it('passes a CANCEL from the caller on to the ringing callee', async () => {
    await using harness = await startHarness();
    const { callee, failures } = await bridge(harness, 'uas-ring-expect-cancel.xml');
    await using _callee = callee;
    expectSippSuccess(await caller(harness, 'uac-invite-cancel-expect-487.xml'), 'caller');
    expectSippSuccess(await callee.done, 'callee');
    await eventually(() => failures.length === 1, 2_000, 'createB2BUA rejection');
    expect(failures[0]).toMatchObject({ status: 487 });
  });

  it('passes the callee failure back to the caller', async () => {
    await using harness = await startHarness();
    const { callee, failures } = await bridge(harness, 'uas-reject-486.xml');
    await using _callee = callee;
    expectSippSuccess(await caller(harness, 'uac-invite-expect-486.xml'), 'caller');
    expectSippSuccess(await callee.done, 'callee');
    await eventually(() => failures.length === 1, 2_000, 'createB2BUA rejection');
    expect(failures[0]).toMatchObject({ status: 486 });
  });

  it('relays a re-INVITE from the caller to the callee', async () => {
    await using harness = await startHarness();
    const offers: string[] = [];
    const { callee } = await bridge(harness, 'uas-answer-expect-reinvite.xml', ({ uas, uac }) => {
      uas.on('modify', (req, res) => {
        offers.push(req.body);
        void uac.modify(req.body).then((answer) => res.send(200, { body: answer }));
      });
    });
    await using _callee = callee;
    expectSippSuccess(await caller(harness, 'uac-invite-reinvite-expect-200.xml'), 'caller');
    expectSippSuccess(await callee.done, 'callee');
    expect(offers).toHaveLength(1);
    expect(offers[0]).toContain('a=sendonly');
  });

  it('relays a re-INVITE from the callee to the caller', async () => {
    await using harness = await startHarness();
    const offers: string[] = [];
    const { callee } = await bridge(harness, 'uas-answer-send-reinvite.xml', ({ uas, uac }) => {
      uac.on('modify', (req, res) => {
        offers.push(req.body);
        void uas.modify(req.body).then((answer) => res.send(200, { body: answer }));
      });
    });
    await using _callee = callee;
    expectSippSuccess(await caller(harness, 'uac-invite-accept-reinvite-expect-200.xml'), 'caller');
    expectSippSuccess(await callee.done, 'callee');
    expect(offers).toHaveLength(1);
    expect(offers[0]).toContain('o=callee');
  });

  it('relays INFO inside the call from caller to callee', async () => {
    await using harness = await startHarness();
    const bodies: string[] = [];
    const { callee } = await bridge(harness, 'uas-answer-expect-info.xml', ({ uas, uac }) => {
      uas.on('info', (req, res) => {
        bodies.push(req.body);
        void dialogRequest(uac, {
          method: 'INFO',
          headers: { 'Content-Type': req.get('Content-Type') },
          body: req.body,
        }).then((answer) => res.send(answer.status));
      });
    });
    await using _callee = callee;
    expectSippSuccess(await caller(harness, 'uac-invite-info-expect-200.xml'), 'caller');
    expectSippSuccess(await callee.done, 'callee');
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain('Signal=5');
  });

  it('relays reliable provisionals with PRACK on both legs', async () => {
    await using harness = await startHarness();
    const { callee, legs } = await bridge(harness, 'uas-reliable-180.xml', () => undefined, {
      proxyRequestHeaders: ['all'],
      proxyResponseHeaders: ['all'],
    });
    await using _callee = callee;
    expectSippSuccess(await caller(harness, 'uac-invite-prack-expect-200.xml'), 'caller');
    expectSippSuccess(await callee.done, 'callee');
    expect(legs).toHaveLength(1);
  });
});
