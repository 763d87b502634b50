'use strict';
// The whole PBX in a child process for the media benches (conferences, music on hold): the
// child starts it on a temporary database and answers the parent's messages; the parent forks it
// and asks. One copy of the protocol, so both benches measure the same PBX the same way.
const { fork, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/**
 * The whole PBX for a bench, in this process: SQLite in `dir`, SIP on 127.0.0.1:`sipPort`, the
 * embedded drachtio and media servers on free ports, logs silent unless BENCH_LOG_LEVEL.
 */
async function startBenchPbx({ dir, sipPort, env = {} }) {
  const { startPbx } = require('../../apps/pbx/dist');
  const pino = require('pino');
  return startPbx({
    env: {
      PBX_DB: path.join(dir, 'pbx.sqlite'),
      PBX_SIP_HOST: '127.0.0.1',
      PBX_SIP_PORT: String(sipPort),
      PBX_CONTROL_PORT: '0',
      PBX_MEDIA_SIP_PORT: '0',
      PBX_MEDIA_ESL_PORT: '0',
      PBX_HTTP_PORT: '0',
      PBX_LICENSE_MAX_STATIONS: '5000',
      // Where the embedded SIP server runs (worker | main) for an A/B; the PBX's default otherwise.
      ...(process.env.PBX_SIP_THREAD ? { PBX_SIP_THREAD: process.env.PBX_SIP_THREAD } : {}),
      ...env,
    },
    logger: pino({ level: process.env.BENCH_LOG_LEVEL || 'silent' }),
  });
}

/**
 * Child side: starts the PBX (embedded SIP and media servers, SQLite in a temporary folder) and
 * serves `stations` (create, and bind at the phone bank's port unless `bind: false`), `state`
 * (`stateOf(pbx)`), `mem` (RSS and heap after a full GC, with the live calls and the SIP
 * server's dialogs and transactions), `cpu` and `exit`. `env` is added to the PBX's environment, `station` to every station created.
 */
async function servePbx({ prefix, env = {}, station = {}, stateOf, prepare }) {
  // This child is a PBX process: it reads its environment once, as main.ts (`npm start`) does.
  const { snapshotProcessEnv } = require('../../apps/pbx/dist');
  snapshotProcessEnv();
  if (process.argv[2] === 'pbx-prepare') {
    await prepare(process.argv[3]);
    process.exit(0);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // The database is prepared by a process of its own, so the PBX starts on it as it would after
  // a restart: what writing thousands of rows leaves in this process's malloc arenas (25–40 MiB
  // that glibc keeps) is not counted as the PBX's.
  if (prepare) {
    const db = path.join(dir, 'pbx.sqlite');
    const r = spawnSync(process.execPath, [process.argv[1], 'pbx-prepare', db], {
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error(`preparing ${db} failed (exit ${r.status})`);
  }
  const pbx = await startBenchPbx({ dir, sipPort: Number(process.env.BENCH_SIP_PORT), env });
  await pbx.media.waitUntilAvailable(10_000);
  const realm = pbx.ctx.config.sip.domain;
  process.on('message', async (m) => {
    if (m.type === 'stations') {
      for (const tel of m.tels) {
        await pbx.ctx.store.stations.create(
          { tel, password: `bench!${tel}`, useWhitelist: false, ...station },
          { realm },
        );
        if (m.bind === false) continue;
        await pbx.registrar.registrar.addBinding({
          tel,
          contact: `sip:${tel}@127.0.0.1:${m.port}`,
          sourceIp: '127.0.0.1',
          sourcePort: m.port,
          protocol: 'udp',
          expiresAt: Date.now() + 3600_000,
          callId: `bench-${tel}`,
          userAgent: 'bench',
        });
      }
      await pbx.calls.stations.load();
      process.send({ type: 'stations' });
    } else if (m.type === 'state') {
      process.send({ type: 'state', ...(await stateOf(pbx)) });
    } else if (m.type === 'mem') {
      // After two full collections, so the figure is what is held, not what awaits collection.
      if (global.gc) {
        global.gc();
        global.gc();
      }
      const u = process.memoryUsage();
      // What the heap holds it for: the SIP server's dialogs and transactions, the live calls.
      // In `worker` mode the SIP server's heap is its thread's own: added, so `heap` is the PBX's.
      const sip = pbx.sipServer ? await pbx.sipServer.stats({ gc: true }) : undefined;
      const workerHeap = sip?.workerHeapUsed ?? 0;
      process.send({
        type: 'mem',
        rss: u.rss,
        heap: u.heapUsed + workerHeap,
        mainHeap: u.heapUsed,
        workerHeap,
        calls: pbx.calls.env.registry.size,
        ...(sip
          ? {
              dialogs: sip.dialogs,
              transactions:
                sip.serverTransactions + sip.completedTransactions + sip.clientTransactions,
              transactionKinds: `server ${sip.serverTransactions}, answers ${sip.completedTransactions}, client ${sip.clientTransactions}`,
            }
          : {}),
      });
    } else if (m.type === 'profile-start') {
      await profiler.start();
      process.send({ type: 'profile-start' });
    } else if (m.type === 'profile-stop') {
      process.send({ type: 'profile-stop', file: await profiler.stop(m.file) });
    } else if (m.type === 'cpu') {
      process.send({ type: 'cpu', usage: process.cpuUsage(), mem: process.memoryUsage().rss });
    } else if (m.type === 'exit') {
      await pbx.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  });
  process.send({ type: 'ready' });
}

/**
 * The V8 CPU profiler of this process, started and stopped on request, so a profile covers only
 * a bench's load window (not start-up or setting up stations). `stop(file)` writes a
 * .cpuprofile that `node bench/lib/profile-top.js` summarises.
 */
const profiler = {
  session: null,
  post: null,
  async start() {
    const inspector = require('node:inspector');
    const session = new inspector.Session();
    session.connect();
    this.session = session;
    this.post = (method, params) =>
      new Promise((resolve, reject) =>
        session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
      );
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: 500 });
    await this.post('Profiler.start');
    if (process.env.BENCH_HEAP_PROFILE) {
      // Every allocation sampled, kept or collected: where the garbage collector's work comes from.
      await this.post('HeapProfiler.enable');
      await this.post('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        // BENCH_HEAP_PROFILE=promoted: only what outlived the scavenges (the garbage that fills the
        // old generation); =live: only what is still in the heap when the window ends.
        includeObjectsCollectedByMajorGC: process.env.BENCH_HEAP_PROFILE !== 'live',
        includeObjectsCollectedByMinorGC: !['live', 'promoted'].includes(
          process.env.BENCH_HEAP_PROFILE,
        ),
      });
    }
  },
  async stop(file) {
    if (!this.session) return null;
    const { profile } = await this.post('Profiler.stop');
    if (process.env.BENCH_HEAP_PROFILE) {
      const heap = await this.post('HeapProfiler.stopSampling');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file.replace(/\.cpuprofile$/, '.heapprofile'), JSON.stringify(heap.profile));
    }
    this.session.disconnect();
    this.session = null;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(profile));
    return file;
  },
};

