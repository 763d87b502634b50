/**
 * Whether a phone's SDP uses SRTP with SDES keys (RFC 4568): an RTP/SAVP audio stream, or one with
 * `a=crypto` (best-effort SRTP on RTP/AVP). A phone that sent such SDP gets SRTP offers from the
 * media server (hold music, conference), since it may refuse plain RTP.
 */
import { parse } from 'sdp-transform';

export function isSrtpSdp(sdp: string | undefined): boolean {
  if (!sdp) return false;
  try {
    const audio = parse(sdp).media?.find((m) => m.type === 'audio' && m.port !== 0);
    if (!audio) return false;
    return audio.protocol === 'RTP/SAVP' || (audio.crypto?.length ?? 0) > 0;
  } catch {
    return false;
  }
}
