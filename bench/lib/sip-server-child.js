'use strict';
// The embedded SIP server plus a plain drachtio-srf REGISTER app, in a child process, so the
// parent (and sipp) can measure that process alone from /proc. Forked by sip-server-bench.js:
// BENCH_SIP_PORT names the UDP port; the child sends { type: 'ready' } and then answers `mem`
// (heap and RSS after two full collections, plus the server's transaction counts) and `exit`.
const Srf = require('drachtio-srf');
// BENCH_SIP_SERVER_DIST may name another build of the server (an A/B against an older commit).
const sipServer = require(process.env.BENCH_SIP_SERVER_DIST || '../../packages/sip-server/dist');
// PBX_SIP_THREAD=worker runs the server in a worker thread (startSipServerIn), the app staying in
// the main thread; unset or `main`: both in the main thread, as older builds can only do.
const THREAD = process.env.PBX_SIP_THREAD === 'worker' ? 'worker' : 'main';

async function main() {
  const opts = {
    sip: { host: '127.0.0.1', port: Number(process.env.BENCH_SIP_PORT), protocols: ['udp'] },
    control: { port: 0, secret: 'bench-secret' },
  };
  const server =
    THREAD === 'worker'
      ? await sipServer.startSipServerIn({ thread: 'worker', ...opts })
      : await sipServer.startSipServer(opts);
  const srf = new Srf();
  await new Promise((resolve, reject) => {
    srf.on('connect', (err) => (err ? reject(err) : resolve()));
    srf.connect({ host: '127.0.0.1', port: server.control.port, secret: 'bench-secret' });
  });
  srf.register((req, res) =>
    res.send(200, { headers: { Contact: req.get('Contact'), Expires: '600' } }),
  );
  await server.whenRouted(['register']);
  process.on('message', async (m) => {
    if (m.type === 'mem') {
      if (global.gc) {
        global.gc();
        global.gc();
      }
      const u = process.memoryUsage();
      const s = await server.stats();
      process.send({
        type: 'mem',
        // With the server in a worker, its heap is the worker's: heapUsed is the app's alone.
        thread: THREAD,
        rss: u.rss,
        heap: u.heapUsed,
        external: u.external + u.arrayBuffers,
        // Older builds have no completedTransactions: their answered ones are live transactions.
        transactions: s.serverTransactions + (s.completedTransactions ?? 0),
        // Newer builds keep answered transactions in a ring off the JS heap: its bytes in use.
        ringBytes: s.completedTransactionBytes,
        completed: s.completedTransactions ?? 0,
      });
    } else if (m.type === 'exit') {
      srf.disconnect();
      await server.stop();
      process.exit(0);
    }
  });
  process.send({ type: 'ready' });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
