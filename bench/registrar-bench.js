'use strict';
// Issue 3/15 rows: sipp phones → the whole PBX (embedded SIP server, drachtio-srf, registrar,
// SQLite) in a child process of its own (built in dist: `npx tsc -b` first), so its CPU and RSS
// are measured alone from /proc.
//  - Authenticated registrations: each sipp call is REGISTER → 401 → REGISTER with digest → 200,
//    stations taken in turn from 10,000 (the first step sees each one for the first time, later
//    steps refresh them). The highest offered rate with zero failed registrations is found by a
//    ramp then bisection (bench/lib/ramp.js), each step BENCH_REG_SECONDS long; the row prints it
//    with the PBX's CPU per registration and its peak RSS.
//  - Memory of 10,000 registered stations: heap and RSS after a full GC, once finished
//    transactions are gone, minus the same before the first registration (stations created).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, runSipp } = require('./lib/sipp');
const { servePbx, forkPbx, ask, profiled, benchEntry } = require('./lib/pbx-child');
const {
  findMaxRate,
  measureProcess,
  idleCpuMsPerSecond,
  mib,
  pbxStep,
  logPbxStep,
} = require('./lib/ramp');

const SCEN = path.join(__dirname, 'scenarios');
const STATIONS = Number(process.env.BENCH_REG_STATIONS || 10000);
const SECONDS = Number(process.env.BENCH_REG_SECONDS || 10);
const TARGET = 4000;
/** Share of the offered rate a step must achieve to pass (sipp start-up and the tail cost some). */

const telOf = (i) => String(100000 + i);

