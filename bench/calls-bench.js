'use strict';
// Issue 4/15 rows, against the whole PBX (embedded server + call control + SQLite) in a child
// process of its own, so its CPU and RSS are measured alone from /proc:
//  - station-to-station call set-up and tear-down (sipp UAC phones → PBX → sipp UAS phones): the
//    highest offered rate with no failed call, found by a ramp then bisection (bench/lib/ramp.js),
//    with the PBX's CPU per call;
//  - heap still held per finished call right after the run (transactions in their timers);
//  - concurrent calls held, with memory per call and per SIP dialog;
//  - time from INVITE to 480 for a feature code (median, 99th percentile), one at a time.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const dgram = require('node:dgram');
const { freePort, runSipp, startSipp, stationCallArgs } = require('./lib/sipp');
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
const PAIRS = 1000;

const HOLD_MS = Number(process.env.BENCH_CALL_HOLD_MS || 0);
const SECONDS = Number(process.env.BENCH_CALL_SECONDS || 10);
/**
 * Seconds into a step after which its steady-state CPU is measured: the full collections the
 * step's memory figure needs just before it make V8 drop the optimised code of everything whose
 * objects' maps died with the last calls (reason "weak objects"), and the first 2–3 s re-optimise
 * it (about 200 functions per thread, `--trace-opt`), which a PBX under steady load does not pay.
 */
const WARM_S = Math.min(Number(process.env.BENCH_CALL_WARM_S || 3), SECONDS / 2);

/**
 * BYEs the PBX has received (its `pbx_sip_requests_total` metric): one per call the phone bank
 * ended, counted as they arrive, where the records of a saturated step lag behind.
 */
async function byesReceived(pbx) {
  const metric = pbx.http.metrics.registry.getSingleMetric('pbx_sip_requests_total');
  const { values } = await metric.get();
  return values.find((v) => v.labels.method === 'BYE' && v.labels.direction === 'in')?.value ?? 0;
}

function pbxMain() {
  return servePbx({
    prefix: 'bench-pbx-',
    // Answered calls' records completed so far (a connected call's row is written open first,
    // then completed): whether the writer keeps up with the calls, one record each.
    stateOf: async (pbx) => ({
      records: await pbx.ctx.store.cdrs.count({ disposition: 'answered' }),
      byes: await byesReceived(pbx),
    }),
  });
}

/**
 * The whole PBX in a child process (its CPU and RSS measured alone), callers 2000.. registered
 * at the sipp UAC's address and callees 3000.. at the sipp UAS's; `fn` gets the ports, the
 * injection file (caller;callee) and the child.
 */
