'use strict';
// Issue 12 row: concurrent held calls hearing music on hold through the whole PBX (embedded SIP
// server, call control, embedded media server, SQLite) in a child process. Each call: a station
// calls another, holds it (re-INVITE a=inactive, so the holder sends nothing), and the held party
// is re-INVITEd by the PBX onto a media-server endpoint looping the generated hold tune (tone
// source `system`, the default). The figure is the media server's pacing towards the held
// parties: |Δ − 20 ms| between consecutive RTP packets of each music stream, at the 99th
// percentile, from kernel timestamps (tcpdump on lo, bench/lib/rtp-capture.js; the media server
// README's method and bound of 2 ms). Calls are added step by step.
// Run alone: `node bench/moh-bench.js` (after `npm run build`).
const os = require('node:os');
const capture = require('./lib/rtp-capture');
const { startPhoneBank } = require('./lib/mini-ua');
const { freePort } = require('./lib/sipp');
const {
  servePbx,
  forkPbx,
  ask,
  paceWindow,
  rampSteps,
  pcmuTone,
  benchEntry,
} = require('./lib/pbx-child');

const BOUND_MS = 2;
const MEASURE_MS = 4000;
const WARM_MS = 1500;
const STEPS = (process.env.MOH_BENCH_STEPS ?? '25,50,100,200,400')
  .split(',')
  .filter(Boolean)
  .map(Number);

// ---------------------------------------------------------------- child: the PBX
function pbxMain() {
  return servePbx({
    prefix: 'bench-moh-',
    // No recall during the measurement.
    env: { PBX_FEATURES_HOLD_RECALL_TIME: '0' },
    stateOf(pbx) {
      let hearing = 0;
      let connected = 0;
      for (const c of pbx.calls.env.registry.all()) {
        if (c.connection) connected++;
        for (const leg of [c.aLeg, c.bLeg]) if (leg?.waitingMedia) hearing++;
      }
      return { hearing, connected, channels: pbx.mediaServer.stats().channels };
    },
  });
}

// ---------------------------------------------------------------- parent
/** A 440 Hz PCMU tone (50 frames) every station sends while it talks. */
function tone() {
  const frames = pcmuTone(440);
  return () => frames;
}

/** Polls the PBX until `field` reaches `n` (bounded). */
async function waitState(child, field, n, withinMs) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const st = await ask(child, { type: 'state' }, 'state');
    if (st[field] >= n) return st;
    if (Date.now() > deadline)
      throw new Error(`${field}: ${st[field]} of ${n} (${st.channels} media channels)`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function run() {
  const tcpdump = capture.findTcpdump();
  if (!tcpdump) {
    return [
      {
        name: 'Concurrent held calls hearing music on hold (whole PBX)',
        value: 'skipped',
        note: 'needs tcpdump (Debian package) and root or CAP_NET_RAW for kernel timestamps',
      },
    ];
  }
  const sipPort = await freePort();
  const child = await forkPbx(__filename, sipPort);
  const bank = await startPhoneBank({ pbx: { host: '127.0.0.1', port: sipPort }, tone: tone() });
  const max = STEPS[STEPS.length - 1];
  const holders = [];
  const held = [];
  for (let i = 0; i < max; i++) {
    holders.push(String(5000 + i));
    held.push(String(6000 + i));
  }
  await ask(child, { type: 'stations', tels: [...holders, ...held], port: bank.port }, 'stations');
  for (const tel of [...holders, ...held]) await bank.station(tel);

  let built = 0;
  const { steps, best, measured } = await rampSteps({
    counts: STEPS,
    bank,
    child,
    reached: () => built,
    more: (r) => r.streams === r.n,
    step: async (n) => {
      const t0 = Date.now();
      while (built < n) {
        const c = await bank.call(holders[built], held[built]);
        if (c.status !== 200)
          throw new Error(`${holders[built]} calls ${held[built]}: ${c.status}`);
        // Hold once the PBX has the call connected (a phone holds seconds later, not at once).
        await waitState(child, 'connected', built + 1, 10_000);
        await bank.reinvite(c.dialog, 'inactive');
        built++;
      }
      const st = await waitState(child, 'hearing', n, 30_000);
      const buildMs = Date.now() - t0;
      await new Promise((r) => setTimeout(r, WARM_MS));
      const heldPorts = new Set(held.slice(0, n).map((tel) => bank.stations.get(tel).port));
      const control = new Set(bank.targetPorts());
      const w = await paceWindow(child, {
        tcpdump,
        name: 'moh-bench',
        ports: heldPorts,
        control,
        ms: MEASURE_MS,
        maxPackets: n * 2 * 50 * 10,
      });
      const g = w.target;
      const cpuPct = w.cpuPct;
      const r = {
        n,
        channels: st.channels,
        streams: g?.streams ?? 0,
        p99: g?.p99 ?? Infinity,
        max: g?.max ?? Infinity,
        cpuPct,
        rssMb: w.rssMb,
        buildMs,
        floorP99: w.control?.p99 ?? NaN,
        load: os.loadavg()[0],
      };
      r.ok = r.streams === n && r.p99 <= BOUND_MS;
      process.stderr.write(
        `  ${n} held calls (${r.streams}/${n} music streams, ${r.channels} media channels): p99 ±${r.p99.toFixed(2)} ms, max ${r.max.toFixed(2)} ms (plain Node sender meanwhile ±${r.floorP99.toFixed(2)} ms), PBX CPU ${cpuPct.toFixed(0)} %, RSS ${r.rssMb.toFixed(0)} MB, set up in ${buildMs} ms, load ${r.load.toFixed(2)}${r.ok ? ' ok' : ''}\n`,
      );
      return r;
    },
  });
  const rows = [
    {
      name: 'Concurrent held calls hearing music on hold through the whole PBX, every held party receiving every 20 ms ± 2 ms at p99',
      value: best ? best.n : 0,
      unit: 'held calls',
      note: [
        best
          ? `largest step within the bound: ${best.n}`
          : `no step within the bound on this machine now (plain Node sender's own p99 meanwhile: ${measured.map((r) => `±${r.floorP99.toFixed(1)}`).join(', ')} ms)`,
        ...steps.filter((s) => s.error).map((s) => `stopped after ${s.n}: ${s.error}`),
      ].join('; '),
    },
  ];
  for (const r of measured) {
    rows.push({
      name: `  ${r.n} held calls: p99 |Δ − 20 ms| of the music packets`,
      value: r.p99.toFixed(2),
      unit: 'ms',
      note: `kernel timestamps; max ${r.max.toFixed(1)} ms; plain Node sender at the same time ±${r.floorP99.toFixed(2)} ms; PBX CPU ${r.cpuPct.toFixed(0)} %, RSS ${r.rssMb.toFixed(0)} MB; ${r.streams}/${r.n} streams; set up in ${(r.buildMs / 1000).toFixed(1)} s; load ${r.load.toFixed(1)}`,
    });
  }
  return rows;
}

benchEntry(module, { pbxMain, run });

module.exports = { run };
