/**
 * `kill -9` of the PBX (the built apps/pbx/dist/main.js, as `npm start` runs it) in the middle of
 * registration load, admin writes and a connected call: nothing committed is lost (SQLite's
 * integrity check, and every REGISTER answered 200 and every station write that returned is found
 * after the kill), the restart on the same ports succeeds at once, registrations are restored
 * (a call reaches a phone that did not register again), the call that was up is recorded as
 * ended by the restart, and phones register and call again at once.
 *
 * `npm run soak` runs it with PBX_SOAK=1: more rounds (PBX_SOAK_CRASH_ROUNDS, default 10) and a
 * longer load before each kill (PBX_SOAK_CRASH_LOAD_MS, default 5000), and prints the figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@pbx/config';
import { Store } from '@pbx/store';
import { waitForOutput } from '../../../../packages/sip-server/test/helpers/child-output';
import { sippRegister } from '../helpers/register';
import {
  describeSippResult,
  freePort,
  runSipp,
  scenario,
  startSippUas,
  type SippPeer,
} from '../helpers/sipp';
import { childPbxEnv } from '../helpers/child-pbx-env';

const MAIN = path.resolve(__dirname, '../../dist/main.js');
const SOAK = process.env.PBX_SOAK === '1';
const ROUNDS = SOAK ? Number(process.env.PBX_SOAK_CRASH_ROUNDS ?? 10) : 1;
const LOAD_MS = SOAK ? Number(process.env.PBX_SOAK_CRASH_LOAD_MS ?? 5_000) : 1_500;
const LOAD_STATIONS = 12;

jest.setTimeout(60_000 + ROUNDS * (LOAD_MS + 30_000));

/** Every PBX process started, so that none outlives the test. */
const children: ChildProcess[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await sleep(25);
  }
}

interface Running {
  child: ChildProcess;
  /** ms from spawn to the "pbx started" line. */
  startMs: number;
}

async function startPbx(env: NodeJS.ProcessEnv): Promise<Running> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stderr.resume();
  await waitForOutput(child.stdout, '"msg":"pbx started"', 20_000);
  child.stdout.resume();
  return { child, startMs: Date.now() - t0 };
}

function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  return exited;
}

