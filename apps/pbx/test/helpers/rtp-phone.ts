/**
 * A minimal RTP "phone" for media tests: one UDP socket on 127.0.0.1 that offers/answers PCMU,
 * keeps every RTP packet it receives (arrival time, payload type, payload) and can send a tone.
 * What it heard is decoded and checked by frequency (packages/media-server/test/helpers/audio.ts).
 */
import dgram from 'node:dgram';
import { decodeG711, encodeG711 } from '../../../../packages/media-server/src/media';
import { sine } from '../../../../packages/media-server/test/helpers/audio';

export interface HeardPacket {
  readonly at: number;
  readonly pt: number;
  readonly payload: Buffer;
}

export interface RtpPhone {
  readonly port: number;
  readonly packets: HeardPacket[];
  /** SDP for this phone (offer or answer: PCMU + telephone-event). */
  sdp(direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'): string;
  /** PCMU samples received at or after `since` (ms, Date.now()), in arrival order. */
  samplesSince(since: number, until?: number): Int16Array;
  /** Resolves once `ms` worth of PCMU (ms / 20 packets) arrived after `since`; rejects after `withinMs`. */
  waitForAudio(since: number, ms: number, withinMs?: number): Promise<void>;
  /** Sends a tone as PCMU every 20 ms to `address:port` until the returned stop() is called. */
  sendTone(freq: number, to: { address: string; port: number }): () => void;
  close(): Promise<void>;
}

/** The `c=` address and `m=audio` port of an SDP. */
export function mediaAddress(sdp: string): { address: string; port: number } {
  const address = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
  const port = /^m=audio (\d+)/m.exec(sdp)?.[1];
  if (!address || !port) throw new Error(`no audio address in SDP:\n${sdp}`);
  return { address, port: Number(port) };
}

export async function startRtpPhone(): Promise<RtpPhone> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const packets: HeardPacket[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (msg) => {
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
    const cc = msg[0]! & 0x0f;
    packets.push({ at: Date.now(), pt: msg[1]! & 0x7f, payload: msg.subarray(12 + cc * 4) });
    for (const w of [...waiters]) w();
  });
  const timers = new Set<NodeJS.Timeout>();
  const version = { n: 1 };
  const samplesSince = (since: number, until = Infinity): Int16Array => {
    const chunks = packets
      .filter((p) => p.pt === 0 && p.at >= since && p.at <= until)
      .map((p) => decodeG711('PCMU', p.payload));
    const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  };
  return {
    port,
    packets,
    sdp(direction = 'sendrecv') {
      version.n += 1;
      return [
        'v=0',
        `o=rtp-phone 1 ${version.n} IN IP4 127.0.0.1`,
        's=-',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        `m=audio ${port} RTP/AVP 0 101`,
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        `a=${direction}`,
        '',
      ].join('\r\n');
    },
    samplesSince,
    waitForAudio(since, ms, withinMs = 5_000) {
      const enough = (): boolean => samplesSince(since).length >= (ms / 1000) * 8000;
      if (enough()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!enough()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${ms} ms of audio on port ${port} within ${withinMs} ms`));
        }, withinMs);
        waiters.add(check);
      });
    },
    sendTone(freq, to) {
      const samples = sine(freq, 1000);
      let seq = 0;
      let ts = 0;
      const ssrc = Math.floor(Math.random() * 0xffffffff);
      const timer = setInterval(() => {
        const frame = samples.subarray((seq % 50) * 160, (seq % 50) * 160 + 160);
        const header = Buffer.alloc(12);
        header[0] = 0x80;
        header[1] = 0;
        header.writeUInt16BE(seq & 0xffff, 2);
        header.writeUInt32BE(ts >>> 0, 4);
        header.writeUInt32BE(ssrc, 8);
        socket.send(
          Buffer.concat([header, Buffer.from(encodeG711('PCMU', frame))]),
          to.port,
          to.address,
        );
        seq += 1;
        ts += 160;
      }, 20);
      timers.add(timer);
      return () => {
        clearInterval(timer);
        timers.delete(timer);
      };
    },
    close() {
      for (const t of timers) clearInterval(t);
      return new Promise((resolve) => socket.close(() => resolve()));
    },
  };
}
