'use strict';
// Kernel-timestamped RTP inter-arrival: tcpdump captures the loopback traffic to a pcap file,
// the kernel stamps each packet when the sender's sendmsg hands it to `lo` (microseconds), and
// the file is read afterwards. No user-space receiver's scheduling is in these numbers.
// Debian package: tcpdump. Loopback only; every capture is bounded in packets and time and its
// process is stopped by PID.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');

const BIN_MS = 0.01; // histogram resolution: 10 µs
const BINS = 20001; // last bin = ≥ 200 ms

/** Path of tcpdump if it runs, else undefined. */
function findTcpdump() {
  for (const bin of ['tcpdump', '/usr/sbin/tcpdump', '/usr/bin/tcpdump']) {
    try {
      execFileSync(bin, ['--version'], { stdio: 'ignore' });
      return bin;
    } catch {
      // try the next spelling
    }
  }
  return undefined;
}

/**
 * Starts tcpdump on `lo` for UDP to the given destination ports. Resolves once it listens, with
 * `stop()` → { file, dropped, captured } (SIGINT by PID, SIGKILL after 5 s).
 * `maxPackets` and `maxMs` bound the capture even if the caller never stops it.
 */
function startCapture({ bin, file, dstPorts, maxPackets, maxMs }) {
  const filter = `udp and (${dstPorts.map((p) => `dst port ${p}`).join(' or ')})`;
  const args = [
    '-i',
    'lo',
    '-n',
    '-p',
    '-s',
    '64', // link + IP + UDP + RTP header
    '-B',
    '65536', // KiB of kernel ring: no drops at ~100k packets/s
    '--time-stamp-precision=micro',
    '-c',
    String(maxPackets),
    '-w',
    file,
    filter,
  ];
  const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = false;
  const exit = new Promise((resolve) =>
    proc.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const guard = setTimeout(() => proc.kill('SIGKILL'), maxMs);
  proc.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const ready = setInterval(() => {
      if (/listening on/.test(stderr)) {
        clearInterval(ready);
        resolve({ pid: proc.pid, stop });
      } else if (exited) {
        clearInterval(ready);
        clearTimeout(guard);
        reject(new Error(`tcpdump exited: ${stderr.trim()}`));
      }
    }, 20);
  });

  async function stop() {
    if (!exited) {
      proc.kill('SIGINT'); // tcpdump flushes the file and prints its counters
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(killer);
    }
    clearTimeout(guard);
    const num = (re) => Number((stderr.match(re) ?? [])[1] ?? NaN);
    return {
      file,
      captured: num(/(\d+) packets? captured/),
      dropped: num(/(\d+) packets? dropped by kernel/),
    };
  }
}

/** Offset of the IPv4 header for a pcap link type. */
function linkHeader(linkType) {
  if (linkType === 1) return 14; // Ethernet (Linux lo)
  if (linkType === 113) return 16; // Linux cooked v1
  if (linkType === 276) return 20; // Linux cooked v2
  if (linkType === 0) return 4; // BSD loopback
  throw new Error(`pcap link type ${linkType} not handled`);
}

/**
 * Reads a pcap file and returns per-group inter-arrival statistics. `groupOf(dstPort)` names the
 * group of a packet (or undefined to ignore it). Streams are keyed by RTP SSRC; RTCP and non-RTP
 * datagrams are skipped. Deviation = |Δ − 20 ms| between consecutive packets of one stream.
 */
function analyse(file, groupOf, frameMs = 20) {
  const buf = fs.readFileSync(file);
  if (buf.length < 24) return {};
  const magic = buf.readUInt32LE(0);
  let le = true;
  let nano = false;
  if (magic === 0xa1b2c3d4) nano = false;
  else if (magic === 0xa1b23c4d) nano = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    le = false;
    nano = magic === 0x4d3cb2a1;
  } else throw new Error(`${file}: not a pcap file`);
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const ipAt = linkHeader(u32(20) & 0xffff);
  const groups = {};
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const p = off + 16;
    off = p + incl;
    if (off > buf.length) break; // truncated last record (killed writer)
    const ip = p + ipAt;
    if (incl < ipAt + 20 || buf[ip] >> 4 !== 4 || buf[ip + 9] !== 17) continue;
    const udp = ip + (buf[ip] & 0x0f) * 4;
    const rtp = udp + 8;
    if (rtp + 12 > p + incl) continue;
    const group = groupOf(buf.readUInt16BE(udp + 2));
    if (group === undefined) continue;
    const pt = buf[rtp + 1] & 0x7f;
    if (buf[rtp] >> 6 !== 2 || (pt >= 72 && pt <= 76)) continue; // not RTP, or RTCP
    const ms = sec * 1000 + frac / (nano ? 1e6 : 1e3);
    const g = (groups[group] ??= { last: new Map(), hist: new Uint32Array(BINS), max: 0 });
    const ssrc = buf.readUInt32BE(rtp + 8);
    const prev = g.last.get(ssrc);
    g.last.set(ssrc, ms);
    if (prev === undefined) continue;
    const dev = Math.abs(ms - prev - frameMs);
    if (dev > g.max) g.max = dev;
    g.hist[Math.min(BINS - 1, Math.floor(dev / BIN_MS + 1e-9))]++;
  }
  const out = {};
  for (const [name, g] of Object.entries(groups)) {
    const total = g.hist.reduce((a, b) => a + b, 0);
    const q = (f) => {
      let acc = 0;
      for (let i = 0; i < BINS; i++) {
        acc += g.hist[i];
        if (acc >= f * total) return i * BIN_MS;
      }
      return Infinity;
    };
    out[name] = {
      streams: g.last.size,
      intervals: total,
      p50: q(0.5),
      p99: q(0.99),
      p999: q(0.999),
      max: g.max,
    };
  }
  return out;
}

module.exports = { findTcpdump, startCapture, analyse };
