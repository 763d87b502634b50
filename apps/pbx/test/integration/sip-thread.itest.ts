/**
 * The embedded SIP server in its worker thread (`sip.thread: worker`) and in the PBX's own thread
 * (`main`, the default), with real sipp phones over UDP and drachtio-srf in the path:
 *
 * - in both modes a station registers with digest and calls another, and the SIP trace (what
 *   feeds the web console's ladder and the metrics) holds every message of the call, in the order
 *   each phone exchanged them;
 * - the registrar's blocked addresses (Comm Exclusive, no-response) are mirrored into the worker,
 *   which drops their packets itself (the registrar never sees them); a mode change and
 *   `pbx block remove` reach it, and the address is answered again;
 * - start-up fails clearly when the SIP port is taken, a bad `sip.thread` names the key, and a
 *   stopped PBX leaves no thread behind.
 */
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import { ConfigError } from '@pbx/config';
import { run as runCli } from '../../../cli/src/main';
import { startPbx } from '../../src/pbx';
import { expectPhoneOk, startCallsPbx, waitFor } from '../helpers/calls-harness';
import { expectOk, sippRegister } from '../helpers/register';
import { freePort, type SippResult } from '../helpers/sipp';
import { startTestPbx, type TestPbx } from '../helpers/start-test-pbx';

jest.setTimeout(90_000);

interface Exchanged {
  /** As the PBX saw it: `in` = the phone sent it. */
  direction: 'in' | 'out';
  key: string;
}

/** First line and CSeq: what tells a message from another one of the same call. */
function keyOf(text: string): string {
  const first = text.split(/\r?\n/)[0]?.trim() ?? '';
  const cseq = /^CSeq\s*:\s*(.*)$/im.exec(text)?.[1]?.trim() ?? '';
  return `${first} | ${cseq}`;
}

/**
 * Keeps the first of identical messages (UDP retransmissions of either side), which are the only
 * place where the phone's order and the PBX's may differ.
 */
