'use strict';
// Issue 14 row: outgoing trunk call set-up rate through the PBX and the provider's proxy, with no
// failed call. sipp UAC phones (registered stations) dial 9 + number; the PBX sends each call on
// a registered trunk (TCP, digest on the 407 of every INVITE) to Kamailio (Debian package
// `kamailio`, own config in a temporary folder, 127.0.0.10, killed by its PID), which
// record-routes it to a sipp UAS gateway; ACK and BYE follow the route set.
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { freePort, runSipp, startSipp, stationCallArgs } = require('./lib/sipp');
const { startBenchPbx } = require('./lib/pbx-child');

const SCEN = path.join(__dirname, 'scenarios');
const KAM_IP = '127.0.0.10';
const CALLERS = 600;
const USER = '0399990000';
const PASSWORD = 'bench-trunk-pw';

function kamailioConfig(port, gateway) {
  const pw = `if ($au == "${USER}") { $var(pw) = "${PASSWORD}"; } else { $var(pw) = "-"; }`;
  return `#!KAMAILIO
debug=1
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
listen=udp:${KAM_IP}:${port}
listen=tcp:${KAM_IP}:${port}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
    sl_send_reply("404", "Not here"); exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  ${pw}
  if (is_method("REGISTER")) {
    if (!pv_www_authenticate("itsp.test", "$var(pw)", "0")) { www_challenge("itsp.test", "0"); exit; }
    save("location"); exit;
  }
  if (is_method("INVITE")) {
    if (!pv_proxy_authenticate("itsp.test", "$var(pw)", "0")) { proxy_challenge("itsp.test", "0"); exit; }
    consume_credentials();
    record_route();
    $du = "${gateway}";
    t_relay(); exit;
  }
  sl_send_reply("405", "Method Not Allowed");
}
`;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: KAM_IP, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function startKamailio(port, gateway) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-kamailio-'));
  const cfg = path.join(dir, 'kamailio.cfg');
  fs.writeFileSync(cfg, kamailioConfig(port, gateway));
  const child = spawn(
    'kamailio',
    ['-f', cfg, '-DD', '-E', '-Y', dir, '-w', dir, '-m', '64', '-M', '8'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d) => {
    if (err.length < 20000) err += d;
  });
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`kamailio did not start: ${err.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { stop };
}

async function setupRate() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-trunks-'));
  const sipPort = await freePort();
  const uacPort = await freePort();
  const gwPort = await freePort();
  const kamPort = await freePort();
  const kam = await startKamailio(kamPort, `sip:127.0.0.1:${gwPort}`);
  const gw = startSipp([
    '-sf',
    path.join(SCEN, 'uas-gateway.xml'),
    '-p',
    String(gwPort),
    '-key',
    'gw',
    'gw',
  ]);
  const pbx = await startBenchPbx({ dir, sipPort });
  try {
    const ctx = pbx.ctx;
    const rows = [];
    for (let i = 0; i < CALLERS; i++) {
      const tel = String(2000 + i);
      await ctx.store.stations.create(
        { tel, password: `bench!${tel}`, useWhitelist: false },
        { realm: ctx.config.sip.domain },
      );
      await pbx.registrar.registrar.addBinding({
        tel,
        contact: `sip:${tel}@127.0.0.1:${uacPort}`,
        sourceIp: '127.0.0.1',
        sourcePort: uacPort,
        protocol: 'udp',
        expiresAt: Date.now() + 3600_000,
        callId: `bench-${tel}`,
        userAgent: 'sipp-bench',
      });
      rows.push(`${tel};9039872${String(i).padStart(4, '0')}`);
    }
    await pbx.calls.stations.load();
    await ctx.store.trunks.create({
      name: 'itsp',
      host: KAM_IP,
      port: kamPort,
      transport: 'tcp',
      username: USER,
      password: PASSWORD,
      realm: 'itsp.test',
    });
    await pbx.calls.onChange('trunks');
    const deadline = Date.now() + 10000;
    while (!(await ctx.store.trunks.statuses()).some((s) => s.state === 'registered')) {
      if (Date.now() > deadline) throw new Error('bench trunk did not register');
      await new Promise((r) => setTimeout(r, 50));
    }
    const inf = path.join(dir, 'calls.csv');
    fs.writeFileSync(inf, `SEQUENTIAL\n${rows.join('\n')}\n`);
    const total = 3000;
    const rate = 100;
    const r = await runSipp(
      stationCallArgs({
        scenDir: SCEN,
        sipPort,
        uacPort,
        inf,
        holdMs: 0,
        rate,
        total,
        limit: CALLERS,
        timeoutS: 120,
      }),
      { timeoutMs: 150000 },
    );
    await pbx.calls.flushCdrs();
    const answered = await ctx.store.cdrs.count({ trunk: 'itsp', disposition: 'answered' });
    return [
      {
        name: 'Outgoing trunk call set-up (PBX → Kamailio, TCP, 407 digest, record-routed)',
        value: Math.round((r.successful / r.elapsedMs) * 1000),
        unit: 'calls/s',
        target: 'no failed call',
        note: `offered ${rate}/s; ${r.successful} ok, ${r.failed} failed; ${answered} answered trunk records`,
        ok: r.failed === 0 && r.successful === total && answered === total,
      },
    ];
  } finally {
    await pbx.stop();
    await gw.stop();
    await kam.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function run() {
  try {
    execFileSync('kamailio', ['-v'], { stdio: 'ignore' });
  } catch {
    return [
      {
        name: 'Outgoing trunk call set-up',
        value: '',
        unit: '',
        note: 'kamailio missing (apt-get install kamailio)',
        ok: false,
      },
    ];
  }
  return setupRate();
}

module.exports = { run };