async function withPbx(fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pbx-'));
  const sipPort = await freePort();
  const child = await forkPbx(__filename, sipPort);
  try {
    const uacPort = await freePort();
    const uasPort = await freePort();
    const callers = Array.from({ length: PAIRS }, (_, i) => String(2000 + i));
    const callees = Array.from({ length: PAIRS }, (_, i) => String(3000 + i));
    await ask(child, { type: 'stations', tels: callers, port: uacPort }, 'stations');
    await ask(child, { type: 'stations', tels: callees, port: uasPort }, 'stations');
    const inf = path.join(dir, 'pairs.csv');
    fs.writeFileSync(
      inf,
      `SEQUENTIAL\n${callers.map((a, i) => `${a};${callees[i]}`).join('\n')}\n`,
    );
    return await fn({ child, sipPort, uacPort, uasPort, inf });
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.send({ type: 'exit' });
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function setupRate() {
  return withPbx(async ({ child, sipPort, uacPort, uasPort, inf }) => {
    const uas = startSipp(['-sn', 'uas', '-p', String(uasPort)]);
    await new Promise((r) => setTimeout(r, 300));
    const idle = await idleCpuMsPerSecond(child.pid);
    const tryRate = async (rate) => {
      const total = Math.round(rate * SECONDS);
      const mem0 = await ask(child, { type: 'mem' }, 'mem');
      const records0 = (await ask(child, { type: 'state' }, 'state')).records;
      const meter = measureProcess(child.pid);
      // Calls ended (their BYEs) and CPU WARM_S into the step: the steady-state window.
      let warm = null;
      let running = true;
      let marking = Promise.resolve();
      const warmTimer = setTimeout(() => {
        marking = ask(child, { type: 'state' }, 'state').then(({ byes }) => {
          if (running) warm = meter.mark(byes);
        });
      }, WARM_S * 1000);
      const r = await profiled(child, `calls-${rate}`, () =>
        runSipp(
          stationCallArgs({
            scenDir: SCEN,
            sipPort,
            uacPort,
            inf,
            holdMs: HOLD_MS,
            rate,
            total,
            limit: PAIRS,
            timeoutS: SECONDS * 3 + 30,
          }),
          { timeoutMs: (SECONDS * 3 + 60) * 1000 },
        ),
      );
      running = false;
      clearTimeout(warmTimer);
      await marking; // its answer is not taken for the one below
      const m = meter.stop();
      // Call records: how many were still unwritten when the last call ended, and how long the
      // writer took to store every answered call's (bounded: a stuck writer shows as a count).
      const ended = Date.now();
      const atEnd = await ask(child, { type: 'state' }, 'state');
      let stored = atEnd.records - records0;
      const pendingAtEnd = Math.max(0, r.successful - stored);
      const steady = warm && m.steadyFrom(warm, atEnd.byes);
      while (stored < r.successful && Date.now() - ended < 30_000) {
        await new Promise((res) => setTimeout(res, 50));
        stored = (await ask(child, { type: 'state' }, 'state')).records - records0;
      }
      const recordsLagMs = Date.now() - ended;
      // Right after the last call: what the finished calls still hold (transactions waiting out
      // their RFC timers, records not yet written) over what was held before the step.
      const mem1 = await ask(child, { type: 'mem' }, 'mem');
      await new Promise((res) => setTimeout(res, 1500)); // retransmissions and CDR writes settle
      return {
        ...pbxStep(r, { rate, expected: total, meter: m, idlePerS: idle, steady }),
        heapPerCall: r.successful > 0 ? (mem1.heap - mem0.heap) / r.successful : NaN,
        mainHeapPerCall: r.successful > 0 ? (mem1.mainHeap - mem0.mainHeap) / r.successful : NaN,
        workerHeapPerCall:
          r.successful > 0 ? (mem1.workerHeap - mem0.workerHeap) / r.successful : NaN,
        transactionsKept: mem1.transactions,
        transactionKinds: mem1.transactionKinds,
        transactionsBefore: mem0.transactions,
        callsLeft: mem1.calls,
        dialogsLeft: mem1.dialogs,
        recordsStored: stored,
        recordsPendingAtEnd: pendingAtEnd,
        recordsLagMs,
      };
    };
    const stepLine = logPbxStep('calls', 'call');
    const log = (s) => {
      stepLine(s);
      process.stderr.write(
        `         heap held after the step ${(s.heapPerCall / 1024).toFixed(2)} KiB per finished call (main thread ${(s.mainHeapPerCall / 1024).toFixed(2)}, SIP worker ${(s.workerHeapPerCall / 1024).toFixed(2)}); SIP transactions ${s.transactionsBefore} → ${s.transactionsKept} (${s.transactionKinds}); calls still live ${s.callsLeft}, SIP dialogs ${s.dialogsLeft}\n         call records: ${s.recordsPendingAtEnd} not yet stored when the last call ended; ${s.recordsStored} of ${s.successful} stored ${s.recordsLagMs} ms after it\n`,
      );
    };
    const found = await findMaxRate(tryRate, { start: 200, factor: 1.5, max: 3000 }, log);
    await uas.stop();
    const best = found.best;
    const steps = found.steps.map((s) => `${s.rate}${s.ok ? '✓' : '✗'}`).join(' ');
    return [
      {
        name: `Station → station call set-up and tear-down (UDP, hold ${HOLD_MS} ms), highest zero-failure rate`,
        value: found.rate,
        unit: 'calls/s',
        target: '≥ 600',
        note: best
          ? `achieved ${best.achieved}/s, ${best.successful} ok; steps ${steps}${found.exhausted ? ' (search bounded)' : ''}`
          : `no step passed: ${steps}`,
        ok: found.rate >= 600,
      },
      {
        name: 'CPU per station call (PBX process, utime+stime)',
        value: best ? best.cpuUs : '',
        unit: 'µs',
        target: '≤ 1000',
        note: best
          ? `at ${found.rate}/s (${best.netCpuUs} µs net of the idle PBX's ${idle.toFixed(0)} ms/s; main thread ${best.mainCpuUs} µs, SIP server in the ${process.env.PBX_SIP_THREAD || 'worker'} thread); PBX RSS peak ${mib(best.rssPeak)} MiB`
          : '',
        ok: Boolean(best) && best.cpuUs <= 1000,
      },
      {
        name: `CPU per station call in steady state (PBX process, the step after its first ${WARM_S} s)`,
        value: best?.steady ? best.steady.cpuUs : '',
        unit: 'µs',
        target: '≤ 1000',
        note: best?.steady
          ? `at ${found.rate}/s, the step's last ${best.steady.ops} calls (main thread ${best.steady.mainCpuUs} µs); the whole step above also pays the JIT re-optimising what the full collections before it (for the memory rows) deoptimised`
          : 'no steady-state window (step too short or no call finished after it began)',
        ok: Boolean(best?.steady) && best.steady.cpuUs <= 1000,
      },
      {
        name: 'Heap held per finished station call, right after the run (PBX process)',
        value: best ? (best.heapPerCall / 1024).toFixed(2) : '',
        unit: 'KiB',
        note: best
          ? `at ${found.rate}/s, after a full GC: what ended calls still hold while their transactions wait out the RFC timers (SIP transactions kept ${best.transactionsKept}, ${best.transactionsBefore} before the step)`
          : '',
        ok: Boolean(best),
      },
    ];
  });
}

async function concurrent() {
  return withPbx(async ({ child, sipPort, uacPort, uasPort, inf }) => {
    const uas = startSipp(['-sn', 'uas', '-p', String(uasPort)]);
    await new Promise((r) => setTimeout(r, 300));
    const before = await ask(child, { type: 'mem' }, 'mem');
    const calls = PAIRS;
    const run = runSipp(
      [
        '-sf',
        path.join(SCEN, 'uac-station-call.xml'),
        `127.0.0.1:${sipPort}`,
        '-p',
        String(uacPort),
        '-inf',
        inf,
        '-d',
        '20000',
        '-r',
        '200',
        '-rp',
        '1000',
        '-m',
        String(calls),
        '-l',
        String(calls),
        '-timeout',
        '90s',
      ],
      { timeoutMs: 120000 },
    );
    // Once every call is up, both of its dialogs confirmed (the calls are held 20 s; sipp needs
    // calls/200 s to place them).
    await new Promise((r) => setTimeout(r, (calls / 200) * 1000 + 1000));
    let during = await ask(child, { type: 'mem' }, 'mem');
    for (let i = 0; i < 20 && during.dialogs - before.dialogs < 2 * calls; i++) {
      await new Promise((r) => setTimeout(r, 500));
      during = await ask(child, { type: 'mem' }, 'mem');
    }
    const r = await run;
    await uas.stop();
    const held = during.calls - before.calls;
    const dialogs = during.dialogs - before.dialogs;
    const per = (during.heap - before.heap) / held;
    const kib = (b) => (b / 1024).toFixed(1);
    return [
      {
        name: 'Concurrent station calls held',
        value: calls,
        unit: 'calls',
        note: `${held} live in the PBX at the measurement, ${dialogs} SIP dialogs; ${r.successful} ok, ${r.failed} failed`,
        ok: r.failed === 0 && held === calls && dialogs === 2 * calls,
      },
      {
        name: 'Memory per held station call (PBX process)',
        value: kib(per),
        unit: 'KiB heap',
        note: `RSS ${kib((during.rss - before.rss) / held)} KiB per call; heap after a full GC, over the idle PBX: main thread ${kib((during.mainHeap - before.mainHeap) / held)} + SIP worker ${kib((during.workerHeap - before.workerHeap) / held)} KiB`,
        ok: r.failed === 0 && held === calls,
      },
      {
        name: 'Memory per SIP dialog of a held call (PBX process)',
        value: kib((during.heap - before.heap) / dialogs),
        unit: 'KiB heap',
        note: `${(dialogs / held).toFixed(1)} dialogs per call (the caller's and the callee's), everything the call holds counted in its dialogs`,
        ok: r.failed === 0 && dialogs > 0,
      },
    ];
  });
}

/** INVITE to 401 (DND on) from a registered station, one at a time; time until the 480 arrives. */
async function featureLatency() {
  return withPbx(async ({ sipPort, uacPort }) => {
    const sock = dgram.createSocket('udp4');
    await new Promise((r) => sock.bind(uacPort, '127.0.0.1', r));
    const samples = [];
    const n = 1000;
    try {
      for (let i = 0; i < n; i++) {
        const callId = `lat-${i}-${process.pid}@127.0.0.1`;
        const branch = `z9hG4bKlat${i}x${process.pid}`;
        const invite = [
          `INVITE sip:401@127.0.0.1:${sipPort} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${uacPort};branch=${branch};rport`,
          `From: <sip:2000@127.0.0.1>;tag=t${i}`,
          `To: <sip:401@127.0.0.1>`,
          `Call-ID: ${callId}`,
          'CSeq: 1 INVITE',
          `Contact: <sip:2000@127.0.0.1:${uacPort}>`,
          'Max-Forwards: 70',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
        const t0 = process.hrtime.bigint();
        const got = await new Promise((resolve) => {
          const timer = setTimeout(() => {
            sock.off('message', onMsg);
            resolve(null);
          }, 2000);
          const onMsg = (buf) => {
            const text = buf.toString();
            if (!text.includes(callId) || !/^SIP\/2\.0 [2-6]\d\d/.test(text)) return;
            clearTimeout(timer);
            sock.off('message', onMsg);
            resolve({ t: process.hrtime.bigint(), text });
          };
          sock.on('message', onMsg);
          sock.send(invite, sipPort, '127.0.0.1');
        });
        if (!got) continue;
        samples.push(Number(got.t - t0) / 1e6);
        const status = got.text.slice(8, 11);
        const toTag = /\r\nTo:[^\r]*tag=([^;\r>\s]+)/i.exec(got.text)?.[1] ?? '';
        const ack = [
          `ACK sip:401@127.0.0.1:${sipPort} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${uacPort};branch=${branch};rport`,
          `From: <sip:2000@127.0.0.1>;tag=t${i}`,
          `To: <sip:401@127.0.0.1>;tag=${toTag}`,
          `Call-ID: ${callId}`,
          'CSeq: 1 ACK',
          'Max-Forwards: 70',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
        sock.send(ack, sipPort, '127.0.0.1');
        if (i === 0 && status !== '480')
          throw new Error(`feature code answered ${status}, not 480`);
      }
    } finally {
      sock.close();
    }
    samples.sort((a, b) => a - b);
    const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
    return [
      {
        name: 'INVITE → 480 for a feature code (401), median',
        value: q(0.5).toFixed(2),
        unit: 'ms',
        note: `${samples.length} of ${n} answered`,
        ok: samples.length === n,
      },
      {
        name: 'INVITE → 480 for a feature code (401), p99',
        value: q(0.99).toFixed(2),
        unit: 'ms',
        note: '',
        ok: samples.length === n,
      },
    ];
  });
}

async function run() {
  // BENCH_CALLS_RATE_ONLY=1: just the rate row (profiling, quick comparisons).
  if (process.env.BENCH_CALLS_RATE_ONLY) return setupRate();
  // BENCH_CALLS_HELD_ONLY=1: just the held-calls memory rows.
  if (process.env.BENCH_CALLS_HELD_ONLY) return concurrent();
  return [...(await setupRate()), ...(await concurrent()), ...(await featureLatency())];
}

module.exports = { run, withPbx };

benchEntry(module, { pbxMain, run });
