'use strict';
// Issue 2 rows: sipp → embedded SIP server → a drachtio-srf app (in this process).
//  - REGISTER answered 200 by the app (server + app in a child process): the highest offered
//    rate with no failure (ramp + bisection, bench/lib/ramp.js), CPU µs per REGISTER from
//    /proc/<pid>/stat, heap bytes per answered transaction. BENCH_SIP_STEP_S sets a step's
//    length (default 20 s); BENCH_RAMP_* (see ramp.js) the search.
//  - INVITE B2BUA to a sipp UAS: calls per second with no failed call.
//  - Memory per 1,000 concurrent B2BUA calls (two dialogs each on the server, two in srf).
const path = require('node:path');
const { startSipServer } = require('../packages/sip-server/dist');
const Srf = require('drachtio-srf');
const { fork } = require('node:child_process');
const { freePort, runSipp, startSipp } = require('./lib/sipp');
const { findMaxRate, measureProcess, mib } = require('./lib/ramp');

const SCEN = path.join(__dirname, 'scenarios');

async function withServerAndApp(fn) {
  const sipPort = await freePort();
  const server = await startSipServer({
    sip: { host: '127.0.0.1', port: sipPort, protocols: ['udp'] },
    control: { port: 0, secret: 'bench-secret' },
  });
  const srf = new Srf();
  await new Promise((resolve, reject) => {
    srf.on('connect', (err) => (err ? reject(err) : resolve()));
    srf.connect({ host: '127.0.0.1', port: server.control.port, secret: 'bench-secret' });
  });
  try {
    return await fn({ server, srf, sipPort });
  } finally {
    srf.disconnect();
    await server.stop();
  }
}