/**
 * Parent side: when BENCH_PROFILE_DIR is set, runs `fn` with the child's CPU profiler on and
 * writes `<BENCH_PROFILE_DIR>/<name>.cpuprofile`; otherwise just runs `fn`.
 */
async function profiled(child, name, fn) {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return fn();
  await ask(child, { type: 'profile-start' }, 'profile-start');
  try {
    return await fn();
  } finally {
    const { file } = await ask(
      child,
      { type: 'profile-stop', file: path.resolve(dir, `${name}.cpuprofile`) },
      'profile-stop',
    );
    process.stderr.write(`  profile: ${file}\n`);
  }
}

/**
 * Parent side: forks `file` as the PBX child on `sipPort`; resolves once it is ready. The child
 * runs with --expose-gc (for the `mem` message) plus BENCH_PBX_NODE_ARGS, space-separated (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the PBX alone under a bench's load).
 */
async function forkPbx(file, sipPort) {
  const extra = (process.env.BENCH_PBX_NODE_ARGS || '').split(' ').filter(Boolean);
  const child = fork(file, ['pbx-child'], {
    // The malloc arenas and the V8 flag `npm start` and the Dockerfile give the PBX, so the bench
    // measures what ships (MALLOC_ARENA_MAX and BENCH_PBX_NODE_ARGS, which come after the flag,
    // override them).
    env: {
      MALLOC_ARENA_MAX: '2',
      ...process.env,
      BENCH_SIP_PORT: String(sipPort),
    },
    execArgv: ['--expose-gc', '--max-semi-space-size=8', ...extra],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((resolve) => child.on('message', (m) => m.type === 'ready' && resolve()));
  return child;
}

/** Sends `msg` to the child and resolves with its next message of `type`. */
function ask(child, msg, type) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.send(msg);
  });
}

