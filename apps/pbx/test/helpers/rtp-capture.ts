/**
 * What phones hear, taken off the wire: tcpdump captures the RTP sent to the phones' ports on
 * `lo` (the kernel's copy, so no phone's own recorder is involved: baresip's stops after a
 * re-INVITE), and the capture is decoded per destination port (G.711 µ-law and A-law). Loopback
 * only; the capture is bounded in time and stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { decodeG711 } from '../../../../packages/media-server/src/media';

/** One RTP packet of the capture. */
export interface CapturedRtp {
  /** Capture time, ms since the epoch (kernel timestamp). */
  readonly at: number;
  readonly dstPort: number;
  /** The sender's port (media server, or which phone). */
  readonly srcPort: number;
  readonly pt: number;
  readonly payload: Buffer;
  /** The whole datagram (header and payload: what SRTP authenticates). */
  readonly packet: Buffer;
}

export interface RtpCapture {
  /** Stops tcpdump and reads the file. */
  stop(): Promise<CapturedRtp[]>;
}

/**
 * Starts tcpdump on `lo` for UDP to the given port ranges; resolves once it listens. Needs
 * tcpdump and the right to capture (root, as the test machines run).
 */
export async function startRtpCapture(opts: {
  file: string;
  ranges: ReadonlyArray<readonly [number, number]>;
  maxMs?: number;
}): Promise<RtpCapture> {
  const filter = `udp and (${opts.ranges.map(([a, b]) => `dst portrange ${a}-${b}`).join(' or ')})`;
  const proc: ChildProcess = spawn(
    'tcpdump',
    ['-i', 'lo', '-n', '-p', '-U', '-s', '0', '-B', '16384', '-w', opts.file, filter],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const guard = setTimeout(() => proc.kill('SIGKILL'), opts.maxMs ?? 120_000);
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      stderr += d.toString();
      if (/listening on/.test(stderr)) resolve();
    };
    proc.stderr?.on('data', onData);
    proc.once('error', (err) => reject(new Error(`tcpdump could not start: ${err.message}`)));
    proc.once('exit', (code) => reject(new Error(`tcpdump exited (${String(code)}): ${stderr}`)));
  });
  return {
    async stop() {
      if (proc.exitCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGINT');
      await exited;
      clearTimeout(guard);
      return readPcap(fs.readFileSync(opts.file));
    },
  };
}

/** Parses a pcap file of Ethernet (Linux `lo`) or raw IPv4 frames into RTP packets. */
export function readPcap(buf: Buffer): CapturedRtp[] {
  if (buf.length < 24) return [];
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const u32 = (at: number): number => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const linkType = u32(20);
  const out: CapturedRtp[] = [];
  let at = 24;
  while (at + 16 <= buf.length) {
    const sec = u32(at);
    const frac = u32(at + 4);
    const len = u32(at + 8);
    const data = buf.subarray(at + 16, at + 16 + len);
    at += 16 + len;
    if (data.length < len) break; // the last record, still being written
    let ip = linkType === 1 ? 14 : 0;
    if (linkType === 1 && data.readUInt16BE(12) !== 0x0800) continue;
    if (data.length < ip + 20 || data[ip]! >> 4 !== 4 || data[ip + 9] !== 17) continue;
    ip += (data[ip]! & 0x0f) * 4;
    const srcPort = data.readUInt16BE(ip);
    const dstPort = data.readUInt16BE(ip + 2);
    const rtp = data.subarray(ip + 8);
    if (rtp.length < 12 || rtp[0]! >> 6 !== 2) continue;
    const pt = rtp[1]! & 0x7f;
    if (pt >= 72 && pt <= 76) continue; // RTCP
    const cc = rtp[0]! & 0x0f;
    out.push({
      at: sec * 1000 + (nanos ? frac / 1e6 : frac / 1000),
      dstPort,
      srcPort,
      pt,
      payload: rtp.subarray(12 + cc * 4),
      packet: rtp,
    });
  }
  return out;
}

/** The audio sent to ports `from..to` between `since` and `until`, decoded to 8 kHz samples. */
export function heardOn(
  packets: readonly CapturedRtp[],
  range: readonly [number, number],
  since = 0,
  until = Infinity,
): Int16Array {
  return heardFrom(packets, range, [0, 65535], since, until);
}

/** As {@link heardOn}, counting only what was sent from ports `sources` (one sender's audio). */
export function heardFrom(
  packets: readonly CapturedRtp[],
  [from, to]: readonly [number, number],
  sources: readonly [number, number],
  since = 0,
  until = Infinity,
): Int16Array {
  const chunks = packets
    .filter((p) => p.dstPort >= from && p.dstPort <= to && p.at >= since && p.at <= until)
    .filter((p) => p.srcPort >= sources[0] && p.srcPort <= sources[1])
    .filter((p) => p.pt === 0 || p.pt === 8)
    .map((p) => decodeG711(p.pt === 0 ? 'PCMU' : 'PCMA', p.payload));
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let i = 0;
  for (const c of chunks) {
    out.set(c, i);
    i += c.length;
  }
  return out;
}
