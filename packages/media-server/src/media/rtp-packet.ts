/**
 * RTP fixed header (RFC 3550 5.1) and RFC 4733 telephone-event payload codecs. Pure functions on
 * bytes; parsing untrusted datagrams returns a result instead of throwing.
 */

/** A parsed RTP packet; `payload` is a view into the datagram (no copy). */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; error: string };

/** Parses one RTP datagram: version 2, CSRCs, header extension and padding are honoured. */
export function parseRtp(buf: Uint8Array): RtpParseResult {
  if (buf.length < 12) return { ok: false, error: 'shorter than the RTP header' };
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  if (b0 >> 6 !== 2) return { ok: false, error: 'not RTP version 2' };
  const pt = b1 & 0x7f;
  // RFC 5761 4: payload types 72-76 with the marker bit are RTCP packet types 200-204.
  if (pt >= 72 && pt <= 76) return { ok: false, error: 'RTCP on the RTP port' };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let offset = 12 + (b0 & 0x0f) * 4;
  if (offset > buf.length) return { ok: false, error: 'truncated CSRC list' };
  if (b0 & 0x10) {
    if (offset + 4 > buf.length) return { ok: false, error: 'truncated header extension' };
    offset += 4 + view.getUint16(offset + 2) * 4;
    if (offset > buf.length) return { ok: false, error: 'truncated header extension' };
  }
  let end = buf.length;
  if (b0 & 0x20) {
    const pad = buf[buf.length - 1] as number;
    if (pad === 0 || end - pad < offset) return { ok: false, error: 'bad padding' };
    end -= pad;
  }
  return {
    ok: true,
    packet: {
      marker: (b1 & 0x80) !== 0,
      payloadType: pt,
      sequenceNumber: view.getUint16(2),
      timestamp: view.getUint32(4),
      ssrc: view.getUint32(8),
      payload: buf.subarray(offset, end),
    },
  };
}

/** Size of the header `writeRtpHeader` writes (no CSRC, no extension). */
export const RTP_HEADER_SIZE = 12;

/** Writes a 12-byte header at the start of `buf`. */
export function writeRtpHeader(buf: Uint8Array, h: Omit<RtpPacket, 'payload'>): void {
  buf[0] = 0x80;
  buf[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  buf[2] = (h.sequenceNumber >> 8) & 0xff;
  buf[3] = h.sequenceNumber & 0xff;
  const ts = h.timestamp >>> 0;
  buf[4] = ts >>> 24;
  buf[5] = (ts >>> 16) & 0xff;
  buf[6] = (ts >>> 8) & 0xff;
  buf[7] = ts & 0xff;
  const ssrc = h.ssrc >>> 0;
  buf[8] = ssrc >>> 24;
  buf[9] = (ssrc >>> 16) & 0xff;
  buf[10] = (ssrc >>> 8) & 0xff;
  buf[11] = ssrc & 0xff;
}

/** Serialises a whole packet into a new buffer. */
export function serializeRtp(p: RtpPacket): Uint8Array {
  const buf = new Uint8Array(RTP_HEADER_SIZE + p.payload.length);
  writeRtpHeader(buf, p);
  buf.set(p.payload, RTP_HEADER_SIZE);
  return buf;
}

/** RFC 4733 2.3 event payload. */
export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  const b1 = payload[1] as number;
  return {
    event: payload[0] as number,
    end: (b1 & 0x80) !== 0,
    volume: b1 & 0x3f,
    duration: ((payload[2] as number) << 8) | (payload[3] as number),
  };
}

export function serializeTelephoneEvent(e: TelephoneEvent): Uint8Array {
  const duration = Math.min(0xffff, Math.max(0, e.duration));
  return Uint8Array.of(
    e.event & 0xff,
    (e.end ? 0x80 : 0) | (e.volume & 0x3f),
    duration >> 8,
    duration & 0xff,
  );
}

const DIGITS = '0123456789*#ABCD';

/** RFC 4733 3.2: events 0-15 are the DTMF digits 0-9 * # A-D. */
export function eventToDigit(event: number): string | undefined {
  return DIGITS[event];
}

export function digitToEvent(digit: string): number | undefined {
  const i = DIGITS.indexOf(digit.toUpperCase());
  return i < 0 || digit.length !== 1 ? undefined : i;
}
