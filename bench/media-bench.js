'use strict';
// Media engine rows (packages/media-server, built code in dist/), all on 127.0.0.1:
//  - conference members (conferences of 5, every member sending audio) while every member still
//    receives a packet every 20 ms ± 2 ms at the 99th percentile: ramped until the bound breaks;
//  - channels playing a WAV file with the same bound;
//  - CPU per channel (µs per 20 ms frame) and memory per channel; mixer maths alone.
// Inter-arrival is taken from kernel timestamps: tcpdump captures the engine's outgoing RTP on `lo`
// (bench/lib/rtp-capture.js), so the figure is when the engine's sendmsg ran, not when a busy
// user-space receiver got round to reading. Without tcpdump the bench says so and falls back to
// the user-space receiver's clock. The receiver child (the packets' sink) still timestamps every
// packet too: its figure is printed beside the kernel's for comparison. A second child sends the
// members' audio and the plain control streams. Run alone: `node bench/media-bench.js`.
const { fork } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const capture = require('./lib/rtp-capture');

const BOUND_MS = 2;
const BASELINE_STREAMS = 40;
const WARM_MS = 1500;
const MEASURE_MS = 4000;
// Optional narrowing for experiments: MEDIA_BENCH_CONF=50,200 MEDIA_BENCH_PLAY=500 (counts; an
// empty value skips that ramp). Unset: the full ramps.
const counts = (name, full) => {
  const v = process.env[name];
  if (v === undefined) return full;
  return v.split(',').filter(Boolean).map(Number);
};

// ---------------------------------------------------------------- child: receiver
/** Stops libuv reading a bound dgram socket (Node has no public call for it); false if unable. */
function stopReading(socket) {
  const sym = Object.getOwnPropertySymbols(socket).find((k) => k.description === 'state symbol');
  const handle = sym && socket[sym] && socket[sym].handle;
  if (!handle || typeof handle.recvStop !== 'function') return false;
  return handle.recvStop() === 0;
}

