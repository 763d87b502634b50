import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  canBind,
  describeSippResult,
  expectSippSuccess,
  freePort,
  runSipp,
  startSippUas,
  type SippTransport,
} from './sipp';

jest.setTimeout(60_000);

const scenarios = join(__dirname, '..', 'sipp');

const keyedOptionsScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="options with a keyed User-Agent">
  <send retrans="500"><![CDATA[

      OPTIONS sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:probe@[local_ip]:[local_port]>;tag=[pid]k[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      User-Agent: [agent]
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="200"/>
</scenario>
`;

describe('sipp helper', () => {
  it('finds a port free for both UDP and TCP', async () => {
    const port = await freePort('both');
    expect(port).toBeGreaterThan(1024);
    expect(await canBind('udp', port)).toBe(true);
    expect(await canBind('tcp', port)).toBe(true);
  });

  it.each<[SippTransport]>([['u1'], ['t1']])(
    'runs a built-in uac against a built-in uas on loopback (%s)',
    async (transport) => {
      await using uas = await startSippUas({ scenario: 'uas', transport, traceMessages: true });
      const uac = await runSipp({
        scenario: 'uac',
        target: `127.0.0.1:${uas.port}`,
        transport,
        traceMessages: true,
      });
      expectSippSuccess(uac, 'built-in uac');
      expect(uac.messages).toMatch(/^INVITE sip:/m);
      expect(uac.messages).toMatch(/^SIP\/2\.0 200 OK/m);
      const uasResult = await uas.done;
      expect(uasResult.killed).toBe(false);
      expect(uasResult.messages).toMatch(/^BYE sip:/m);
      // The built-in uas ends with a 4 s timewait; on TCP the uac closes its connection during it,
      // which sipp counts as a failed call. Our own scenarios end on their last message instead.
      if (transport === 'u1') expectSippSuccess(uasResult, 'built-in uas');
    },
  );

  it('runs a pair of our own scenarios, with the service set', async () => {
    await using uas = await startSippUas({
      scenario: join(scenarios, 'uas-ring-expect-cancel.xml'),
    });
    const uac = await runSipp({
      scenario: join(scenarios, 'uac-invite-cancel-expect-487.xml'),
      target: `127.0.0.1:${uas.port}`,
      service: 'cancel-me',
      traceMessages: true,
    });
    expectSippSuccess(uac);
    expect(uac.messages).toMatch(/^CANCEL sip:cancel-me@127\.0\.0\.1:/m);
    expectSippSuccess(await uas.done);
  });

  it('passes -key values into a scenario', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sipp-key-'));
    try {
      const scenario = join(dir, 'uac-options-keyed.xml');
      await writeFile(scenario, keyedOptionsScenario);
      await using uas = await startSippUas({ scenario: join(scenarios, 'uas-answer-options.xml') });
      const uac = await runSipp({
        scenario,
        target: `127.0.0.1:${uas.port}`,
        keys: { agent: 'helper-test/1.0' },
        traceMessages: true,
      });
      expectSippSuccess(uac);
      expect(uac.messages).toMatch(/^User-Agent: helper-test\/1\.0/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a failing scenario with a non-zero code and the error trace', async () => {
    await using uas = await startSippUas({ scenario: 'uas' });
    const uac = await runSipp({
      scenario: join(scenarios, 'uac-invite-expect-486.xml'),
      target: `127.0.0.1:${uas.port}`,
      timeoutMs: 5_000,
    });
    expect(uac.code).not.toBe(0);
    expect(uac.errors).toMatch(/unexpected message/i);
    expect(() => expectSippSuccess(uac, 'busy call')).toThrow(/busy call failed[\s\S]*exit code/);
    expect(describeSippResult(uac)).toContain('error trace:');
  });

  it('fails with a timeout when nobody answers', async () => {
    const silentPort = await freePort('udp');
    const started = Date.now();
    const uac = await runSipp({
      scenario: 'uac',
      target: `127.0.0.1:${silentPort}`,
      timeoutMs: 2_000,
    });
    expect(uac.code).not.toBe(0);
    expect(uac.errors).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops a background peer by its pid and removes nothing else', async () => {
    const uas = await startSippUas({ scenario: 'uas' });
    expect(await canBind('udp', uas.port)).toBe(false);
    const result = await uas.stop();
    expect(result.killed).toBe(true);
    expect(await canBind('udp', uas.port)).toBe(true);
  });
});
