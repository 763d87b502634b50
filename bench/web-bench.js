'use strict';
// Issue 10 rows: the HTTP event stream under call load. The whole PBX in this process (dist),
// PAIRS station pairs whose calls sipp makes (UAS answering at once, the caller hanging up after
// HOLD_MS), and CLIENTS WebSocket clients logged in as the administrator, subscribed to the
// `calls` and `presence` topics. Measured: events delivered per second to all clients together
// during the run, and the latency from a state change (the event's `at`, stamped when the engine
// reported it: the station effect or the coalesced call change) to each client's receipt,
// median and p99. Clients run in the PBX's process, so their own work competes with the PBX's.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const pino = require('pino');
const WebSocket = require('ws');
const { startPbx } = require('../apps/pbx/dist/pbx');
const { freePort, runSipp, startSipp, stationCallArgs } = require('./lib/sipp');

const SCEN = path.join(__dirname, 'scenarios');
const CLIENTS = Number(process.env.BENCH_WS_CLIENTS || 100);
const PAIRS = Number(process.env.BENCH_WS_PAIRS || 20);
const CALLS = Number(process.env.BENCH_WS_CALLS || 1000);
const RATE = Number(process.env.BENCH_WS_RATE || 50);
const HOLD_MS = Number(process.env.BENCH_WS_HOLD_MS || 1000);

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function run() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-web-'));
  const sipPort = await freePort();
  const pbx = await startPbx({
    env: {
      PBX_DB: path.join(dir, 'pbx.sqlite'),
      PBX_SIP_HOST: '127.0.0.1',
      PBX_SIP_PORT: String(sipPort),
    },
    overrides: (c) => {
      c.control.port = 0;
      c.media.sipPort = 0;
      c.media.eslPort = 0;
      c.http.port = 0;
      c.license.maxStations = PAIRS * 2 + 10;
    },
    logger: pino({ level: process.env.BENCH_LOG_LEVEL || 'silent' }),
  });
  const clients = [];
  let uas;
  try {
    const { store } = pbx.ctx;
    const uacPort = await freePort();
    const uasPort = await freePort();
    const rows = [];
    for (let i = 0; i < PAIRS; i++) {
      const a = String(5000 + i);
      const b = String(6000 + i);
      for (const [tel, port] of [
        [a, uacPort],
        [b, uasPort],
      ]) {
        await store.stations.create(
          { tel, password: `bench!${tel}`, useWhitelist: false },
          { realm: 'pbx.local' },
        );
        await pbx.registrar.registrar.addBinding({
          tel,
          contact: `sip:${tel}@127.0.0.1:${port}`,
          sourceIp: '127.0.0.1',
          sourcePort: port,
          protocol: 'udp',
          expiresAt: Date.now() + 3_600_000,
          callId: `bench-${tel}`,
          userAgent: 'sipp-bench',
        });
      }
      rows.push(`${a};${b}`);
    }
    await pbx.calls.stations.load();
    const inf = path.join(dir, 'pairs.csv');
    fs.writeFileSync(inf, `SEQUENTIAL\n${rows.join('\n')}\n`);
    await store.webAuth.setAdminPassword('bench-admin');
    const login = await fetch(`${pbx.http.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin', password: 'bench-admin' }),
    });
    const { token } = await login.json();

    let received = 0;
    let counting = false;
    const latencies = [];
    const wsUrl = `${pbx.http.url.replace('http', 'ws')}/api/events?topics=calls,presence`;
    await Promise.all(
      Array.from(
        { length: CLIENTS },
        () =>
          new Promise((resolve, reject) => {
            const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
            clients.push(ws);
            ws.once('error', reject);
            ws.on('message', (data) => {
              const e = JSON.parse(data.toString('utf8'));
              if (!e.topic) return resolve();
              if (!counting) return;
              received++;
              latencies.push(Date.now() - e.at);
            });
          }),
      ),
    );

    uas = startSipp(['-sn', 'uas', '-p', String(uasPort)]);
    await new Promise((r) => setTimeout(r, 300));
    counting = true;
    const r = await runSipp(
      stationCallArgs({
        scenDir: SCEN,
        sipPort,
        uacPort,
        inf,
        holdMs: HOLD_MS,
        rate: RATE,
        total: CALLS,
        limit: PAIRS,
        timeoutS: 180,
      }),
      { timeoutMs: 200_000 },
    );
    // Let the last hang-ups' events arrive.
    await new Promise((res) => setTimeout(res, 500));
    counting = false;
    const seconds = r.elapsedMs / 1000;
    latencies.sort((x, y) => x - y);
    const note = `${CLIENTS} clients, ${r.successful} calls ok / ${r.failed} failed at ${RATE}/s offered, hold ${HOLD_MS} ms`;
    return [
      {
        name: `Events delivered to ${CLIENTS} WebSocket clients while calls run (calls + presence topics)`,
        value: Math.round(received / seconds),
        unit: 'events/s',
        note,
      },
      {
        name: 'State change → WebSocket client (median)',
        value: latencies.length ? quantile(latencies, 0.5) : 'n/a',
        unit: 'ms',
        note: `${latencies.length} deliveries`,
      },
      {
        name: 'State change → WebSocket client (p99)',
        value: latencies.length ? quantile(latencies, 0.99) : 'n/a',
        unit: 'ms',
      },
    ];
  } finally {
    for (const ws of clients) ws.terminate();
    await uas?.stop();
    await pbx.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };
