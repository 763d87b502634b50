'use strict';
// Issue 4 rows, against the whole PBX (embedded server + call control + SQLite) in this process:
//  - station-to-station call set-up rate with no failed call (sipp UAC phones → PBX → sipp UAS phones);
//  - concurrent calls held, with memory per call;
//  - time from INVITE to 480 for a feature code (median, 99th percentile), one at a time.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const dgram = require('node:dgram');
const { freePort, runSipp, startSipp } = require('./lib/sipp');
const { startBenchPbx } = require('./lib/pbx-child');

const SCEN = path.join(__dirname, 'scenarios');
const PAIRS = 1000;

async function withPbx(fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pbx-'));
  const sipPort = await freePort();
  const pbx = await startBenchPbx({ dir, sipPort });
  try {
    const ctx = pbx.ctx;
    const uacPort = await freePort();
    const uasPort = await freePort();
    const realm = ctx.config.sip.domain;
    // Callers 2000.. registered at the sipp UAC's address; callees 3000.. at the sipp UAS's.
    const rows = [];
    for (let i = 0; i < PAIRS; i++) {
      const a = String(2000 + i);
      const b = String(3000 + i);
      for (const [tel, port] of [
        [a, uacPort],
        [b, uasPort],
      ]) {
        await ctx.store.stations.create(
          { tel, password: `bench!${tel}`, useWhitelist: false },
          { realm },
        );
        await pbx.registrar.registrar.addBinding({
          tel,
          contact: `sip:${tel}@127.0.0.1:${port}`,
          sourceIp: '127.0.0.1',
          sourcePort: port,
          protocol: 'udp',
          expiresAt: Date.now() + 3600_000,
          callId: `bench-${tel}`,
          userAgent: 'sipp-bench',
        });
      }
      rows.push(`${a};${b}`);
    }
    await pbx.calls.stations.load();
    const inf = path.join(dir, 'pairs.csv');
    fs.writeFileSync(inf, `SEQUENTIAL\n${rows.join('\n')}\n`);
    return await fn({ pbx, ctx, sipPort, uacPort, uasPort, inf });
  } finally {
    await pbx.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function gcMemory() {
  if (global.gc) {
    global.gc();
    global.gc();
  }
  return process.memoryUsage();
}

async function setupRate() {
  return withPbx(async ({ sipPort, uacPort, uasPort, inf }) => {
    const uas = startSipp(['-sn', 'uas', '-p', String(uasPort)]);
    await new Promise((r) => setTimeout(r, 300));
    const total = 6000;
    const r = await runSipp(
      [
        '-sf',
        path.join(SCEN, 'uac-station-call.xml'),
        `127.0.0.1:${sipPort}`,
        '-p',
        String(uacPort),
        '-inf',
        inf,
        '-d',
        '0',
        '-r',
        '250',
        '-rp',
        '1000',
        '-m',
        String(total),
        '-l',
        String(PAIRS),
        '-timeout',
        '120s',
      ],
      { timeoutMs: 150000 },
    );
    await uas.stop();
    return {
      name: 'Station → station call set-up (UDP)',
      value: Math.round((r.successful / r.elapsedMs) * 1000),
      unit: 'calls/s',
      target: '≥ 200',
      note: `offered 250/s; ${r.successful} ok, ${r.failed} failed`,
      ok: r.failed === 0 && r.successful === total,
    };
  });
}

async function concurrent() {
  return withPbx(async ({ sipPort, uacPort, uasPort, inf }) => {
    const uas = startSipp(['-sn', 'uas', '-p', String(uasPort)]);
    await new Promise((r) => setTimeout(r, 300));
    const before = gcMemory();
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
    await new Promise((r) => setTimeout(r, (calls / 200) * 1000 + 3000));
    const during = gcMemory();
    const r = await run;
    await uas.stop();
    const per = (during.heapUsed - before.heapUsed) / calls;
    return {
      name: 'Concurrent station calls held',
      value: calls,
      unit: 'calls',
      note: `heap ${(per / 1024).toFixed(1)} KiB/call, RSS ${((during.rss - before.rss) / calls / 1024).toFixed(1)} KiB/call; ${r.successful} ok, ${r.failed} failed`,
      ok: r.failed === 0,
    };
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
  return [await setupRate(), await concurrent(), ...(await featureLatency())];
}

module.exports = { run, withPbx };
