/**
 * SDP offer/answer for a channel (spec §5.1–5.2) with sdp-transform: G.711 only, RFC 4733
 * `telephone-event/8000`, ptime 20, hold directions. Pure functions.
 */
import * as sdpTransform from 'sdp-transform';
import type { AudioCodec, MediaDirection, RemoteMedia } from '../media/types';
import {
  cryptoAttribute,
  pickRemoteCrypto,
  type LocalCrypto,
  type RemoteCrypto,
} from './sdp-crypto';

const STATIC: Record<string, AudioCodec> = {
  PCMU: { name: 'PCMU', payloadType: 0, clockRate: 8000 },
  PCMA: { name: 'PCMA', payloadType: 8, clockRate: 8000 },
};

export interface LocalSdpState {
  sessionId: number;
  version: number;
  address: string;
  port: number;
  username: string;
  /** SDES: our key and the profile of our m= line; absent for plain RTP. */
  crypto?: LocalCrypto;
}

export type OfferResult =
  | {
      ok: true;
      remote: RemoteMedia;
      codec: AudioCodec;
      telephoneEvent?: number;
      remoteDirection: MediaDirection;
      /** The m= line's profile (`RTP/AVP`, `RTP/SAVP`). */
      profile: string;
      /** The far end's SDES key we use, when it offered (or answered) one. */
      crypto?: RemoteCrypto;
    }
  | { ok: false; reason: 'unparsable' | 'no-audio' | 'srtp' | 'no-common-codec' };

function asDirection(v: string | undefined): MediaDirection {
  return v === 'sendonly' || v === 'recvonly' || v === 'inactive' ? v : 'sendrecv';
}

/** Our direction for the far end's direction (their sendonly → our recvonly). */
export function answerDirection(remote: MediaDirection): MediaDirection {
  if (remote === 'sendonly') return 'recvonly';
  if (remote === 'recvonly') return 'sendonly';
  return remote;
}

/** Reads an offer (or an answer to our offer): first common codec, honouring `codecString`. */
export function readRemoteSdp(text: string, codecString?: string): OfferResult {
  let parsed: sdpTransform.SessionDescription;
  try {
    parsed = sdpTransform.parse(text);
  } catch {
    return { ok: false, reason: 'unparsable' };
  }
  const audio =
    parsed.media?.find((m) => m.type === 'audio' && m.port !== 0) ??
    parsed.media?.find((m) => m.type === 'audio');
  if (!audio) return { ok: false, reason: 'no-audio' };
  // SDES SRTP (RFC 4568) is served; DTLS-SRTP (UDP/TLS/RTP/SAVP) and SAVPF are not.
  const crypto = pickRemoteCrypto(audio.crypto);
  if (/SAVP/.test(audio.protocol) && (audio.protocol !== 'RTP/SAVP' || !crypto))
    return { ok: false, reason: 'srtp' };
  const pts = String(audio.payloads ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  const nameOf = (pt: number): string | undefined => {
    const r = audio.rtp.find((x) => x.payload === pt);
    if (r) return r.codec.toUpperCase();
    return pt === 0 ? 'PCMU' : pt === 8 ? 'PCMA' : undefined;
  };
  const allowed = (codecString ?? 'PCMU,PCMA').split(',').map((c) => c.trim().toUpperCase());
  let codec: AudioCodec | undefined;
  // The offerer's order decides, restricted to what codec_string allows (greedy negotiation).
  for (const pt of pts) {
    const name = nameOf(pt);
    if (name && STATIC[name] && allowed.includes(name)) {
      codec = { ...STATIC[name], payloadType: pt };
      break;
    }
  }
  if (!codec) return { ok: false, reason: 'no-common-codec' };
  const te = audio.rtp.find(
    (r) => r.codec.toLowerCase() === 'telephone-event' && r.rate === 8000,
  )?.payload;
  const remoteDirection = asDirection(audio.direction ?? parsed.direction);
  const address = audio.connection?.ip ?? parsed.connection?.ip ?? '0.0.0.0';
  const remote: RemoteMedia = {
    address,
    port: audio.port,
    codec,
    telephoneEventPayloadType: te,
    direction: answerDirection(remoteDirection),
  };
  return {
    ok: true,
    remote,
    codec,
    telephoneEvent: te,
    remoteDirection,
    profile: audio.protocol,
    ...(crypto ? { crypto } : {}),
  };
}

/** Our SDP: an answer (one codec) or, with no codec given, the 3PCC offer listing PCMU and PCMA. */
export function buildLocalSdp(
  s: LocalSdpState,
  opts: { codec?: AudioCodec; telephoneEvent?: number; direction?: MediaDirection } = {},
): string {
  const codecs = opts.codec ? [opts.codec] : [STATIC.PCMU!, STATIC.PCMA!];
  const te = opts.telephoneEvent ?? 101;
  const desc: sdpTransform.SessionDescription = {
    version: 0,
    origin: {
      username: s.username,
      sessionId: s.sessionId,
      sessionVersion: s.version,
      netType: 'IN',
      ipVer: 4,
      address: s.address,
    },
    name: s.username,
    connection: { version: 4, ip: s.address },
    timing: { start: 0, stop: 0 },
    media: [
      {
        type: 'audio',
        port: s.port,
        protocol: s.crypto?.profile ?? 'RTP/AVP',
        ...(s.crypto ? { crypto: [cryptoAttribute(s.crypto)] } : {}),
        payloads: [...codecs.map((c) => c.payloadType), te].join(' '),
        rtp: [
          ...codecs.map((c) => ({ payload: c.payloadType, codec: c.name, rate: 8000 })),
          { payload: te, codec: 'telephone-event', rate: 8000 },
        ],
        fmtp: [{ payload: te, config: '0-16' }],
        ptime: 20,
        direction: opts.direction ?? 'sendrecv',
      },
    ],
  };
  return sdpTransform.write(desc);
}