/** 50 PCMU frames (1 s) of a `hz` sine, which the phone bank loops. */
/**
 * One measurement window over a PBX child: captures (kernel timestamps, tcpdump on lo) the RTP
 * sent to `ports` and, as the machine's noise floor meanwhile, to `control` (the phone bank's own
 * 20 ms sender), for `ms`, while reading the child's CPU. Returns each group's pacing
 * (bench/lib/rtp-capture.js analyse), the child's CPU % over the window and its RSS at the end.
 */
async function paceWindow(child, { tcpdump, name, ports, control, ms, maxPackets, keep = false }) {
  const capture = require('./rtp-capture');
  const file = path.join(os.tmpdir(), `${name}-${process.pid}.pcap`);
  const cap = await capture.startCapture({
    bin: tcpdump,
    file,
    dstPorts: [...ports, ...control],
    maxPackets,
    maxMs: ms * 3,
  });
  const cpu0 = (await ask(child, { type: 'cpu' }, 'cpu')).usage;
  await new Promise((r) => setTimeout(r, ms));
  const end = await ask(child, { type: 'cpu' }, 'cpu');
  const done = await cap.stop();
  const groups = capture.analyse(done.file, (port) =>
    ports.has(port) ? 'target' : control.has(port) ? 'control' : undefined,
  );
  if (keep) process.stderr.write(`  capture kept: ${done.file}\n`);
  else fs.rmSync(done.file, { force: true });
  const cpuUs = end.usage.user - cpu0.user + end.usage.system - cpu0.system;
  return {
    target: groups.target,
    control: groups.control,
    cpuPct: (cpuUs / 1000 / ms) * 100,
    rssMb: end.mem / 1e6,
    dropped: done.dropped,
  };
}

/**
 * A bench ramp: `step(n)` for each count in `counts`, every result kept, until `more(result)`
 * says no or a step throws (then `{ n: reached(), error }` is kept and the ramp stops). Closes
 * the phone bank and the PBX child whatever happens. Returns every step, the largest one marked
 * ok, and those that were measured (no error).
 */
async function rampSteps({ counts, step, more, reached, bank, child }) {
  const steps = [];
  try {
    for (const n of counts) {
      const r = await step(n);
      steps.push(r);
      if (!more(r)) break;
    }
  } catch (err) {
    process.stderr.write(`  stopped: ${err.message}\n`);
    steps.push({ n: reached(), error: err.message, ok: false });
  } finally {
    bank.close();
    child.send({ type: 'exit' });
    await new Promise((r) => child.once('exit', r));
  }
  const good = steps.filter((s) => s.ok);
  return { steps, best: good[good.length - 1], measured: steps.filter((s) => !s.error) };
}

function pcmuTone(hz) {
  const { mulaw } = require('alawmulaw');
  const pcm = new Int16Array(160 * 50);
  for (let k = 0; k < pcm.length; k++)
    pcm[k] = Math.round(3000 * Math.sin((2 * Math.PI * hz * k) / 8000));
  return Buffer.from(mulaw.encode(pcm));
}

/**
 * The entry point of a bench file that forks itself: as `<file> pbx-child` it runs the PBX side
 * (`pbxMain`), run directly it prints `run()`'s rows as JSON; required by bench/run.js, nothing.
 */
function benchEntry(mod, { pbxMain, run }) {
  const fail = (err) => {
    console.error(err);
    process.exit(1);
  };
  if (process.argv[2] === 'pbx-child' || process.argv[2] === 'pbx-prepare') {
    pbxMain().catch(fail);
  } else if (require.main === mod) {
    run().then((rows) => {
      console.log(JSON.stringify(rows, null, 2));
      process.exit(0);
    }, fail);
  }
}

module.exports = {
  startBenchPbx,
  servePbx,
  forkPbx,
  ask,
  paceWindow,
  rampSteps,
  profiled,
  pcmuTone,
  benchEntry,
};