function gcMemory() {
  if (global.gc) {
    global.gc();
    global.gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

/** The server + REGISTER app in a child process; resolves { child, sipPort, ask }. */
async function startChild() {
  const sipPort = await freePort();
  const child = fork(path.join(__dirname, 'lib', 'sip-server-child.js'), [], {
    env: { ...process.env, BENCH_SIP_PORT: String(sipPort) },
    execArgv: [
      '--expose-gc',
      ...(process.env.BENCH_SIP_NODE_ARGS || '').split(' ').filter(Boolean),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = (type) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m.type !== type) return;
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
      child.send({ type });
    });
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sip-server child exited (${code})`)));
    child.on('message', (m) => m.type === 'ready' && resolve());
  });
  return { child, sipPort, ask };
}

/**
 * One offered REGISTER rate for BENCH_SIP_STEP_S seconds (default 20) against a fresh child:
 * zero failures and ≥ 90 % of the offered rate held required; CPU of the child from /proc; memory per transaction is the heap
 * growth (after full collections) over the transactions the server holds at the end of the run
 * (answered ones are kept 64·T1 = 32 s for retransmissions, so that is every one of the run).
 */
async function registerStep(rate) {
  const seconds = Number(process.env.BENCH_SIP_STEP_S || 20);
  const { child, sipPort, ask } = await startChild();
  try {
    const before = await ask('mem');
    const total = Math.round(rate * seconds);
    const m = measureProcess(child.pid);
    const r = await runSipp([
      '-sf',
      path.join(SCEN, 'register-expect-200.xml'),
      `127.0.0.1:${sipPort}`,
      '-p',
      String(await freePort()),
      '-r',
      String(rate),
      '-rp',
      '1000',
      '-m',
      String(total),
      '-l',
      String(Math.max(20000, rate * 4)),
      '-timeout',
      `${seconds + 40}s`,
    ]);
    const used = m.stop();
    const after = await ask('mem');
    const achieved = Math.round((r.successful / r.elapsedMs) * 1000);
    return {
      // A pass needs every REGISTER answered and the rate actually held: on a loaded machine
      // sipp itself may fall behind the offered rate, and a slower run proves nothing about it.
      ok: r.failed === 0 && r.successful === total && achieved >= 0.9 * rate,
      achieved,
      successful: r.successful,
      failed: r.failed,
      cpuUs: used.perOpUs(r.successful),
      mainCpuUs: used.mainPerOpUs(r.successful),
      thread: after.thread || 'main',
      rssPeak: used.rssPeak,
      heap: after.heap,
      // The worker's heap is not in the child's heapUsed: no figure rather than a wrong one.
      perTxn:
        after.transactions > 0 && after.thread !== 'worker'
          ? (after.heap - before.heap) / after.transactions
          : NaN,
      transactions: after.transactions,
      // Answers kept for timer J in the ring (off the heap): bytes per answered transaction.
      ringPerTxn:
        after.ringBytes !== undefined && after.completed > 0
          ? after.ringBytes / after.completed
          : NaN,
    };
  } finally {
    child.send({ type: 'exit' });
    await new Promise((resolve) => {
      if (child.exitCode !== null) resolve();
      else child.once('exit', resolve);
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  }
}

async function registerRate() {
  const found = await findMaxRate(registerStep, { start: 2000, max: 20000, precision: 0.05 }, (s) =>
    process.stderr.write(
      `  REGISTER offered ${s.rate}/s: ${s.ok ? 'ok' : 'FAILED'} (${s.achieved}/s held, ${s.successful} ok, ${s.failed} failed, ${s.cpuUs} µs CPU/op, main thread ${s.mainCpuUs} µs, server in ${s.thread} thread, RSS peak ${mib(s.rssPeak)} MiB)\n`,
    ),
  );
  const b = found.best;
  return [
    {
      name: 'REGISTER → app 200 (UDP), highest zero-failure rate (ramp + bisection)',
      value: found.rate,
      unit: 'req/s offered',
      target: '≥ 10000',
      ok: found.rate >= 10000,
      note: b
        ? `${b.achieved}/s achieved, ${b.successful} ok${found.exhausted ? '; search bound hit' : ''}`
        : 'no rate passed',
    },
    {
      name: 'CPU per REGISTER (server + app process)',
      value: b ? b.cpuUs : '',
      unit: 'µs',
      note: b
        ? `at ${found.rate}/s; main thread ${b.mainCpuUs} µs (server in the ${b.thread} thread)`
        : '',
    },
    {
      name: 'Memory per answered transaction (kept 32 s for retransmissions)',
      value: b ? Math.round(b.perTxn) : '',
      unit: 'bytes heap',
      note: b
        ? `${b.transactions} held, heap ${mib(b.heap)} MiB after GC, RSS peak ${mib(b.rssPeak)} MiB${Number.isFinite(b.ringPerTxn) ? `; ${Math.round(b.ringPerTxn)} bytes each in the answer ring off the heap` : ''}`
        : '',
    },
  ];
}

async function b2buaApp(srf, uasPort) {
  srf.invite(async (req, res) => {
    try {
      const { uas, uac } = await srf.createB2BUA(req, res, `sip:service@127.0.0.1:${uasPort}`, {
        localSdpB: req.body,
      });
      uas.on('destroy', () => uac.destroy().catch(() => undefined));
      uac.on('destroy', () => uas.destroy().catch(() => undefined));
      // A BYE read together with the 200's echo was handled before these listeners existed.
      if (!uac.connected) uas.destroy().catch(() => undefined);
      else if (!uas.connected) uac.destroy().catch(() => undefined);
    } catch {
      /* failure counted by sipp */
    }
  });
}

async function callRate() {
  return withServerAndApp(async ({ srf, sipPort }) => {
    const uasPort = await freePort();
    const uas = startSipp(['-sn', 'uas', '-p', String(uasPort)]);
    await b2buaApp(srf, uasPort);
    await new Promise((r) => setTimeout(r, 300));
    const total = 6000;
    const r = await runSipp([
      '-sn',
      'uac',
      `127.0.0.1:${sipPort}`,
      '-p',
      String(await freePort()),
      '-r',
      '400',
      '-rp',
      '1000',
      '-m',
      String(total),
      '-l',
      '4000',
      '-d',
      '0',
      '-timeout',
      '90s',
    ]);
    await uas.stop();
    return {
      name: 'INVITE B2BUA → sipp UAS (UDP)',
      value: Math.round((r.successful / r.elapsedMs) * 1000),
      unit: 'calls/s',
      target: '≥ 300',
      note: `${r.successful} ok, ${r.failed} failed`,
      ok: r.failed === 0 && r.successful === total,
    };
  });
}

async function concurrentMemory() {
  return withServerAndApp(async ({ server, srf, sipPort }) => {
    const uasPort = await freePort();
    const uas = startSipp(['-sn', 'uas', '-p', String(uasPort)]);
    await b2buaApp(srf, uasPort);
    await new Promise((r) => setTimeout(r, 300));
    const before = gcMemory();
    const calls = 2000;
    const run = runSipp([
      '-sf',
      path.join(SCEN, 'uac-hold-call.xml'),
      `127.0.0.1:${sipPort}`,
      '-s',
      'service',
      '-p',
      String(await freePort()),
      '-r',
      '300',
      '-rp',
      '1000',
      '-m',
      String(calls),
      '-l',
      String(calls),
      '-timeout',
      '90s',
    ]);
    // All calls are up after calls/600 s (+ margin), and stay up 20 s.
    await new Promise((r) => setTimeout(r, (calls / 300) * 1000 + 3000));
    const up = server.stats().dialogs / 2;
    const during = gcMemory();
    const r = await run;
    await uas.stop();
    const perK = ((during.heap - before.heap) / up) * 1000;
    const rssPerK = ((during.rss - before.rss) / up) * 1000;
    return {
      name: 'Memory per 1,000 concurrent B2BUA calls',
      value: (perK / 1048576).toFixed(1),
      unit: 'MiB heap',
      note: `${Math.round(up)} calls up; RSS ${(rssPerK / 1048576).toFixed(1)} MiB/1000; ${r.failed} failed`,
      ok: r.failed === 0,
    };
  });
}

async function run() {
  // BENCH_SIP_ONLY=register runs only the REGISTER rows.
  if (process.env.BENCH_SIP_ONLY === 'register') return registerRate();
  return [...(await registerRate()), await callRate(), await concurrentMemory()];
}

module.exports = { run };