function receiverMain() {
  const sockets = [];
  let last = new Map();
  let hist = new Uint32Array(4001); // |Δ - 20 ms| in 0.05 ms bins, last bin = ≥ 200 ms
  let floorHist = new Uint32Array(4001); // the same for the plain sender's baseline streams
  let packets = 0;
  let measuring = false;
  let lastFloor = new Map();
  const onMessage = (buf, baseline) => {
    const t = Number(process.hrtime.bigint()) / 1e6;
    if (!measuring || buf.length < 12) return;
    packets++;
    const ssrc = buf.readUInt32BE(8);
    const seen = baseline ? lastFloor : last;
    const prev = seen.get(ssrc);
    seen.set(ssrc, t);
    if (prev === undefined) return;
    const dev = Math.abs(t - prev - 20);
    const h = baseline ? floorHist : hist;
    h[Math.min(h.length - 1, Math.floor(dev / 0.05))]++;
  };
  process.on('message', async (m) => {
    if (m.type === 'open') {
      let unread = 0;
      for (let i = 0; i < m.count + m.baseline; i++) {
        const baseline = i >= m.count;
        // With kernel timestamps the engine's packets need only a bound socket to land on: one
        // that is never read costs no receiver CPU (the kernel drops what overflows its buffer).
        const sink = !baseline && !m.readEngine;
        const s = dgram.createSocket({
          type: 'udp4',
          recvBufferSize: sink ? 4096 : 8 * 1024 * 1024,
        });
        s.on('message', (buf) => onMessage(buf, baseline));
        await new Promise((r) => s.bind(0, '127.0.0.1', r));
        if (sink && stopReading(s)) unread++;
        sockets.push(s);
      }
      process.send({ type: 'ports', ports: sockets.map((s) => s.address().port), unread });
    } else if (m.type === 'start') {
      last = new Map();
      lastFloor = new Map();
      hist = new Uint32Array(hist.length);
      floorHist = new Uint32Array(hist.length);
      packets = 0;
      measuring = true;
      process.send({ type: 'started' });
    } else if (m.type === 'stop') {
      measuring = false;
      const quantile = (h, p) => {
        const total = h.reduce((a, b) => a + b, 0);
        let acc = 0;
        for (let i = 0; i < h.length; i++) {
          acc += h[i];
          if (acc >= p * total) return i * 0.05;
        }
        return Infinity;
      };
      const q = (p) => quantile(hist, p);
      const streams = last.size;
      process.send({
        type: 'result',
        streams,
        packets,
        p50: q(0.5),
        p99: q(0.99),
        p999: q(0.999),
        floorP99: quantile(floorHist, 0.99),
        floorP50: quantile(floorHist, 0.5),
      });
    } else if (m.type === 'exit') {
      for (const s of sockets) s.close();
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------- child: sender
function senderMain() {
  const { mulaw } = require('alawmulaw');
  const sock = dgram.createSocket({ type: 'udp4', sendBufferSize: 8 * 1024 * 1024 });
  let targets = [];
  let baseline = [];
  let timer;
  process.on('message', (m) => {
    if (m.type === 'baseline') {
      baseline = m.ports;
      process.send({ type: 'baseline' });
    } else if (m.type === 'targets') {
      // Each member talks: its own tone, so the mixer has real work (no silent-input shortcut).
      // The baseline streams go straight to the receiver: this machine's timing noise, measured
      // at the same moment and under the same load as the engine's streams.
      const ports = [...m.ports, ...baseline];
      targets = ports.map((port, i) => {
        const f = 300 + (i % 7) * 150;
        const pcm = new Int16Array(160 * 50);
        for (let k = 0; k < pcm.length; k++)
          pcm[k] = Math.round(4000 * Math.sin((2 * Math.PI * f * k) / 8000));
        return {
          port,
          ssrc: (0x10000000 + i) >>> 0,
          seq: 0,
          ts: 0,
          audio: mulaw.encode(pcm),
          frame: 0,
        };
      });
      if (timer) clearTimeout(timer);
      const start = Number(process.hrtime.bigint()) / 1e6;
      let slot = 0;
      // Four slots per 20 ms, a quarter of the members in each, like independent phones.
      const tick = () => {
        const now = Number(process.hrtime.bigint()) / 1e6;
        const due = Math.floor((now - start) / 5);
        while (slot <= due) {
          for (let i = slot % 4; i < targets.length; i += 4) {
            const t = targets[i];
            const buf = Buffer.allocUnsafe(172);
            buf[0] = 0x80;
            buf[1] = 0;
            buf.writeUInt16BE(t.seq, 2);
            buf.writeUInt32BE(t.ts >>> 0, 4);
            buf.writeUInt32BE(t.ssrc, 8);
            buf.set(t.audio.subarray((t.frame % 50) * 160, (t.frame % 50) * 160 + 160), 12);
            t.seq = (t.seq + 1) & 0xffff;
            t.ts = (t.ts + 160) >>> 0;
            t.frame++;
            sock.send(buf, t.port, '127.0.0.1');
          }
          slot++;
        }
        timer = setTimeout(
          tick,
          Math.max(0, start + slot * 5 - Number(process.hrtime.bigint()) / 1e6 - 1),
        );
      };
      tick();
      process.send({ type: 'sending' });
    } else if (m.type === 'exit') {
      if (timer) clearTimeout(timer);
      sock.close();
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------- bench process
function child(role) {
  const c = fork(__filename, [role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = [];
  c.on('message', (m) => {
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
  });
  return {
    proc: c,
    ask(msg, replyType) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${role}: no ${replyType}`)), 30000);
        waiters.push({
          type: replyType,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        c.send(msg);
      });
    },
    stop() {
      c.send({ type: 'exit' });
      return new Promise((r) => c.once('exit', r));
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The ticker's counters, from this thread's engine or from the media worker's. */
async function tickStats(media) {
  if (media.engine.threadStats) return media.engine.threadStats();
  return {
    lateTicks: media.engine.stats().lateTicks,
    frames: media.engine.ticker.frames,
    gc: media.gcPauses.take(),
  };
}

/** JS heap + external after GC: of the media worker's heap when the engine runs there. */
async function gcMemory(media) {
  if (global.gc) {
    global.gc();
    global.gc();
  }
  const m = process.memoryUsage();
  if (media.engine.threadStats) {
    const t = await media.engine.threadStats({ gc: true });
    return { js: t.heapUsed + t.external, rss: m.rss };
  }
  return { js: m.heapUsed + m.external, rss: m.rss };
}

/**
 * MEDIA_BENCH_CONTROL=<n>: a stand-in for the control plane sharing the process (ESL, SIP, the
 * PBX in `npm start`): every 2 ms it builds n event-like objects (header lists, strings), keeps
 * the last 40,000 alive for a while (state a PBX holds, which scavenges must copy and promote)
 * and serialises a few. Its garbage collections are what the media worker is there to avoid.
 */
function startControlLoad(n) {
  if (!(n > 0)) return () => undefined;
  const keep = new Array(40000);
  let k = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < n; i++) {
      const ev = {
        name: 'CHANNEL_EXECUTE',
        uuid: `${k}-${Math.random().toString(36).slice(2)}`,
        headers: [
          ['Event-Name', 'CHANNEL_EXECUTE'],
          ['Unique-ID', String(k)],
          ['variable_sip_call_id', `call-${k}@127.0.0.1`],
        ],
      };
      keep[k++ % keep.length] = ev;
      if (i % 16 === 0) JSON.parse(JSON.stringify(ev));
    }
  }, 2);
  return () => clearInterval(timer);
}

/**
 * Control without the engine: the sender child (a plain `setTimeout` loop, four 5 ms slots per
 * frame like independent phones) sends n streams to the engine's sink ports; the same kernel
 * capture measures them. What Node and this OS allow for that packet rate at that moment.
 */
async function plainStep(media, sender, n) {
  const ports = Array.from({ length: n }, (_, i) => media.recvPorts[i % media.recvPorts.length]);
  await sender.ask({ type: 'targets', ports }, 'sending');
  await sleep(WARM_MS);
  const cap = await capture.startCapture({
    bin: media.tcpdump,
    file: path.join(media.dir, `plain-${n}.pcap`),
    dstPorts: media.recvPorts,
    maxPackets: Math.ceil((n + BASELINE_STREAMS) * 50 * (MEASURE_MS / 1000 + 5)),
    maxMs: MEASURE_MS + 20000,
  });
  await sleep(MEASURE_MS);
  const done = await cap.stop();
  await sender.ask({ type: 'targets', ports: [] }, 'sending');
  const recv = new Set(media.recvPorts);
  const g = capture.analyse(done.file, (port) => (recv.has(port) ? 'plain' : undefined));
  fs.rmSync(done.file, { force: true });
  const p = g.plain ?? { streams: 0, p50: Infinity, p99: Infinity, p999: Infinity, max: Infinity };
  return { n, ...p, dropped: done.dropped };
}

/**
 * Opens n sessions sending to the receiver, sets them up with `arrange`, measures, closes.
 * With tcpdump, `k*` fields are the kernel-timestamped figures (engine streams and plain control
 * streams) and decide `ok`; `p99`/`floorP99` are the user-space receiver's.
 */
async function step(media, receiver, sender, withInput, n, arrange) {
  const { PCMU } = media.mod;
  const sessions = [];
  for (let i = 0; i < n; i++) {
    const s = await media.engine.openSession();
    s.setRemote({
      address: '127.0.0.1',
      port: media.recvPorts[i % media.recvPorts.length],
      codec: PCMU,
      direction: 'sendrecv',
      symmetric: false,
    });
    sessions.push(s);
  }
  const teardown = await arrange(sessions);
  await sender.ask(
    { type: 'targets', ports: withInput ? sessions.map((s) => s.localPort) : [] },
    'sending',
  );
  await sleep(WARM_MS);
  let cap;
  if (media.tcpdump) {
    cap = await capture
      .startCapture({
        bin: media.tcpdump,
        file: path.join(media.dir, `step-${n}.pcap`),
        dstPorts: [...media.recvPorts, ...media.floorPorts],
        maxPackets: Math.ceil((n + BASELINE_STREAMS) * 50 * (MEASURE_MS / 1000 + 5)),
        maxMs: MEASURE_MS + 20000,
      })
      .catch((err) => {
        process.stderr.write(
          `bench media: ${err.message}; falling back to the user-space receiver clock\n`,
        );
        media.tcpdump = undefined;
        return undefined;
      });
  }
  await receiver.ask({ type: 'start' }, 'started');
  const t0stats = await tickStats(media);
  const late0 = t0stats.lateTicks;
  const frames0 = t0stats.frames;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(MEASURE_MS);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const r = await receiver.ask({ type: 'stop' }, 'result');
  let k;
  if (cap) {
    const done = await cap.stop();
    const recv = new Set(media.recvPorts);
    const floor = new Set(media.floorPorts);
    const g = capture.analyse(done.file, (port) =>
      recv.has(port) ? 'engine' : floor.has(port) ? 'plain' : undefined,
    );
    fs.rmSync(done.file, { force: true });
    const none = { streams: 0, p50: Infinity, p99: Infinity, p999: Infinity, max: Infinity };
    k = { engine: g.engine ?? none, plain: g.plain ?? none, dropped: done.dropped };
  }
  const t1stats = await tickStats(media);
  const lateTicks = t1stats.lateTicks - late0;
  // GC pauses of the thread that sends (the worker's, or this one's), during the measurement.
  const gc = t1stats.gc;
  const framesRun = t1stats.frames - frames0;
  await sender.ask({ type: 'targets', ports: [] }, 'sending');
  teardown();
  for (const s of sessions) s.close();
  await Promise.all(sessions.map((s) => s.released));
  // Frames the ticker really ran (skipped ones cost nothing), times the channels.
  const frames = Math.max(1, framesRun) * n;
  const kernel = k
    ? {
        kp50: k.engine.p50,
        kp99: k.engine.p99,
        kp999: k.engine.p999,
        kmax: k.engine.max,
        kstreams: k.engine.streams,
        kfloorP99: k.plain.p99,
        kfloorMax: k.plain.max,
        kdropped: k.dropped,
      }
    : undefined;
  // The bound is judged on the kernel's timestamps when there are any, else on the receiver's.
  const judged = kernel ? { p99: kernel.kp99, streams: kernel.kstreams } : r;
  return {
    n,
    ...r,
    ...kernel,
    kernel: !!kernel,
    bp99: judged.p99,
    bfloorP99: kernel ? kernel.kfloorP99 : r.floorP99,
    lateTicks,
    gc,
    framesRun,
    // Bytes the engine's thread allocated on its JS heap per channel per frame run: what its
    // scavenges have to clear, and a figure the machine's load does not change.
    allocPerFrame: gc.allocatedBytes / frames,
    ok:
      judged.p99 <= BOUND_MS &&
      judged.streams >= n * 0.99 &&
      lateTicks === 0 &&
      (!kernel || kernel.kdropped === 0),
    cpuUsPerFrame: (cpu.user + cpu.system) / frames,
    cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
  };
}

/**
 * Ramps up the count. `best` = largest step within ±2 ms at p99 (absolute). On a loaded machine
 * even a plain Node sender misses that bound, so the ramp goes on while every stream arrives and
 * the engine uses < 85 % of a core, to show how timing and CPU scale.
 */
async function ramp(counts, fn, log) {
  let best;
  const steps = [];
  for (const n of counts) {
    const r = await fn(n);
    steps.push(r);
    const user =
      r.streams > 0
        ? `user-space receiver p99 ±${r.p99.toFixed(2)} ms (p50 ${r.p50.toFixed(2)}; plain sender p99 ±${r.floorP99.toFixed(2)}), ${r.streams}/${n} streams`
        : `user-space receiver: plain sender p99 ±${r.floorP99.toFixed(2)} (engine streams not read)`;
    const kern = r.kernel
      ? `kernel p99 ±${r.kp99.toFixed(2)} ms (p50 ${r.kp50.toFixed(2)}, p99.9 ${r.kp999.toFixed(2)}, max ${r.kmax.toFixed(2)}; plain sender p99 ±${r.kfloorP99.toFixed(2)}, max ${r.kfloorMax.toFixed(2)}), ${r.kstreams}/${n} streams, capture drops ${r.kdropped}; `
      : '';
    log(
      `  ${n}: ${kern}${user}, lateTicks ${r.lateTicks}, engine-thread GC ${r.gc.scavenges} scavenges (one per ${(r.framesRun / Math.max(1, r.gc.scavenges)).toFixed(0)} frames) + ${r.gc.others} other, max ${r.gc.maxMs.toFixed(1)} ms, total ${r.gc.totalMs.toFixed(0)} ms, allocated ${r.allocPerFrame.toFixed(0)} B/channel/frame, CPU ${r.cpuPct.toFixed(0)} %, ${r.cpuUsPerFrame.toFixed(1)} µs/frame, load ${os.loadavg()[0].toFixed(2)}${r.ok ? ' ok' : ''}`,
    );
    if (r.ok) best = r;
    if ((r.kernel ? r.kstreams : r.streams) < n * 0.99 || r.cpuPct > 85) break;
  }
  return { best, steps };
}

function rampRows(what, unit, targetCount, res) {
  const { best, steps } = res;
  const at = (r) =>
    r.kernel
      ? `kernel-timestamped p99 ±${r.kp99.toFixed(2)} ms, max ${r.kmax.toFixed(2)} (plain Node sender at the same time ±${r.kfloorP99.toFixed(2)} ms${r.streams > 0 ? `; user-space receiver's clock ±${r.p99.toFixed(2)} ms` : ''}), CPU ${r.cpuPct.toFixed(0)} %, lateTicks ${r.lateTicks}, engine-thread GC max ${r.gc.maxMs.toFixed(1)} ms`
      : `user-space receiver p99 ±${r.p99.toFixed(2)} ms (plain Node sender at the same time ±${r.floorP99.toFixed(2)} ms), CPU ${r.cpuPct.toFixed(0)} %, lateTicks ${r.lateTicks}`;
  // The largest step that ran every frame: CPU per frame there is not diluted by skipped frames.
  const clean = steps.filter((r) => r.lateTicks === 0);
  const last = clean[clean.length - 1] ?? steps[0];
  const atTarget = steps.find((r) => r.n === targetCount);
  const perCore = last ? Math.round(last.n / (last.cpuPct / 100)) : 0;
  const rows = [
    {
      name: `${what}, each receiving every 20 ms ± 2 ms at p99`,
      value: best ? best.n : 0,
      unit,
      target: `≥ ${targetCount}`,
      ok: !!best && best.n >= targetCount,
      note: best
        ? `at ${best.n}: ${at(best)}`
        : `no step within ±2 ms; first step ${steps[0] ? `${steps[0].n}: ${at(steps[0])}` : 'none'}`,
    },
  ];
  if (atTarget)
    rows.push({
      name: `${what}: p99 |Δ − 20 ms| at ${targetCount}`,
      value: atTarget.bp99.toFixed(2),
      unit: 'ms',
      target: '≤ 2',
      ok: atTarget.ok,
      note: at(atTarget),
    });
  if (last)
    rows.push({
      name: `${what}: CPU-bound estimate (count / CPU share, largest step without skipped frames)`,
      value: perCore,
      unit: `${unit}/core`,
      note: `largest step ${last.n}: ${at(last)}`,
    });
  return rows;
}

/**
 * Memory per channel: n sessions set up as `arrange` does, running for a second; JS heap +
 * external held (after GC) minus what is left once they are closed; RSS growth while open.
 */
async function memoryPer(media, n, arrange) {
  const before = await gcMemory(media);
  const sessions = [];
  for (let i = 0; i < n; i++) {
    const s = await media.engine.openSession();
    s.setRemote({
      address: '127.0.0.1',
      port: media.recvPorts[i % media.recvPorts.length],
      codec: media.mod.PCMU,
      direction: 'sendrecv',
      symmetric: false,
    });
    sessions.push(s);
  }
  const teardown = await arrange(sessions);
  await sleep(1000);
  const after = await gcMemory(media);
  teardown();
  for (const s of sessions) s.close();
  await Promise.all(sessions.map((s) => s.released));
  sessions.length = 0;
  await sleep(200);
  // What closing frees is what the channels held: robust against garbage left by earlier steps.
  const freed = await gcMemory(media);
  return { js: (after.js - freed.js) / n, rss: (after.rss - before.rss) / n };
}

/**
 * Before/after at the same moments: `rounds` rounds, each 200 conference members then 500 playing
 * channels on the main-thread engine, then the same on the worker engine. One row per mode and
 * kind with every round's kernel p99, the plain sender's p99 at the same time and the GC pauses of
 * the engine's thread.
 */
async function abCompare(media, receiver, sender, engines, rounds, conference, playFile, log) {
  const kinds = [
    {
      key: 'conf',
      n: 200,
      what: 'conference members (conferences of 5)',
      input: true,
      arrange: conference,
    },
    { key: 'play', n: 500, what: 'channels playing a file', input: false, arrange: playFile },
  ];
  const modes = ['main', 'worker'];
  const res = {};
  const own = media.engine;
  log(
    `bench media: A/B, ${rounds} alternating rounds, engine on the main thread vs the media worker`,
  );
  for (let k = 0; k < rounds; k++) {
    for (const mode of modes) {
      media.engine = engines[mode];
      for (const kind of kinds) {
        const r = await step(media, receiver, sender, kind.input, kind.n, kind.arrange);
        (res[`${mode}.${kind.key}`] ??= []).push({ ...r, load: os.loadavg()[0] });
        log(
          `  round ${k + 1}, ${mode === 'main' ? 'main thread' : 'media worker'}, ${kind.n} ${kind.key === 'conf' ? 'members' : 'playing'}: kernel p99 ±${r.bp99.toFixed(2)} ms (max ${(r.kmax ?? NaN).toFixed(2)}; plain sender ±${r.bfloorP99.toFixed(2)}), lateTicks ${r.lateTicks}, engine-thread GC ${r.gc.scavenges}+${r.gc.others}, max ${r.gc.maxMs.toFixed(1)} ms, allocated ${r.allocPerFrame.toFixed(0)} B/channel/frame, CPU ${r.cpuPct.toFixed(0)} %, load ${os.loadavg()[0].toFixed(2)}${r.ok ? ' ok' : ''}`,
        );
      }
    }
  }
  media.engine = own;
  const rows = [];
  for (const kind of kinds) {
    for (const mode of modes) {
      const rs = res[`${mode}.${kind.key}`];
      const list = (f) => rs.map(f).join(' / ');
      rows.push({
        name: `A/B: ${kind.n} ${kind.what}, engine on the ${mode === 'main' ? 'main thread' : 'media worker thread'}, p99 |Δ − 20 ms| per round`,
        value: list((r) => r.bp99.toFixed(2)),
        unit: 'ms',
        target: '≤ 2',
        ok: rs.every((r) => r.ok),
        note: `within ±2 ms in ${rs.filter((r) => r.ok).length} of ${rs.length}; plain sender at the same time ${list((r) => r.bfloorP99.toFixed(2))} ms; engine-thread GC max ${list((r) => r.gc.maxMs.toFixed(1))} ms; load ${list((r) => r.load.toFixed(2))}`,
      });
    }
  }
  return rows;
}

function toneWav(dir) {
  const file = path.join(dir, 'prompt.wav');
  const n = 8000 * 3;
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVE', 8);
  buf.write('fmt ', 12);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(8000, 24);
  buf.writeUInt32LE(16000, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    buf.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), 44 + i * 2);
  fs.writeFileSync(file, buf);
  return file;
}

function mixerMath(mod) {
  const { accumulate, mixMinusOwn } = mod;
  const members = Array.from({ length: 5 }, (_, m) =>
    Int16Array.from({ length: 160 }, (_, i) => Math.round(3000 * Math.sin((i * (m + 1)) / 10))),
  );
  const acc = new Int32Array(160);
  const out = new Int16Array(160);
  const rounds = 200000;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    acc.fill(0);
    for (const f of members) accumulate(acc, f);
    for (const f of members) mixMinusOwn(acc, f, null, out);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return ns / 1000 / (rounds * members.length);
}

async function run() {
  const log = (s) => process.stderr.write(`${s}\n`);
  const mod = require('../packages/media-server/dist/media');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-media-'));
  const tcpdump = capture.findTcpdump();
  if (!tcpdump)
    log(
      'bench media: tcpdump not found (Debian: apt-get install -y tcpdump); inter-arrival falls back to the user-space receiver clock, which on a busy machine measures the receiver more than the engine',
    );
  else if (process.getuid && process.getuid() !== 0)
    log('bench media: tcpdump needs root or CAP_NET_RAW to capture on lo');
  // MEDIA_BENCH_NICE=-10: the engine and both children (they inherit it) at that nice value, as
  // a deployment would run a media server. Needs root; the figures say what the engine does when
  // the OS gives it the CPU on time, not what it does beside other busy processes.
  const nice = process.env.MEDIA_BENCH_NICE;
  if (nice) {
    os.setPriority(0, Number(nice));
    log(`bench media: running at nice ${os.getPriority(0)}`);
  }
  const slots = process.env.MEDIA_BENCH_SLOTS;
  // MEDIA_BENCH_THREAD=main: the engine on this thread (as before the media worker); default
  // `worker`, what startMediaServer (and so the PBX's npm start) runs.
  const thread = process.env.MEDIA_BENCH_THREAD === 'main' ? 'main' : 'worker';
  const young = process.env.MEDIA_BENCH_YOUNG_MB;
  // MEDIA_BENCH_THREAD_NICE=-10: the media worker thread alone at that nice value (needs root).
  const threadNice = thread === 'worker' ? process.env.MEDIA_BENCH_THREAD_NICE : undefined;
  const engineOptions = {
    address: '127.0.0.1',
    rtpPortMin: 30000,
    rtpPortMax: 39999,
    ...(slots ? { tickSlots: Number(slots) } : {}),
  };
  const engine =
    thread === 'worker'
      ? await mod.createThreadedMediaEngine({
          ...engineOptions,
          thread: {
            ...(young ? { youngGenerationMb: Number(young) } : {}),
            ...(threadNice ? { nice: Number(threadNice) } : {}),
          },
        })
      : await mod.createMediaEngine(engineOptions);
  // MEDIA_BENCH_AB=n (default 3; 0 skips): n alternating rounds of 200 conference members and 500
  // playing channels with the engine on the main thread and in the media worker, at the same
  // moments, so a before/after comparison shares the machine's load.
  const abRounds = Number(process.env.MEDIA_BENCH_AB ?? 3);
  const abEngines = { [thread]: engine };
  if (abRounds > 0) {
    const second = { ...engineOptions, rtpPortMin: 40000, rtpPortMax: 49999 };
    if (thread === 'worker') abEngines.main = await mod.createMediaEngine(second);
    else abEngines.worker = await mod.createThreadedMediaEngine(second);
  }
  const gcPauses = new mod.GcPauses();
  const controlLoad = Number(process.env.MEDIA_BENCH_CONTROL ?? 0);
  const stopControl = startControlLoad(controlLoad);
  const load = os.loadavg();
  log(
    `bench media: engine on the ${thread === 'worker' ? `media worker thread${young ? ` (young generation ${young} MiB)` : ''}${threadNice ? ` at nice ${threadNice}` : ''}` : 'main thread'}, ${slots ?? 10} sub-tick(s) per 20 ms frame, control-plane load ${controlLoad > 0 ? `${controlLoad} objects / 2 ms on the main thread` : 'none'}; ${os.cpus().length} cores, load average ${load.map((l) => l.toFixed(2)).join(' / ')} at ${new Date().toISOString().slice(11, 19)} UTC`,
  );
  const receiver = child('receiver');
  const sender = child('sender');
  const rows = [];
  try {
    // The user-space receiver reads the engine's streams only without tcpdump or when asked
    // (MEDIA_BENCH_USERSPACE=1): at 25k–100k packets/s it takes a good part of the 2 cores the
    // engine runs on, which is what the kernel timestamps are there to avoid.
    const readEngine = !tcpdump || process.env.MEDIA_BENCH_USERSPACE === '1';
    const { ports, unread } = await receiver.ask(
      { type: 'open', count: 16, baseline: 4, readEngine },
      'ports',
    );
    if (!readEngine && unread < 16)
      log(`bench media: ${16 - unread} engine sinks could not stop reading`);
    const recvPorts = ports.slice(0, 16);
    const floorPorts = ports.slice(16);
    const media = { mod, engine, recvPorts, floorPorts, tcpdump, dir, gcPauses };
    const wav = toneWav(dir);

    await sender.ask(
      {
        type: 'baseline',
        ports: Array.from(
          { length: BASELINE_STREAMS },
          (_, i) => floorPorts[i % floorPorts.length],
        ),
      },
      'baseline',
    );
    const conference = async (sessions) => {
      const mixers = [];
      for (let i = 0; i < sessions.length; i += 5) {
        const m = media.engine.createMixer();
        for (const s of sessions.slice(i, i + 5)) m.addMember(s);
        mixers.push(m);
      }
      return () => mixers.forEach((m) => m.close());
    };
    const playFile = async (sessions) => {
      for (const s of sessions) void s.play(await media.engine.openSource(wav, { loop: true }));
      return () => undefined;
    };
    // Memory first, on a fresh heap (after the ramps, freed sockets and buffers blur the delta).
    const memRows = [];
    if (process.env.MEDIA_BENCH_MEMORY !== '0') {
      const mp = await memoryPer(media, 1000, playFile);
      memRows.push({
        name: 'Memory per playing channel',
        value: (mp.js / 1024).toFixed(1),
        unit: 'KiB',
        note: `1000 channels; JS heap + external after GC (the decoded file is shared); RSS ${(mp.rss / 1024).toFixed(1)} KiB/channel`,
      });
      const mc = await memoryPer(media, 1000, conference);
      memRows.push({
        name: 'Memory per conference member',
        value: (mc.js / 1024).toFixed(1),
        unit: 'KiB',
        note: `1000 members in 200 conferences; JS heap + external after GC; RSS ${(mc.rss / 1024).toFixed(1)} KiB/member`,
      });
    }
    if (media.tcpdump) {
      log('bench media: control, plain Node sender (no engine) at the same packet rates');
      for (const n of counts('MEDIA_BENCH_PLAIN', [100, 500, 1000])) {
        const c = await plainStep(media, sender, n);
        log(
          `  ${n}: kernel p99 ±${c.p99.toFixed(2)} ms (p50 ${c.p50.toFixed(2)}, p99.9 ${c.p999.toFixed(2)}, max ${c.max.toFixed(2)}), ${c.streams}/${n} streams, capture drops ${c.dropped}, load ${os.loadavg()[0].toFixed(2)}`,
        );
        rows.push({
          name: `Control: plain Node sender (no engine), ${n} streams, p99 |Δ − 20 ms|`,
          value: c.p99.toFixed(2),
          unit: 'ms',
          note: `kernel timestamps; p50 ${c.p50.toFixed(2)}, max ${c.max.toFixed(2)}: what Node on this machine allows at this packet rate`,
        });
      }
    }
    log('bench media: conferences of 5, every member talking');
    const conf = await ramp(
      counts('MEDIA_BENCH_CONF', [50, 100, 200, 300, 400, 600, 800, 1000]),
      (n) => step(media, receiver, sender, true, n, conference),
      log,
    );
    rows.push(...rampRows('Conference members mixed (conferences of 5)', 'members', 200, conf));
    const cb = conf.steps.find((r) => r.n === 200) ?? conf.steps[conf.steps.length - 1];
    log('bench media: channels playing a WAV file');
    const play = await ramp(
      counts('MEDIA_BENCH_PLAY', [100, 200, 500, 800, 1200, 1600, 2000]),
      (n) => step(media, receiver, sender, false, n, playFile),
      log,
    );
    rows.push(...rampRows('Channels playing a WAV file', 'channels', 500, play));
    const pb = play.steps.find((r) => r.n === 500) ?? play.steps[play.steps.length - 1];
    if (pb)
      rows.push({
        name: 'CPU per playing channel',
        value: pb.cpuUsPerFrame.toFixed(1),
        unit: 'µs/20 ms frame',
        note: `at ${pb.n} channels (send path: file → G.711 → UDP)`,
      });
    if (cb)
      rows.push({
        name: 'CPU per conference member',
        value: cb.cpuUsPerFrame.toFixed(1),
        unit: 'µs/20 ms frame',
        note: `at ${cb.n} members (receive + jitter buffer + mix + send)`,
      });
    if (abRounds > 0)
      rows.push(
        ...(await abCompare(
          media,
          receiver,
          sender,
          abEngines,
          abRounds,
          conference,
          playFile,
          log,
        )),
      );
    rows.push(...memRows);
    const end = os.loadavg();
    rows.unshift({
      name: 'Conditions',
      value: thread === 'worker' ? 'media worker' : 'main thread',
      unit: 'engine',
      note: `${os.cpus().length} cores; load average (1/5/15 min) ${load.map((l) => l.toFixed(2)).join(' / ')} at start, ${end.map((l) => l.toFixed(2)).join(' / ')} at end; control-plane load ${controlLoad || 'none'}; tickSlots ${slots ?? 10}${young ? `; worker young generation ${young} MiB` : ''}${threadNice ? `; media thread nice ${threadNice}` : ''}${nice ? `; whole bench nice ${nice}` : ''}`,
    });
    rows.push({
      name: 'Mixer maths per member per frame (5-member sum, minus own, clamp)',
      value: mixerMath(mod).toFixed(2),
      unit: 'µs',
      note: 'in-process, no I/O: why the mix is not handed to a thread of its own per frame',
    });
  } finally {
    stopControl();
    gcPauses.stop();
    for (const e of Object.values(abEngines)) if (e !== engine) await e.close();
    await engine.close();
    await receiver.stop();
    await sender.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

module.exports = { run };

if (require.main === module) {
  const role = process.argv[2];
  if (role === 'receiver') receiverMain();
  else if (role === 'sender') senderMain();
  else
    run().then(
      (rows) => {
        console.table(rows);
        process.exit(0);
      },
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
}