function pbxMain() {
  return servePbx({
    prefix: 'bench-registrar-',
    // The stations exist before the PBX starts, as in an office that has been set up.
    prepare: async (dbPath) => {
      const { Store } = require('../packages/store/dist');
      const setup = await Store.open({ path: dbPath });
      for (let i = 0; i < STATIONS; i++) {
        const tel = telOf(i);
        await setup.stations.create(
          { tel, password: `bench!${tel}`, useWhitelist: false },
          { realm: 'pbx.local' },
        );
      }
      await setup.close();
    },
    env: { PBX_LICENSE_MAX_STATIONS: String(STATIONS + 10), PBX_DOMAIN: 'pbx.local' },
    stateOf: async (pbx) => ({
      registered: await pbx.ctx.store.registrations.countRegisteredStations(),
      // Answered ones too: they are held for timer J, and the memory row waits them out.
      transactions: pbx.sipServer
        ? await pbx.sipServer.stats().then((s) => s.serverTransactions + s.completedTransactions)
        : 0,
    }),
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-registrar-'));
  const sipPort = await freePort();
  const t0 = Date.now();
  const child = await forkPbx(__filename, sipPort);
  const createMs = Date.now() - t0;
  try {
    const tels = Array.from({ length: STATIONS }, (_, i) => telOf(i));
    const csv = path.join(dir, 'stations.csv');
    fs.writeFileSync(csv, `SEQUENTIAL\n${tels.map((t) => `${t};bench!${t}`).join('\n')}\n`);
    const before = await ask(child, { type: 'mem' }, 'mem');
    const uacPort = await freePort();
    const idle = await idleCpuMsPerSecond(child.pid);

    const tryRate = async (rate) => {
      const calls = Math.round(rate * SECONDS);
      const meter = measureProcess(child.pid);
      const r = await profiled(child, `registrar-${rate}`, () =>
        runSipp(
          [
            '-sf',
            path.join(SCEN, 'uac-register-auth-csv.xml'),
            `127.0.0.1:${sipPort}`,
            '-p',
            String(uacPort),
            '-inf',
            csv,
            '-au',
            '[field0]',
            '-ap',
            '[field1]',
            '-r',
            String(rate),
            '-rp',
            '1000',
            '-m',
            String(calls),
            '-l',
            String(STATIONS),
            '-timeout',
            `${SECONDS * 3 + 30}s`,
          ],
          { timeoutMs: (SECONDS * 3 + 60) * 1000 },
        ),
      );
      const m = meter.stop();
      await sleep(1000); // let the last retransmissions and writes settle before the next step
      // Zero failures is not enough: a step also has to keep up with (nearly) the rate offered.
      return pbxStep(r, { rate, expected: calls, meter: m, idlePerS: idle });
    };
    const log = logPbxStep('registrar', 'reg');
    const found = await findMaxRate(tryRate, { start: 1000, factor: 2, max: 16000 }, log);
    const first = found.steps[0];
    const atTarget = found.steps.find((s) => s.rate === TARGET);

    const { registered } = await ask(child, { type: 'state' }, 'state');
    // Finished SIP transactions linger for timer J (32 s over UDP); measure once they are gone,
    // so what remains is the registrations (and the caches they filled).
    const drainUntil = Date.now() + 40_000;
    while (Date.now() < drainUntil) {
      const s = await ask(child, { type: 'state' }, 'state');
      if (s.transactions === 0) break;
      await sleep(500);
    }
    const after = await ask(child, { type: 'mem' }, 'mem');
    const best = found.best;
    const steps = found.steps.map((s) => `${s.rate}${s.ok ? '✓' : '✗'}`).join(' ');
    return [
      {
        name: `Authenticated registrations (401 + digest + 200, UDP, ${STATIONS.toLocaleString('en')} stations), highest zero-failure rate`,
        value: found.rate,
        unit: 'reg/s',
        target: `≥ ${TARGET}`,
        ok: found.rate >= TARGET,
        note: best
          ? `achieved ${best.achieved}/s, ${best.successful} ok; steps ${steps}${found.exhausted ? ' (search bounded)' : ''}; ${STATIONS} stations created and PBX started in ${(createMs / 1000).toFixed(1)} s`
          : `no step passed: ${steps}`,
      },
      {
        name: 'CPU per authenticated registration (PBX process, utime+stime)',
        value: best ? best.cpuUs : '',
        unit: 'µs',
        target: '≤ 250',
        ok: Boolean(best) && best.cpuUs <= 250,
        note: `at ${found.rate}/s (${best ? best.netCpuUs : '?'} µs net of the idle PBX's ${idle.toFixed(0)} ms/s; main thread ${best ? best.mainCpuUs : '?'} µs, SIP server in the ${process.env.PBX_SIP_THREAD || 'worker'} thread); first step (${first.rate}/s, stations seen for the first time): ${first.cpuUs} µs`,
      },
      {
        name: `PBX RSS during a ${TARGET.toLocaleString('en')} reg/s run (peak)`,
        value: atTarget ? mib(atTarget.rssPeak) : '',
        unit: 'MiB',
        target: '< 250',
        ok: Boolean(atTarget) && atTarget.ok && atTarget.rssPeak < 250 * 1048576,
        note: atTarget
          ? `${atTarget.ok ? 'passed' : 'failed'} at ${TARGET}/s (${atTarget.failed} failed); peak at the best rate ${best ? mib(best.rssPeak) : '?'} MiB`
          : `no step at ${TARGET}/s`,
      },
      {
        name: `Memory of ${STATIONS.toLocaleString('en')} registered stations`,
        value: mib(after.heap - before.heap),
        unit: 'MiB heap',
        note: `${((after.heap - before.heap) / STATIONS / 1024).toFixed(2)} KiB heap, ${((after.rss - before.rss) / STATIONS / 1024).toFixed(2)} KiB RSS per registration; ${registered} stations registered; main thread ${mib(after.mainHeap - before.mainHeap)} + SIP worker ${mib(after.workerHeap - before.workerHeap)} MiB heap`,
        ok: registered === STATIONS,
      },
    ];
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.send({ type: 'exit' });
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };

benchEntry(module, { pbxMain, run });