describe('kill -9 of the PBX under load', () => {
  let dir: string;
  const peers: SippPeer[] = [];
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pbx-crash-'));
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.stop();
    for (const c of children.splice(0)) await killHard(c);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no committed record, restarts on the same ports and serves at once', async () => {
    const db = path.join(dir, 'pbx.sqlite');
    // Fixed ports for every embedded server, so the restart proves each is reusable at once.
    const { env, sipPort } = await childPbxEnv(db, { fixedMediaPorts: true });
    const target = `127.0.0.1:${sipPort}`;
    const realm = loadConfig({ env }).sip.domain;
    const calleePort = await freePort('udp');
    const callerPort = await freePort('udp');

    // Stations, and the two phones' registrations, exist before the first start.
    const admin = await Store.open({ path: db });
    try {
      const tels = [
        '2001',
        '2002',
        ...Array.from({ length: LOAD_STATIONS }, (_, i) => `${3001 + i}`),
      ];
      for (const tel of tels)
        await admin.stations.create(
          { tel, password: `secret${tel}`, useWhitelist: false },
          { realm },
        );
      for (const [tel, port] of [
        ['2001', calleePort],
        ['2002', callerPort],
      ] as const)
        await admin.registrations.upsert({
          tel,
          contact: `sip:${tel}@127.0.0.1:${port}`,
          sourceIp: '127.0.0.1',
          sourcePort: port,
          protocol: 'udp',
          expiresAt: Date.now() + 3_600_000,
          callId: `seed-${tel}@test`,
          cseq: 1,
        });

      const ackedRegs = new Map<string, string>();
      const ackedStations: string[] = [];
      const figures: Array<Record<string, number>> = [];
      let nextStation = 5001;
      let contactPort = 41000;
      let pbx = await startPbx(env);

      for (let round = 1; round <= ROUNDS; round++) {
        // A connected call (2002 → 2001), held until the PBX dies.
        const callee = await startSippUas({
          scenario: scenario('uas-answer.xml'),
          localPort: calleePort,
          timeoutMs: 120_000,
          keys: { tel: '2001', name: 'Phone 2001' },
        });
        peers.push(callee);
        const caller = await startSippUas({
          scenario: scenario('uac-invite-expect-200-recv-bye.xml'),
          target,
          service: '2001',
          localPort: callerPort,
          timeoutMs: 120_000,
          keys: { tel: '2002', name: 'Phone 2002' },
        });
        peers.push(caller);
        await until(
          'the connected call written open',
          async () =>
            (await admin.cdrs.list({ limit: 5 })).find((r) => r.disposition === null)
              ? true
              : undefined,
          10_000,
        );

        // Load: registrations (each answered 200 is committed), and admin writes that returned.
        let loading = true;
        const registering = Array.from({ length: 3 }, async (_, w) => {
          for (let i = w; loading; i += 3) {
            const tel = `${3001 + (i % LOAD_STATIONS)}`;
            const port = contactPort++;
            const r = await sippRegister(target, {
              tel,
              password: `secret${tel}`,
              contactPort: port,
              timeoutMs: 5_000,
            });
            if (r.ok) ackedRegs.set(`${tel}|sip:${tel}@127.0.0.1:${port}`, tel);
          }
        });
        const writing = (async () => {
          while (loading) {
            const tel = String(nextStation++);
            await admin.stations.create(
              { tel, password: `pw${tel}`, useWhitelist: false },
              { realm },
            );
            ackedStations.push(tel);
            await sleep(20);
          }
        })();
        await sleep(LOAD_MS);
        const killedAt = Date.now();
        await killHard(pbx.child);
        loading = false;
        await Promise.all([...registering, writing]);
        await caller.stop();
        await callee.stop();

        // Nothing committed is lost.
        const check = await admin.db.get<{ integrity_check: string }>('PRAGMA integrity_check');
        expect(check?.integrity_check).toBe('ok');
        const stationTels = new Set((await admin.stations.list()).map((s) => s.tel));
        for (const tel of ackedStations) expect(stationTels.has(tel)).toBe(true);
        const regs = new Set(
          (await admin.registrations.list()).map((r) => `${r.tel}|${r.contact}`),
        );
        const lostRegs = [...ackedRegs.keys()].filter((k) => !regs.has(k));
        expect(lostRegs).toEqual([]);
        expect(ackedRegs.size).toBeGreaterThan(0);
        const open = (await admin.cdrs.list({ limit: 20 })).filter((r) => r.disposition === null);
        expect(open).toHaveLength(1);

        // Restart at once on the same ports.
        pbx = await startPbx(env);
        const restartedAt = Date.now();
        // The cut call is closed as ended by the restart.
        const closed = await admin.cdrs.get(open[0]!.id);
        expect(closed).toMatchObject({
          disposition: 'answered',
          hangupSide: 'system',
          endReason: 'restart',
        });
        // A phone registers at once.
        const reg = await sippRegister(target, { tel: '3001', password: 'secret3001' });
        expect(reg.ok).toBe(true);
        const firstRegisterMs = Date.now() - restartedAt;
        // 2001 did not register again: its restored binding carries the call.
        const callee2 = await startSippUas({
          scenario: scenario('uas-answer.xml'),
          localPort: calleePort,
          timeoutMs: 20_000,
          keys: { tel: '2001', name: 'Phone 2001' },
        });
        peers.push(callee2);
        const call = await runSipp({
          scenario: scenario('uac-invite-expect-200.xml'),
          target,
          service: '2001',
          localPort: callerPort,
          timeoutMs: 15_000,
          keys: { tel: '2002', name: 'Phone 2002' },
          extraArgs: ['-d', '200'],
        });
        if (call.code !== 0)
          throw new Error(`call after restart failed\n${describeSippResult(call)}`);
        const firstCallMs = Date.now() - restartedAt;
        await callee2.done;
        figures.push({
          round,
          loadMs: LOAD_MS,
          registrationsAcked: ackedRegs.size,
          stationsAcked: ackedStations.length,
          lost: lostRegs.length,
          // From the restart's spawn: "pbx started", first REGISTER answered 200, first call done.
          startMs: pbx.startMs,
          registerServedMs: pbx.startMs + firstRegisterMs,
          callServedMs: pbx.startMs + firstCallMs,
          // Kill to restart spawn (includes this test's checks of the database in between).
          downMs: restartedAt - pbx.startMs - killedAt,
        });
      }
      if (SOAK) process.stdout.write(`crash-restart figures ${JSON.stringify(figures)}\n`);
    } finally {
      await admin.close();
    }
  });
});
