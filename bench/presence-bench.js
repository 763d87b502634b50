'use strict';
// Issue 9 rows: sipp phones → the whole PBX in this process, built in dist (`npx tsc -b` first).
//  - NOTIFY fan-out: one station watched by LAMPS busy-lamp subscriptions (one sipp process, each
//    subscription its own dialog, all answering 200). A call leg is added to / removed from the
//    station exactly as the call engine reports it (`legAdded` / `legRemoved` on the station
//    reducer); for each change: time to the last of the LAMPS NOTIFYs handed to the SIP server,
//    and to the last 200 OK back. Changes are spaced so that each one's NOTIFYs are all answered
//    first (no coalescing), CHANGES of them; median and p99.
//  - MESSAGE throughput: station 202 → station 201 through the PBX (stored, relayed, 200), sipp
//    at MSG_RATE per second, MSG_COUNT messages; every message is a row in SQLite.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const pino = require('pino');
const { startPbx } = require('../apps/pbx/dist/pbx');
const { Store } = require('../packages/store/dist');
const { freePort, runSipp, startSipp } = require('./lib/sipp');

const SCEN = path.join(__dirname, 'scenarios');
const LAMPS = Number(process.env.BENCH_BLF_LAMPS || 200);
const CHANGES = Number(process.env.BENCH_BLF_CHANGES || 100);
const MSG_COUNT = Number(process.env.BENCH_MSG_COUNT || 3000);
const MSG_RATE = Number(process.env.BENCH_MSG_RATE || 500);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond, ms, what) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (cond()) return;
    await sleep(10);
  }
  throw new Error(`bench: timed out waiting for ${what}`);
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function run() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-presence-'));
  const dbPath = path.join(dir, 'pbx.sqlite');
  const setup = await Store.open({ path: dbPath });
  for (const tel of ['201', '202', '300'])
    await setup.stations.create(
      { tel, password: `pw${tel}xyz`, useWhitelist: false },
      { realm: 'pbx.local' },
    );
  await setup.close();
  const sipPort = await freePort();
  const pbx = await startPbx({
    env: { PBX_DB: dbPath, PBX_SIP_HOST: '127.0.0.1', PBX_SIP_PORT: String(sipPort) },
    overrides: (c) => {
      c.control.port = 0;
      c.media.sipPort = 0;
      c.media.eslPort = 0;
      c.http.port = 0;
    },
    logger: pino({ level: 'silent' }),
  });
  const peers = [];
  try {
    const bind = async (tel, port) =>
      pbx.registrar.registrar.addBinding({
        tel,
        contact: `sip:${tel}@127.0.0.1:${port}`,
        sourceIp: '127.0.0.1',
        sourcePort: port,
        protocol: 'udp',
        expiresAt: Date.now() + 3_600_000,
        callId: `bench-${tel}-${port}`,
      });
    const { notifier } = pbx.presence;
    const stations = pbx.calls.stations;

    // --- fan-out ---
    const lampPort = await freePort();
    await bind('300', lampPort);
    const lamps = startSipp([
      '-sf',
      path.join(SCEN, 'uac-subscribe-blf-hold.xml'),
      `127.0.0.1:${sipPort}`,
      '-p',
      String(lampPort),
      '-s',
      '201',
      '-m',
      String(LAMPS),
      '-l',
      String(LAMPS),
      '-r',
      '200',
    ]);
    peers.push(lamps);
    const subs = () => notifier.list().filter((s) => s.resource === '201');
    await waitFor(
      () => subs().length === LAMPS && subs().every((s) => s.version >= 1),
      30_000,
      'lamps',
    );
    let sent = 0;
    let answered = 0;
    let ok = 0;
    notifier.onNotifySent((event, resource) => {
      if (event === 'dialog' && resource === '201') sent++;
    });
    notifier.onNotifyAnswered((event, resource, status) => {
      if (event !== 'dialog' || resource !== '201') return;
      answered++;
      if (status >= 200 && status < 300) ok++;
    });
    await sleep(500); // initial NOTIFYs' answers settle
    const toSent = [];
    const toAnswered = [];
    let late = 0;
    for (let i = 0; i < CHANGES; i++) {
      sent = 0;
      answered = 0;
      const legId = `leg-bench-${i}`;
      const t0 = process.hrtime.bigint();
      let tSent;
      let tAnswered;
      const watch = new Promise((resolve) => {
        const tick = () => {
          if (tSent === undefined && sent >= LAMPS) tSent = process.hrtime.bigint();
          if (answered >= LAMPS) {
            tAnswered = process.hrtime.bigint();
            return resolve();
          }
          setImmediate(tick);
        };
        tick();
      });
      if (i % 2 === 0)
        stations.apply('201', {
          type: 'legAdded',
          leg: {
            legId,
            callRef: `call-bench-${i}`,
            direction: 'inbound',
            state: 'early',
            since: Date.now(),
            peer: { number: '202' },
            dialog: { callId: `bench-${i}@127.0.0.1`, localTag: 'a', remoteTag: 'b' },
          },
        });
      else stations.apply('201', { type: 'legRemoved', legId: `leg-bench-${i - 1}` });
      if (sent >= LAMPS) tSent = process.hrtime.bigint();
      await Promise.race([watch, sleep(10_000)]);
      if (tSent === undefined) throw new Error(`bench: change ${i}: ${sent}/${LAMPS} NOTIFYs sent`);
      toSent.push(Number(tSent - t0) / 1e6);
      // A NOTIFY answered late (sipp under load): the change counts for "sent" only.
      if (tAnswered === undefined) late++;
      else toAnswered.push(Number(tAnswered - t0) / 1e6);
    }
    toSent.sort((a, b) => a - b);
    toAnswered.sort((a, b) => a - b);
    const held = subs().length;
    await lamps.stop();

    // --- MESSAGE throughput ---
    const uasPort = await freePort();
    const uas = startSipp(['-sf', path.join(SCEN, 'uas-message.xml'), '-p', String(uasPort)]);
    peers.push(uas);
    await bind('201', uasPort);
    await sleep(300);
    const uacPort = await freePort();
    await bind('202', uacPort);
    const before = (await pbx.ctx.store.messages.list({ ext: '202', limit: 1_000_000 })).length;
    const r = await runSipp([
      '-sf',
      path.join(SCEN, 'uac-message.xml'),
      `127.0.0.1:${sipPort}`,
      '-p',
      String(uacPort),
      '-s',
      '201',
      '-m',
      String(MSG_COUNT),
      '-r',
      String(MSG_RATE),
      '-rp',
      '1000',
      '-l',
      '500',
      '-timeout',
      '120s',
    ]);
    const stored =
      (await pbx.ctx.store.messages.list({ ext: '202', limit: 1_000_000 })).length - before;
    const rate = Math.round((r.successful / r.elapsedMs) * 1000);
    const fmt = (x) => x.toFixed(2);
    return [
      {
        name: `NOTIFY fan-out, 1 station watched by ${LAMPS} lamps: change → last NOTIFY sent`,
        value: `${fmt(quantile(toSent, 0.5))} / ${fmt(quantile(toSent, 0.99))}`,
        unit: 'ms median / p99',
        ok: held === LAMPS,
        note: `${CHANGES} call-leg changes (legAdded/legRemoved), ${held} subscriptions held`,
      },
      {
        name: `NOTIFY fan-out, ${LAMPS} lamps: change → last 200 OK received`,
        value: `${fmt(quantile(toAnswered, 0.5))} / ${fmt(quantile(toAnswered, 0.99))}`,
        unit: 'ms median / p99',
        ok: ok > 0,
        note: `sipp answering every NOTIFY over UDP loopback; ${late} of ${CHANGES} changes had an answer later than 10 s (left out)`,
      },
      {
        name: 'MESSAGE throughput station → station (stored in SQLite, relayed, 200)',
        value: rate,
        unit: 'msg/s',
        ok: r.failed === 0 && r.successful === MSG_COUNT && stored === MSG_COUNT,
        note: `${r.successful} ok, ${r.failed} failed at -r ${MSG_RATE}; ${stored} rows stored${r.failed ? ` ${r.stderr.slice(0, 300)}` : ''}`,
      },
    ];
  } finally {
    for (const p of peers) await p.stop();
    await pbx.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };

if (require.main === module) {
  run()
    .then((rows) => {
      for (const row of rows) console.log(JSON.stringify(row));
      process.exit(0);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
