/** RFC 3550 6.4.1 sender report with no report blocks (we do not track reception quality). */
export interface SenderReportInfo {
  ssrc: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  /** Wall clock in ms since 1970 (default Date.now()). */
  nowMs?: number;
}

/** Seconds between 1900 (NTP epoch) and 1970. */
const NTP_OFFSET = 2208988800;

export function buildSenderReport(info: SenderReportInfo): Buffer {
  const buf = Buffer.alloc(28);
  buf[0] = 0x80; // V=2, P=0, RC=0
  buf[1] = 200; // SR
  buf.writeUInt16BE(6, 2); // length in 32-bit words minus one
  buf.writeUInt32BE(info.ssrc >>> 0, 4);
  const ms = info.nowMs ?? Date.now();
  const secs = Math.floor(ms / 1000);
  buf.writeUInt32BE((secs + NTP_OFFSET) >>> 0, 8);
  buf.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32) >>> 0, 12);
  buf.writeUInt32BE(info.rtpTimestamp >>> 0, 16);
  buf.writeUInt32BE(info.packetCount >>> 0, 20);
  buf.writeUInt32BE(info.octetCount >>> 0, 24);
  return buf;
}
