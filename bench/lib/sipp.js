'use strict';
// Runs sipp for load and reads its final statistics (successful/failed calls, elapsed time).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const dgram = require('node:dgram');

function freePort() {
  return new Promise((resolve, reject) => {
    const tryOne = () => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address();
        srv.close(() => {
          const u = dgram.createSocket('udp4');
          u.once('error', () => {
            u.close();
            tryOne();
          });
          u.bind(port, '127.0.0.1', () => u.close(() => resolve(port)));
        });
      });
    };
    tryOne();
  });
}

/** Runs sipp to completion; resolves { code, successful, failed, elapsedMs, stderr }. */
function runSipp(args, { timeoutMs = 120000 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sipp-'));
  const statFile = path.join(dir, 'stat.csv');
  const full = [
    '-i',
    '127.0.0.1',
    '-mi',
    '127.0.0.1',
    '-nostdin',
    '-buff_size',
    '4194304',
    '-trace_stat',
    '-stf',
    statFile,
    '-fd',
    '1',
    ...args,
  ];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('sipp', full, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.on('data', () => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const elapsedMs = Date.now() - started;
      let successful = 0;
      let failed = 0;
      try {
        const lines = fs.readFileSync(statFile, 'utf8').trim().split('\n');
        const head = lines[0].split(';');
        const last = lines[lines.length - 1].split(';');
        successful = Number(last[head.indexOf('SuccessfulCall(C)')]);
        failed = Number(last[head.indexOf('FailedCall(C)')]);
      } catch {
        failed = -1; /* sipp did not run: see stderr */
      }
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code, successful, failed, elapsedMs, stderr });
    });
  });
}

/** Starts a background sipp (e.g. a UAS); returns { done, stop }. */
function startSipp(args) {
  const child = spawn(
    'sipp',
    ['-i', '127.0.0.1', '-mi', '127.0.0.1', '-nostdin', '-buff_size', '4194304', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const done = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    done,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return done;
    },
  };
}

/**
 * sipp arguments for station-to-station calls (scenarios/uac-station-call.xml): callers and
 * callees from the CSV `inf`, `total` calls at `rate` per second, at most `limit` at once, each
 * held `holdMs`, the whole run bounded by `timeoutS`.
 */
function stationCallArgs({ scenDir, sipPort, uacPort, inf, holdMs, rate, total, limit, timeoutS }) {
  return [
    '-sf',
    path.join(scenDir, 'uac-station-call.xml'),
    `127.0.0.1:${sipPort}`,
    '-p',
    String(uacPort),
    '-inf',
    inf,
    '-d',
    String(holdMs),
    '-r',
    String(rate),
    '-rp',
    '1000',
    '-m',
    String(total),
    '-l',
    String(limit),
    '-timeout',
    `${timeoutS}s`,
  ];
}

module.exports = { freePort, runSipp, startSipp, stationCallArgs };
