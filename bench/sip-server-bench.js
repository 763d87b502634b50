'use strict';
// Issue 2 rows: sipp → embedded SIP server → a drachtio-srf app (in this process).
//  - REGISTER answered 200 by the app: requests per second with no failure.
//  - INVITE B2BUA to a sipp UAS: calls per second with no failed call.
//  - Memory per 1,000 concurrent B2BUA calls (two dialogs each on the server, two in srf).
const path = require('node:path');
const { startSipServer } = require('../packages/sip-server/dist');
const Srf = require('drachtio-srf');
const { freePort, runSipp, startSipp } = require('./lib/sipp');

const SCEN = path.join(__dirname, 'scenarios');

async function withServerAndApp(fn) {
  const sipPort = await freePort();
  const server = await startSipServer({
    sip: { host: '127.0.0.1', port: sipPort, protocols: ['udp'] },
    control: { port: 0, secret: 'bench-secret' },
  });
  const srf = new Srf();
  await new Promise((resolve, reject) => {
    srf.on('connect', (err) => (err ? reject(err) : resolve()));
    srf.connect({ host: '127.0.0.1', port: server.control.port, secret: 'bench-secret' });
  });
  try {
    return await fn({ server, srf, sipPort });
  } finally {
    srf.disconnect();
    await server.stop();
  }
}

function gcMemory() {
  if (global.gc) {
    global.gc();
    global.gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

async function registerRate() {
  return withServerAndApp(async ({ srf, sipPort }) => {
    srf.register((req, res) =>
      res.send(200, { headers: { Contact: req.get('Contact'), Expires: '600' } }),
    );
    const total = 30000;
    const r = await runSipp([
      '-sf',
      path.join(SCEN, 'register-expect-200.xml'),
      `127.0.0.1:${sipPort}`,
      '-p',
      String(await freePort()),
      '-r',
      '4000',
      '-rp',
      '1000',
      '-m',
      String(total),
      '-l',
      '20000',
      '-timeout',
      '60s',
    ]);
    return {
      name: 'REGISTER → app 200 (UDP)',
      value: Math.round((r.successful / r.elapsedMs) * 1000),
      unit: 'req/s',
      target: '≥ 2000',
      note: `${r.successful} ok, ${r.failed} failed`,
      ok: r.failed === 0 && r.successful === total,
    };
  });
}

async function b2buaApp(srf, uasPort) {
  srf.invite(async (req, res) => {
    try {
      const { uas, uac } = await srf.createB2BUA(req, res, `sip:service@127.0.0.1:${uasPort}`, {
        localSdpB: req.body,
      });
      uas.on('destroy', () => uac.destroy().catch(() => undefined));
      uac.on('destroy', () => uas.destroy().catch(() => undefined));
      // A BYE read together with the 200's echo was handled before these listeners existed.
      if (!uac.connected) uas.destroy().catch(() => undefined);
      else if (!uas.connected) uac.destroy().catch(() => undefined);
    } catch {
      /* failure counted by sipp */
    }
  });
}

async function callRate() {
  return withServerAndApp(async ({ srf, sipPort }) => {
    const uasPort = await freePort();
    const uas = startSipp(['-sn', 'uas', '-p', String(uasPort)]);
    await b2buaApp(srf, uasPort);
    await new Promise((r) => setTimeout(r, 300));
    const total = 6000;
    const r = await runSipp([
      '-sn',
      'uac',
      `127.0.0.1:${sipPort}`,
      '-p',
      String(await freePort()),
      '-r',
      '400',
      '-rp',
      '1000',
      '-m',
      String(total),
      '-l',
      '4000',
      '-d',
      '0',
      '-timeout',
      '90s',
    ]);
    await uas.stop();
    return {
      name: 'INVITE B2BUA → sipp UAS (UDP)',
      value: Math.round((r.successful / r.elapsedMs) * 1000),
      unit: 'calls/s',
      target: '≥ 300',
      note: `${r.successful} ok, ${r.failed} failed`,
      ok: r.failed === 0 && r.successful === total,
    };
  });
}

async function concurrentMemory() {
  return withServerAndApp(async ({ server, srf, sipPort }) => {
    const uasPort = await freePort();
    const uas = startSipp(['-sn', 'uas', '-p', String(uasPort)]);
    await b2buaApp(srf, uasPort);
    await new Promise((r) => setTimeout(r, 300));
    const before = gcMemory();
    const calls = 2000;
    const run = runSipp([
      '-sf',
      path.join(SCEN, 'uac-hold-call.xml'),
      `127.0.0.1:${sipPort}`,
      '-s',
      'service',
      '-p',
      String(await freePort()),
      '-r',
      '300',
      '-rp',
      '1000',
      '-m',
      String(calls),
      '-l',
      String(calls),
      '-timeout',
      '90s',
    ]);
    // All calls are up after calls/600 s (+ margin), and stay up 20 s.
    await new Promise((r) => setTimeout(r, (calls / 300) * 1000 + 3000));
    const up = server.stats().dialogs / 2;
    const during = gcMemory();
    const r = await run;
    await uas.stop();
    const perK = ((during.heap - before.heap) / up) * 1000;
    const rssPerK = ((during.rss - before.rss) / up) * 1000;
    return {
      name: 'Memory per 1,000 concurrent B2BUA calls',
      value: (perK / 1048576).toFixed(1),
      unit: 'MiB heap',
      note: `${Math.round(up)} calls up; RSS ${(rssPerK / 1048576).toFixed(1)} MiB/1000; ${r.failed} failed`,
      ok: r.failed === 0,
    };
  });
}

async function run() {
  return [await registerRate(), await callRate(), await concurrentMemory()];
}

module.exports = { run };
