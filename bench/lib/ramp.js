'use strict';
// Finding a row's highest zero-failure rate (ramp, then bisection) and measuring what one
// process spent doing it (CPU time and RSS from /proc), so every sipp-driven row reports the same
// three figures the same way: the rate, µs of server CPU per operation, memory.
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

const num = (name, dflt) => {
  const v = process.env[name];
  return v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : dflt;
};

/**
 * Ramp and bisection options, defaults overridden per row by the caller and then by the
 * environment (BENCH_RAMP_START, _MAX, _FACTOR, _PRECISION, _STEPS, _TIME_S) so one run of
 * `npm run bench` can be made shorter or finer without editing a file.
 */
function rampOptions(defaults = {}) {
  const o = {
    start: 500,
    max: 20000,
    factor: 1.5,
    precision: 0.05,
    maxSteps: 10,
    maxTimeS: 600,
    ...defaults,
  };
  return {
    start: num('BENCH_RAMP_START', o.start),
    max: num('BENCH_RAMP_MAX', o.max),
    factor: Math.max(1.05, num('BENCH_RAMP_FACTOR', o.factor)),
    precision: Math.max(0.005, num('BENCH_RAMP_PRECISION', o.precision)),
    maxSteps: Math.max(1, num('BENCH_RAMP_STEPS', o.maxSteps)),
    maxTimeS: num('BENCH_RAMP_TIME_S', o.maxTimeS),
  };
}

/**
 * The highest rate at which `tryRate(rate)` resolves `{ ok: true, ... }` (a run with zero
 * failures). Offers `start`, multiplies by `factor` while runs pass (up to `max`), then bisects
 * between the last pass and the first failure until they are within `precision` of each other.
 * Stops after `maxSteps` runs or once `maxTimeS` seconds have gone by, whichever comes first
 * (a run is never cut short; the bound is checked before starting the next one).
 *
 * Resolves `{ rate, best, steps, exhausted }`: `rate` is the highest passing offered rate (0 if
 * none passed), `best` the passing run's own result (whatever `tryRate` returned, e.g. achieved
 * rate, CPU, RSS), `steps` every run as `{ rate, ok, ...result }`, `exhausted` true when a bound
 * (steps or time) ended the search before the precision was reached.
 */
async function findMaxRate(tryRate, defaults = {}, log = () => undefined) {
  const o = rampOptions(defaults);
  const t0 = Date.now();
  const steps = [];
  let lo = 0;
  let best = null;
  let hi = Infinity;
  const budgetLeft = () => steps.length < o.maxSteps && (Date.now() - t0) / 1000 < o.maxTimeS;
  const attempt = async (rate) => {
    const r = await tryRate(rate);
    const step = { rate, ...r, ok: Boolean(r && r.ok) };
    steps.push(step);
    log(step);
    if (step.ok) {
      lo = rate;
      best = step;
    } else {
      hi = Math.min(hi, rate);
    }
    return step.ok;
  };

  // Ramp up.
  let rate = Math.round(o.start);
  while (budgetLeft()) {
    const ok = await attempt(rate);
    if (!ok || rate >= o.max) break;
    rate = Math.min(o.max, Math.round(rate * o.factor));
  }
  // Nothing passed at the start rate: ramp down by halving, so the row still reports a figure.
  while (lo === 0 && budgetLeft() && hi > 2) {
    await attempt(Math.max(1, Math.round(hi / 2)));
  }
  // Bisect between the last pass and the first failure.
  while (lo > 0 && hi !== Infinity && (hi - lo) / lo > o.precision && budgetLeft()) {
    await attempt(Math.round((lo + hi) / 2));
  }
  const precise = lo > 0 && (hi === Infinity ? lo >= o.max : (hi - lo) / lo <= o.precision);
  return { rate: lo, best, steps, exhausted: !precise, options: o };
}

let clkTck = null;
function ticksPerSecond() {
  if (clkTck === null) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/**
 * utime+stime of `pid` in ms (all its threads), from /proc/<pid>/stat; with `mainThread`, of its
 * main thread alone (/proc/<pid>/task/<pid>/stat: JavaScript's thread, not the SIP or media
 * worker, libuv's pool or V8's helpers); null once it is gone.
 */
function cpuMsOf(pid, { mainThread = false } = {}) {
  try {
    const stat = fs.readFileSync(
      mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`,
      'utf8',
    );
    // Fields after the command name (which may hold spaces and parentheses) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state); utime is field 14, stime field 15.
    return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond();
  } catch {
    return null;
  }
}

/**
 * utime+stime in ms of each thread of `pid` (/proc/<pid>/task/<tid>/stat), by thread id; threads
 * gone meanwhile are left out.
 */
function threadCpuMsOf(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond());
    } catch {
      // the thread ended
    }
  }
  return out;
}

/**
 * Per-thread CPU between two {@link threadCpuMsOf} snapshots, in µs per operation, for the
 * BENCH_THREADS line: `main` (JavaScript's thread), then every other thread with at least 1 % of
 * the process's time, named by its id's distance from the process id (Node starts V8's four
 * platform threads first, +2..+5 here, then libuv's pool; the SIP and media workers come later).
 */
function threadBreakdown(pid, before, after, n) {
  const rows = [];
  let total = 0;
  for (const [tid, ms] of after) {
    const d = ms - (before.get(tid) ?? 0);
    total += d;
    rows.push([tid, d]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  const us = (ms) => Math.round((ms * 1000) / n);
  return rows
    .filter(([tid, d]) => tid === pid || d >= total / 100)
    .map(([tid, d]) => `${tid === pid ? 'main' : `+${tid - pid}`} ${us(d)}`)
    .join(', ');
}

/** VmRSS of `pid` in bytes, from /proc/<pid>/status; null once it is gone. */
function rssOf(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Starts measuring process `pid`: CPU time (utime+stime) and RSS sampled every `intervalMs`.
 * `stop()` returns `{ cpuMs, wallMs, rssStart, rssPeak, rssEnd, rssMean }` (bytes) for the span
 * between start and stop. `perOp(n)` on that result gives µs of CPU per operation.
 */
function measureProcess(pid, { intervalMs = 200 } = {}) {
  const withThreads = Boolean(process.env.BENCH_THREADS);
  /** The process's CPU counters now (null where it is gone). */
  const counters = () => ({
    at: Date.now(),
    cpuMs: cpuMsOf(pid),
    mainCpuMs: cpuMsOf(pid, { mainThread: true }),
    threads: withThreads ? threadCpuMsOf(pid) : null,
  });
  const diff = (a, b) => (a === null || b === null ? NaN : b - a);
  /** µs per operation of `ms` over `n` operations. */
  const perOp = (ms, n) => (n > 0 ? Math.round((ms * 1000) / n) : NaN);
  const start = counters();
  const t0 = start.at;
  const rssStart = rssOf(pid);
  let rssPeak = rssStart ?? 0;
  let rssSum = 0;
  let samples = 0;
  const sample = () => {
    const r = rssOf(pid);
    if (r === null) return;
    rssPeak = Math.max(rssPeak, r);
    rssSum += r;
    samples++;
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    /**
     * A point inside the span, with the operations done by then: `stop()`'s result then also
     * gives the CPU from here to the end (`steadyFrom`), e.g. once the JIT has re-optimised.
     */
    mark(ops) {
      return { ops, ...counters() };
    },
    stop() {
      clearInterval(timer);
      sample();
      const end = counters();
      const cpuMs = diff(start.cpuMs, end.cpuMs);
      const mainCpuMs = diff(start.mainCpuMs, end.mainCpuMs);
      const threadsPerOp = (from, n) =>
        from.threads && end.threads && n > 0
          ? threadBreakdown(pid, from.threads, end.threads, n)
          : '';
      return {
        cpuMs,
        mainCpuMs,
        wallMs: end.at - t0,
        rssStart,
        rssPeak,
        rssEnd: rssOf(pid),
        rssMean: samples ? rssSum / samples : rssStart,
        perOpUs: (n) => perOp(cpuMs, n),
        mainPerOpUs: (n) => perOp(mainCpuMs, n),
        threadsPerOpUs: (n) => threadsPerOp(start, n),
        /** µs per operation from `mark` (see above) to the stop, `ops` being the count by then. */
        steadyFrom(mark, ops) {
          const n = mark ? ops - mark.ops : 0;
          if (!(n > 0) || mark.cpuMs === null || end.cpuMs === null) return null;
          return {
            ops: n,
            afterS: Math.round((mark.at - t0) / 100) / 10,
            cpuUs: perOp(end.cpuMs - mark.cpuMs, n),
            mainCpuUs: perOp(diff(mark.mainCpuMs, end.mainCpuMs), n),
            threadsUs: threadsPerOp(mark, n),
          };
        },
      };
    },
  };
}

/**
 * CPU that `pid` spends per second doing nothing asked of it (timers, sweeps, polls), measured
 * over `ms` of quiet; rows subtract it to give the CPU of the operations themselves, which at a
 * low rate would otherwise be dominated by that background.
 */
async function idleCpuMsPerSecond(pid, ms = 3000) {
  const m = measureProcess(pid);
  await new Promise((r) => setTimeout(r, ms));
  const s = m.stop();
  return (s.cpuMs * 1000) / s.wallMs;
}

/** µs of CPU per operation net of the idle background (`idlePerS` ms of CPU per second). */
function netPerOpUs(meter, n, idlePerS) {
  if (!(n > 0)) return NaN;
  return Math.max(0, Math.round(((meter.cpuMs - (idlePerS * meter.wallMs) / 1000) * 1000) / n));
}

const mib = (bytes) => (bytes / 1048576).toFixed(1);

/** Share of the offered rate a step must achieve (sipp offers only what the answers let it). */
const MIN_ACHIEVED = Number(process.env.BENCH_MIN_ACHIEVED || 0.9);

/**
 * A PBX row's ramp step from sipp's result `r` and the PBX's `meter` (stopped): it passes with no
 * failure, all `expected` operations done and (nearly) the offered `rate` achieved; CPU per
 * operation gross and net of the idle background `idlePerS`.
 */
function pbxStep(r, { rate, expected, meter, idlePerS, steady = null }) {
  const achieved = Math.round((r.successful / r.elapsedMs) * 1000);
  return {
    steady,
    ok: r.failed === 0 && r.successful === expected && achieved >= rate * MIN_ACHIEVED,
    achieved,
    successful: r.successful,
    failed: r.failed,
    cpuUs: meter.perOpUs(r.successful),
    mainCpuUs: meter.mainPerOpUs(r.successful),
    threadsUs: meter.threadsPerOpUs ? meter.threadsPerOpUs(r.successful) : '',
    netCpuUs: netPerOpUs(meter, r.successful, idlePerS),
    rssPeak: meter.rssPeak,
  };
}

/** The progress line of a PBX row's step (`label`: row, `per`: "call", "reg"). */
const logPbxStep = (label, per) => (s) =>
  process.stderr.write(
    `  ${label}: offered ${s.rate}/s → ${s.achieved}/s, ${s.successful} ok, ${s.failed} failed, ${s.cpuUs} µs CPU/${per} (net of idle ${s.netCpuUs}; main thread ${s.mainCpuUs}), RSS peak ${mib(s.rssPeak)} MiB\n${s.threadsUs ? `         µs per ${per} by thread: ${s.threadsUs}\n` : ''}${
      s.steady
        ? `         steady state (the last ${s.steady.ops} ${per}s of the step, after ${s.steady.afterS} s): ${s.steady.cpuUs} µs CPU/${per} (main thread ${s.steady.mainCpuUs})${s.steady.threadsUs ? `; by thread: ${s.steady.threadsUs}` : ''}\n`
        : ''
    }`,
  );

module.exports = {
  findMaxRate,
  rampOptions,
  measureProcess,
  idleCpuMsPerSecond,
  netPerOpUs,
  cpuMsOf,
  rssOf,
  mib,
  pbxStep,
  logPbxStep,
};