function firstOfEach(list: Exchanged[]): Exchanged[] {
  const seen = new Set<string>();
  return list.filter((m) => {
    const k = `${m.direction} ${m.key}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** What a sipp phone sent and received, in its order (its `-trace_msg`). */
function phoneSide(r: SippResult): Exchanged[] {
  return firstOfEach(
    (r.messages ?? '')
      .split(/^-{10,}.*$/m)
      .map((block) => block.trim())
      .filter((block) => /message (sent|received)/.test(block))
      .map((block) => ({
        direction: /message sent/.test(block) ? 'in' : 'out',
        key: keyOf(block.replace(/^.*message (sent|received).*\n/m, '').trim()),
      })),
  );
}

/** Threads of this process now (a worker thread is one; it is gone once the worker ended). */
function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

describe.each(['worker', 'main'] as const)('sip.thread %s', (thread) => {
  test('a station registers with digest and calls another; the trace holds every message of the call in order', async () => {
    await using h = await startCallsPbx({ env: { PBX_SIP_THREAD: thread } });
    expect(h.pbx.sipServer?.thread).toBe(thread);
    await h.station('201');
    await h.station('202');
    expectOk(
      await sippRegister(h.pbx.target, { tel: '201', password: 'secret201' }),
      'digest registration',
    );
    const trace: Array<{ port: number } & Exchanged> = [];
    const stop = h.pbx.sipServer!.onTraffic((direction, data, peer) => {
      if (peer.address === '127.0.0.1')
        trace.push({ direction, key: keyOf(data.toString('latin1')), port: peer.port });
    });
    try {
      const callee = await h.phone('202', 'uas-answer.xml');
      const caller = await h.call('201', '202', 'uac-invite-expect-200.xml', { pauseMs: 200 });
      expectPhoneOk(caller, 'caller 201');
      const answered = await callee.done;
      expectPhoneOk(answered, 'callee 202');
      const atPbx = (port: number): Exchanged[] =>
        firstOfEach(
          trace.filter((m) => m.port === port).map((m) => ({ direction: m.direction, key: m.key })),
        );
      // The last message (the BYE's 200) may still be on its way from the worker.
      for (const [r, port] of [
        [caller, caller.localPort],
        [answered, callee.port],
      ] as const) {
        const expected = phoneSide(r);
        expect(expected.length).toBeGreaterThanOrEqual(6);
        await waitFor(`the trace of port ${port}`, () => atPbx(port).length >= expected.length);
        expect(atPbx(port)).toEqual(expected);
      }
    } finally {
      stop();
    }
  });
});

describe('blocked sources in the worker', () => {
  const attacker = '127.0.0.7';

  async function setup(): Promise<TestPbx> {
    const pbx = await startTestPbx({
      env: { PBX_SIP_THREAD: 'worker' },
      // The mode is stored with `pbx config set` (overrides would win over a later change).
      overrides: (c) => {
        c.security.registerRetryLimit = 2;
        c.security.registerBlockTimer = 120;
      },
    });
    await pbx.ctx.store.stations.create(
      { tel: '202', password: 'secret202', useWhitelist: false },
      { realm: pbx.ctx.config.sip.domain },
    );
    await cli(pbx, 'config', 'set', 'security.commExclusive', 'no-response');
    await pbx.changeApplied('config');
    return pbx;
  }

  async function cli(pbx: TestPbx, ...argv: string[]): Promise<string> {
    let out = '';
    const code = await runCli(['--db', pbx.dbPath, ...argv], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (out += s) },
      env: {},
    });
    expect({ code, out }).toEqual({ code: 0, out: expect.any(String) as unknown });
    return out;
  }

  const dropped = async (pbx: TestPbx): Promise<number> =>
    (await pbx.sipServer!.stats()).refusals['dropped-blocked-source'] ?? 0;

  test('a blocked address is dropped by the worker itself; after a mode change and `pbx block remove` it is answered again', async () => {
    await using pbx = await setup();
    expect(pbx.sipServer?.thread).toBe('worker');
    const wrong = { tel: '202', password: 'wrongpw1', localIp: attacker };
    expectOk(
      await sippRegister(pbx.target, { ...wrong, scenario: 'uac-register-auth-expect-403.xml' }),
      'failure 1',
    );
    expectOk(
      await sippRegister(pbx.target, {
        ...wrong,
        scenario: 'uac-register-auth-expect-silence.xml',
      }),
      'failure 2 (blocked: no answer)',
    );
    expect(pbx.registrar.admission(attacker)).toBe('drop');

    // The worker drops the address's packets before parsing; the registrar never sees them.
    const turnedAway = pbx.registrar.comm.stats().turnedAway;
    const before = await dropped(pbx);
    const good = { tel: '202', password: 'secret202', localIp: attacker };
    const silent = await sippRegister(pbx.target, {
      ...good,
      scenario: 'uac-register-expect-silence.xml',
    });
    expectOk(silent, 'no answer while blocked');
    expect(silent.statuses).toEqual([]);
    expect(await dropped(pbx)).toBeGreaterThan(before);
    expect(pbx.registrar.comm.stats().turnedAway).toBe(turnedAway);

    // In `response` mode the block is answered 403 by the registrar: the worker lets it through.
    await cli(pbx, 'config', 'set', 'security.commExclusive', 'response');
    await pbx.changeApplied('config');
    expectOk(
      await sippRegister(pbx.target, { ...good, scenario: 'uac-register-expect-403.xml' }),
      'refused 403 in response mode',
    );
    await cli(pbx, 'config', 'set', 'security.commExclusive', 'no-response');
    await pbx.changeApplied('config');
    const again = await dropped(pbx);
    expectOk(
      await sippRegister(pbx.target, { ...good, scenario: 'uac-register-expect-silence.xml' }),
      'no answer again in no-response mode',
    );
    expect(await dropped(pbx)).toBeGreaterThan(again);

    expect(await cli(pbx, 'block', 'remove', attacker)).toBe(`unblocked ${attacker}\n`);
    await pbx.changeApplied('blocks');
    expectOk(await sippRegister(pbx.target, good), 'registered once unblocked');
  });
});

describe('start, failure and stop in worker mode', () => {
  test('a taken SIP port fails start-up with an error naming it, and leaves no thread behind', async () => {
    // Warm-up: a PBX started and stopped once, so threads made once per process exist already.
    const warm = await startTestPbx();
    await warm[Symbol.asyncDispose]();
    const threads = threadCount();
    const port = await freePort('udp', '127.0.0.1');
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(port, '127.0.0.1', resolve));
    try {
      const started = startTestPbxOnPort(port);
      await expect(started).rejects.toThrow(new RegExp(`EADDRINUSE 127\\.0\\.0\\.1:${port}`));
    } finally {
      taken.close();
    }
    await waitFor('the threads to end', () => threadCount() <= threads, 10_000);
  });

  test('a stopped PBX leaves no SIP or media thread behind', async () => {
    const warm = await startTestPbx();
    await warm[Symbol.asyncDispose]();
    const threads = threadCount();
    const pbx = await startTestPbx({ env: { PBX_SIP_THREAD: 'worker' } });
    expect(pbx.sipServer?.thread).toBe('worker');
    expect(threadCount()).toBeGreaterThan(threads);
    await pbx[Symbol.asyncDispose]();
    await waitFor('the threads to end', () => threadCount() <= threads, 10_000);
  });

  test('a bad sip.thread stops start-up with an error naming the key', async () => {
    await expect(startTestPbx({ env: { PBX_SIP_THREAD: 'process' } })).rejects.toThrow(ConfigError);
    await expect(startTestPbx({ env: { PBX_SIP_THREAD: 'process' } })).rejects.toThrow(
      /^sip\.thread: must be worker or main/,
    );
  });
});

/** startPbx on a given SIP port (startTestPbx picks its own and retries). */
async function startTestPbxOnPort(port: number): Promise<void> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const pino = (await import('pino')).default;
  const dir = await mkdtemp(path.join(tmpdir(), 'pbx-test-'));
  try {
    const pbx = await startPbx({
      env: {
        PBX_DB: path.join(dir, 'pbx.sqlite'),
        PBX_SIP_HOST: '127.0.0.1',
        PBX_SIP_PORT: String(port),
        PBX_SIP_THREAD: 'worker',
      },
      overrides: (c) => {
        c.control.port = 0;
        c.media.sipPort = 0;
        c.media.eslPort = 0;
        c.http.port = 0;
      },
      logger: pino({ level: 'silent' }),
    });
    await pbx.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
