'use strict';
// Issue 3 rows: sipp phones → the whole PBX (embedded SIP server, drachtio-srf, registrar, SQLite)
// running in this process, built in dist (`npx tsc -b` first).
//  - Authenticated registrations per second: each call is REGISTER → 401 → REGISTER with digest →
//    200, every call a different station (sipp -inf), no failure allowed.
//  - Memory of 10,000 registered stations: heap and RSS after those registrations minus before
//    (stations already created), after a full GC.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const pino = require('pino');
const { startPbx } = require('../apps/pbx/dist/pbx');
const { Store } = require('../packages/store/dist');
const { freePort, runSipp } = require('./lib/sipp');

const SCEN = path.join(__dirname, 'scenarios');
const STATIONS = Number(process.env.BENCH_REG_STATIONS || 10000);
const RATE = Number(process.env.BENCH_REG_RATE || 1250);

/** A callable gc even without --expose-gc (flag set at run time, function taken from a new context). */
function getGc() {
  if (global.gc) return global.gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
}

function memory(gc) {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

const mib = (bytes) => (bytes / 1048576).toFixed(1);

async function run() {
  const gc = getGc();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-registrar-'));
  const dbPath = path.join(dir, 'pbx.sqlite');
  // The stations exist before the PBX starts, as in an office that has been set up.
  const setup = await Store.open({ path: dbPath });
  const lines = ['SEQUENTIAL'];
  const t0 = Date.now();
  for (let i = 0; i < STATIONS; i++) {
    const tel = String(100000 + i);
    const password = `pw${tel}x`;
    await setup.stations.create({ tel, password, useWhitelist: false }, { realm: 'pbx.local' });
    lines.push(`${tel};${password}`);
  }
  const createMs = Date.now() - t0;
  await setup.close();
  const csv = path.join(dir, 'stations.csv');
  fs.writeFileSync(csv, `${lines.join('\n')}\n`);

  const sipPort = await freePort();
  const pbx = await startPbx({
    env: {
      PBX_DB: dbPath,
      PBX_SIP_HOST: '127.0.0.1',
      PBX_SIP_PORT: String(sipPort),
      PBX_DOMAIN: 'pbx.local',
    },
    overrides: (c) => {
      c.control.port = 0;
      c.media.sipPort = 0;
      c.media.eslPort = 0;
      c.http.port = 0;
      c.license.maxStations = STATIONS + 10;
    },
    logger: pino({ level: 'silent' }),
  });
  try {
    const { store } = pbx.ctx;
    const before = memory(gc);

    const r = await runSipp([
      '-sf',
      path.join(SCEN, 'uac-register-auth-csv.xml'),
      `127.0.0.1:${sipPort}`,
      '-p',
      String(await freePort()),
      '-inf',
      csv,
      '-au',
      '[field0]',
      '-ap',
      '[field1]',
      '-r',
      String(RATE),
      '-rp',
      '1000',
      '-m',
      String(STATIONS),
      '-l',
      String(STATIONS),
      '-timeout',
      '120s',
    ]);
    const registered = await store.registrations.countRegisteredStations();
    // Finished SIP transactions linger for timer J (32 s over UDP); measure once they are gone,
    // so what remains is the registrations (and the caches they filled).
    const drainUntil = Date.now() + 40_000;
    while (
      Date.now() < drainUntil &&
      pbx.sipServer &&
      pbx.sipServer.stats().serverTransactions > 0
    ) {
      await new Promise((r) => setTimeout(r, 500));
    }
    const after = memory(gc);
    const rate = Math.round((r.successful / r.elapsedMs) * 1000);
    return [
      {
        name: 'Authenticated registrations (401 + digest + 200, UDP, distinct stations)',
        value: rate,
        unit: 'reg/s',
        target: '≥ 1000',
        ok: r.failed === 0 && r.successful === STATIONS && rate >= 1000,
        note: `${r.successful} ok, ${r.failed} failed at -r ${RATE}; ${registered} stations registered (${STATIONS} stations created in ${(createMs / 1000).toFixed(1)} s)`,
      },
      {
        name: `Memory of ${STATIONS.toLocaleString('en')} registered stations`,
        value: mib(after.heap - before.heap),
        unit: 'MiB heap',
        note: `RSS +${mib(after.rss - before.rss)} MiB (whole PBX in this process)`,
        ok: registered === STATIONS,
      },
    ];
  } finally {
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
