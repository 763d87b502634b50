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

/**
 * A parsed header that the receive path reuses for every packet (no object, view or DataView per
 * datagram): the payload is `buf[payloadStart, payloadEnd)` of the datagram just parsed.
 */
export interface RtpHeaderView extends Omit<RtpPacket, 'payload'> {
  payloadStart: number;
  payloadEnd: number;
}

/** A blank view for `parseRtpHeader` to fill. */
export function newRtpHeaderView(): RtpHeaderView {
  return {
    marker: false,
    payloadType: 0,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0,
    payloadStart: 0,
    payloadEnd: 0,
  };
}

const u16 = (b: Uint8Array, i: number): number => ((b[i] as number) << 8) | (b[i + 1] as number);
const u32 = (b: Uint8Array, i: number): number =>
  (((b[i] as number) << 24) |
    ((b[i + 1] as number) << 16) |
    ((b[i + 2] as number) << 8) |
    (b[i + 3] as number)) >>>
  0;

/**
 * Parses one RTP datagram into `out` (version 2, CSRCs, header extension and padding honoured);
 * returns undefined when it is valid, else why not (then `out` is unspecified). Allocates nothing.
 */
export function parseRtpHeader(buf: Uint8Array, out: RtpHeaderView): string | undefined {
  if (buf.length < 12) return 'shorter than the RTP header';
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  if (b0 >> 6 !== 2) return 'not RTP version 2';
  const pt = b1 & 0x7f;
  // RFC 5761 4: payload types 72-76 with the marker bit are RTCP packet types 200-204.
  if (pt >= 72 && pt <= 76) return 'RTCP on the RTP port';
  let offset = 12 + (b0 & 0x0f) * 4;
  if (offset > buf.length) return 'truncated CSRC list';
  if (b0 & 0x10) {
    if (offset + 4 > buf.length) return 'truncated header extension';
    offset += 4 + u16(buf, offset + 2) * 4;
    if (offset > buf.length) return 'truncated header extension';
  }
  let end = buf.length;
  if (b0 & 0x20) {
    const pad = buf[buf.length - 1] as number;
    if (pad === 0 || end - pad < offset) return 'bad padding';
    end -= pad;
  }
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = pt;
  out.sequenceNumber = u16(buf, 2);
  out.timestamp = u32(buf, 4);
  out.ssrc = u32(buf, 8);
  out.payloadStart = offset;
  out.payloadEnd = end;
  return undefined;
}

/** Parses one RTP datagram: version 2, CSRCs, header extension and padding are honoured. */
export function parseRtp(buf: Uint8Array): RtpParseResult {
  const h = newRtpHeaderView();
  const error = parseRtpHeader(buf, h);
  if (error !== undefined) return { ok: false, error };
  return {
    ok: true,
    packet: {
      marker: h.marker,
      payloadType: h.payloadType,
      sequenceNumber: h.sequenceNumber,
      timestamp: h.timestamp,
      ssrc: h.ssrc,
      payload: buf.subarray(h.payloadStart, h.payloadEnd),
    },
  };
}

/** Size of the header `writeRtpHeader` writes (no CSRC, no extension). */
export const RTP_HEADER_SIZE = 12;

/** Writes a 12-byte header at the start of `buf`. */
export function writeRtpHeader(buf: Uint8Array, h: Omit<RtpPacket, 'payload'>): void {
  writeRtpHeaderFields(buf, h.marker, h.payloadType, h.sequenceNumber, h.timestamp, h.ssrc);
}

/** `writeRtpHeader` without a header object: the send path calls it for every packet. */
export function writeRtpHeaderFields(
  buf: Uint8Array,
  marker: boolean,
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
): void {
  buf[0] = 0x80;
  buf[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  buf[2] = (sequenceNumber >> 8) & 0xff;
  buf[3] = sequenceNumber & 0xff;
  const ts = timestamp >>> 0;
  buf[4] = ts >>> 24;
  buf[5] = (ts >>> 16) & 0xff;
  buf[6] = (ts >>> 8) & 0xff;
  buf[7] = ts & 0xff;
  const s = ssrc >>> 0;
  buf[8] = s >>> 24;
  buf[9] = (s >>> 16) & 0xff;
  buf[10] = (s >>> 8) & 0xff;
  buf[11] = s & 0xff;
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
