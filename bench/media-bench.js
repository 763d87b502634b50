'use strict';
// Media engine rows (packages/media-server, built code in dist/), all on 127.0.0.1:
//  - conference members (conferences of 5, every member sending audio) while every member still
//    receives a packet every 20 ms ± 2 ms at the 99th percentile: ramped until the bound breaks;
//  - channels playing a WAV file with the same bound;
//  - CPU per channel (µs per 20 ms frame) and memory per channel; mixer maths alone.
// Inter-arrival is measured in a child process (receivers in the engine's own event loop would
// distort it); a second child sends the members' audio. Run alone: `node bench/media-bench.js`.
const { fork } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BOUND_MS = 2;
const WARM_MS = 1500;
const MEASURE_MS = 4000;

// ---------------------------------------------------------------- child: receiver
function receiverMain() {
  const sockets = [];
  let last = new Map();
  let hist = new Uint32Array(4001); // |Δ - 20 ms| in 0.05 ms bins, last bin = ≥ 200 ms
  let packets = 0;
  let measuring = false;
  const onMessage = (buf) => {
    const t = Number(process.hrtime.bigint()) / 1e6;
    if (!measuring || buf.length < 12) return;
    packets++;
    const ssrc = buf.readUInt32BE(8);
    const prev = last.get(ssrc);
    last.set(ssrc, t);
    if (prev === undefined) return;
    const dev = Math.abs(t - prev - 20);
    hist[Math.min(hist.length - 1, Math.floor(dev / 0.05))]++;
  };
  process.on('message', async (m) => {
    if (m.type === 'open') {
      for (let i = 0; i < m.count; i++) {
        const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
        s.on('message', onMessage);
        await new Promise((r) => s.bind(0, '127.0.0.1', r));
        sockets.push(s);
      }
      process.send({ type: 'ports', ports: sockets.map((s) => s.address().port) });
    } else if (m.type === 'start') {
      last = new Map();
      hist = new Uint32Array(hist.length);
      packets = 0;
      measuring = true;
      process.send({ type: 'started' });
    } else if (m.type === 'stop') {
      measuring = false;
      const total = hist.reduce((a, b) => a + b, 0);
      const q = (p) => {
        let acc = 0;
        for (let i = 0; i < hist.length; i++) {
          acc += hist[i];
          if (acc >= p * total) return i * 0.05;
        }
        return Infinity;
      };
      process.send({ type: 'result', streams: last.size, packets, intervals: total, p50: q(0.5), p99: q(0.99), p999: q(0.999) });
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
  let timer;
  process.on('message', (m) => {
    if (m.type === 'targets') {
      // Each member talks: its own tone, so the mixer has real work (no silent-input shortcut).
      targets = m.ports.map((port, i) => {
        const f = 300 + (i % 7) * 150;
        const pcm = new Int16Array(160 * 50);
        for (let k = 0; k < pcm.length; k++) pcm[k] = Math.round(4000 * Math.sin((2 * Math.PI * f * k) / 8000));
        return { port, ssrc: (0x10000000 + i) >>> 0, seq: 0, ts: 0, audio: mulaw.encode(pcm), frame: 0 };
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
        timer = setTimeout(tick, Math.max(0, start + (slot) * 5 - Number(process.hrtime.bigint()) / 1e6 - 1));
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
        waiters.push({ type: replyType, resolve: (m) => { clearTimeout(timer); resolve(m); } });
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

function gcMemory() {
  if (global.gc) { global.gc(); global.gc(); }
  const m = process.memoryUsage();
  return { js: m.heapUsed + m.external, rss: m.rss };
}

/** Opens n sessions sending to the receiver, sets them up with `arrange`, measures, closes. */
async function step(media, receiver, sender, n, arrange) {
  const { PCMU } = media.mod;
  const before = gcMemory();
  const sessions = [];
  for (let i = 0; i < n; i++) {
    const s = await media.engine.openSession();
    s.setRemote({ address: '127.0.0.1', port: media.recvPorts[i % media.recvPorts.length], codec: PCMU, direction: 'sendrecv', symmetric: false });
    sessions.push(s);
  }
  const teardown = await arrange(sessions);
  if (sender) await sender.ask({ type: 'targets', ports: sessions.map((s) => s.localPort) }, 'sending');
  await sleep(WARM_MS);
  const mem = gcMemory();
  await receiver.ask({ type: 'start' }, 'started');
  const late0 = media.engine.stats().lateTicks;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(MEASURE_MS);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const r = await receiver.ask({ type: 'stop' }, 'result');
  const lateTicks = media.engine.stats().lateTicks - late0;
  if (sender) await sender.ask({ type: 'targets', ports: [] }, 'sending');
  teardown();
  for (const s of sessions) s.close();
  await Promise.all(sessions.map((s) => s.released));
  const frames = (wall / 20) * n;
  return {
    n,
    ...r,
    lateTicks,
    ok: r.p99 <= BOUND_MS && r.streams >= n * 0.99 && lateTicks === 0,
    cpuUsPerFrame: (cpu.user + cpu.system) / frames,
    cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    memPerChannel: (mem.js - before.js) / n,
    rssPerChannel: (mem.rss - before.rss) / n,
  };
}

async function ramp(counts, fn, log) {
  let best;
  let broke;
  for (const n of counts) {
    const r = await fn(n);
    log(`  ${n}: p99 ±${r.p99.toFixed(2)} ms (p50 ${r.p50.toFixed(2)}, p99.9 ${r.p999.toFixed(2)}), ${r.streams}/${n} streams, lateTicks ${r.lateTicks}, CPU ${r.cpuPct.toFixed(0)} %, ${r.cpuUsPerFrame.toFixed(1)} µs/frame ${r.ok ? 'ok' : 'OVER'}`);
    if (!r.ok) { broke = r; break; }
    best = r;
  }
  return { best, broke };
}

function toneWav(dir) {
  const file = path.join(dir, 'prompt.wav');
  const n = 8000 * 3;
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + n * 2, 4); buf.write('WAVE', 8); buf.write('fmt ', 12);
  buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20); buf.writeUInt16LE(1, 22); buf.writeUInt32LE(8000, 24);
  buf.writeUInt32LE(16000, 28); buf.writeUInt16LE(2, 32); buf.writeUInt16LE(16, 34); buf.write('data', 36); buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), 44 + i * 2);
  fs.writeFileSync(file, buf);
  return file;
}

function mixerMath(mod) {
  const { accumulate, mixMinusOwn } = mod;
  const members = Array.from({ length: 5 }, (_, m) => Int16Array.from({ length: 160 }, (_, i) => Math.round(3000 * Math.sin(i * (m + 1) / 10))));
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
  const engine = await mod.createMediaEngine({ address: '127.0.0.1', rtpPortMin: 30000, rtpPortMax: 39999 });
  const receiver = child('receiver');
  const sender = child('sender');
  const rows = [];
  try {
    const { ports: recvPorts } = await receiver.ask({ type: 'open', count: 16 }, 'ports');
    const media = { mod, engine, recvPorts };
    const wav = toneWav(dir);

    // The noise floor of this machine: the plain sender child straight to the receiver child.
    await sender.ask({ type: 'targets', ports: Array.from({ length: 200 }, (_, i) => recvPorts[i % recvPorts.length]) }, 'sending');
    await sleep(WARM_MS);
    await receiver.ask({ type: 'start' }, 'started');
    await sleep(MEASURE_MS);
    const floor = await receiver.ask({ type: 'stop' }, 'result');
    await sender.ask({ type: 'targets', ports: [] }, 'sending');
    log(`bench media: noise floor (no engine) p99 ±${floor.p99.toFixed(2)} ms, p50 ${floor.p50.toFixed(2)} ms; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
    rows.push({ name: 'Timing noise floor: plain Node sender → receiver, 200 streams, p99 |Δ − 20 ms|', value: floor.p99.toFixed(2), unit: 'ms',
      note: `no engine involved; p50 ${floor.p50.toFixed(2)} ms; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores while measuring` });

    log('bench media: conferences of 5, every member talking');
    const conf = await ramp([50, 100, 150, 200, 250, 300, 400, 500, 600, 800, 1000], (n) =>
      step(media, receiver, sender, n, async (sessions) => {
        const mixers = [];
        for (let i = 0; i < sessions.length; i += 5) {
          const m = engine.createMixer();
          for (const s of sessions.slice(i, i + 5)) m.addMember(s);
          mixers.push(m);
        }
        return () => mixers.forEach((m) => m.close());
      }), log);
    const cb = conf.best;
    rows.push({ name: 'Conference members mixed (conferences of 5), each receiving every 20 ms ± 2 ms at p99', value: cb ? cb.n : 0, unit: 'members', target: '≥ 200', ok: !!cb && cb.n >= 200,
      note: `${cb ? `at ${cb.n}: p99 ±${cb.p99.toFixed(2)} ms, CPU ${cb.cpuPct.toFixed(0)} %` : 'none passed'}; ${conf.broke ? `broke at ${conf.broke.n} (p99 ±${conf.broke.p99.toFixed(2)} ms, lateTicks ${conf.broke.lateTicks})` : 'did not break up to the largest step'}` });

    log('bench media: channels playing a WAV file');
    const play = await ramp([100, 200, 300, 500, 700, 900, 1200, 1500, 2000], (n) =>
      step(media, receiver, null, n, async (sessions) => {
        for (const s of sessions) void s.play(await engine.openSource(wav, { loop: true }));
        return () => undefined;
      }), log);
    const pb = play.best;
    rows.push({ name: 'Channels playing a WAV file, each sending every 20 ms ± 2 ms at p99', value: pb ? pb.n : 0, unit: 'channels', target: '≥ 500', ok: !!pb && pb.n >= 500,
      note: `${pb ? `at ${pb.n}: p99 ±${pb.p99.toFixed(2)} ms, CPU ${pb.cpuPct.toFixed(0)} %` : 'none passed'}; ${play.broke ? `broke at ${play.broke.n} (p99 ±${play.broke.p99.toFixed(2)} ms, lateTicks ${play.broke.lateTicks})` : 'did not break up to the largest step'}` });

    if (pb) rows.push({ name: 'CPU per playing channel', value: pb.cpuUsPerFrame.toFixed(1), unit: 'µs/20 ms frame', note: `at ${pb.n} channels (send path: file → G.711 → UDP)` });
    if (cb) rows.push({ name: 'CPU per conference member', value: cb.cpuUsPerFrame.toFixed(1), unit: 'µs/20 ms frame', note: `at ${cb.n} members (receive + jitter buffer + mix + send)` });
    if (pb) rows.push({ name: 'Memory per playing channel', value: (pb.memPerChannel / 1024).toFixed(1), unit: 'KiB', note: `JS heap + external after GC, file shared? no (one 47 KiB decoded copy each); RSS ${(pb.rssPerChannel / 1024).toFixed(1)} KiB/channel` });
    if (cb) rows.push({ name: 'Memory per conference member', value: (cb.memPerChannel / 1024).toFixed(1), unit: 'KiB', note: `JS heap + external after GC; RSS ${(cb.rssPerChannel / 1024).toFixed(1)} KiB/member` });
    rows.push({ name: 'Mixer maths per member per frame (5-member sum, minus own, clamp)', value: mixerMath(mod).toFixed(2), unit: 'µs', note: 'in-process, no I/O: why the mixer stays on the main thread' });
  } finally {
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
  else run().then((rows) => { console.table(rows); process.exit(0); }, (err) => { console.error(err); process.exit(1); });
}
