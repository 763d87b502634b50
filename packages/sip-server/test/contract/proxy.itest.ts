/**
 * srf.proxyRequest through the embedded server with Record-Route (remainInDialog), over UDP and
 * TCP: the callee must see Record-Route, the caller's ACK and BYE follow the route set back
 * through the server, and srf resolves with the outcome.
 */
import { join } from 'node:path';

import { expectSippSuccess, runSipp, startSippUas, type SippTransport } from '../helpers/sipp';
import { eventually, handlers, protocolOf, startHarness, transportParam } from './harness';

jest.setTimeout(60_000);

const scenarios = join(__dirname, '..', 'sipp');

interface ProxyResults {
  connected: boolean;
  finalStatus: number;
}

describe.each<[SippTransport]>([['u1'], ['t1']])('srf proxyRequest over %s', (transport) => {
  const protocol = protocolOf(transport);

  it('proxies a call with Record-Route; ACK and BYE come back through the proxy', async () => {
    await using harness = await startHarness();
    await using callee = await startSippUas({
      scenario: join(scenarios, 'uas-answer-check-record-route.xml'),
      transport,
      timeoutMs: 15_000,
    });
    const srf = await harness.connectSrf();
    const results: ProxyResults[] = [];
    handlers(srf).invite((req) => {
      const proxy = srf.proxyRequest as unknown as (
        r: typeof req,
        dest: string,
        opts: { remainInDialog: boolean },
      ) => Promise<ProxyResults>;
      void proxy
        .call(srf, req, `sip:callee@127.0.0.1:${callee.port}${transportParam(transport)}`, {
          remainInDialog: true,
        })
        .then((r) => results.push(r));
    });
    await harness.server.whenRouted(['invite']);
    const caller = await runSipp({
      scenario: join(scenarios, 'uac-invite-via-proxy-expect-200.xml'),
      target: harness.sipTarget(protocol),
      transport,
      timeoutMs: 15_000,
      traceMessages: true,
    });
    expectSippSuccess(caller, 'caller');
    expectSippSuccess(await callee.done, 'callee');
    await eventually(() => results.length === 1, 3_000, 'proxyRequest result');
    expect(results[0]).toMatchObject({ connected: true, finalStatus: 200 });
    // The caller's in-dialog requests carried a Route naming the proxy.
    const sent = (caller.messages ?? '').split(/-{20,}/).filter((m) => /message sent/.test(m));
    const bye = sent.find((m) => /^\s*BYE /m.test(m)) ?? '';
    expect(bye).toMatch(
      new RegExp(`^Route: <sip:[^>]*127\\.0\\.0\\.1:${harness.sipPort(protocol)}[^>]*;lr`, 'mi'),
    );
  });
});
