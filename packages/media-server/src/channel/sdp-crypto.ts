/**
 * SDES (RFC 4568) for the channel SDP: picking the far end's `a=crypto` line we can use, making
 * our own key, and the line that carries it. Only AES_CM_128_HMAC_SHA1_80 with one inline key, no
 * MKI and no session parameters; any other line is skipped. Pure functions apart from the random
 * key.
 */
import { randomBytes } from 'node:crypto';
import { SRTP_KEY_BYTES, SRTP_SALT_BYTES } from '../media/srtp-transform';

export const SRTP_SUITE = 'AES_CM_128_HMAC_SHA1_80';

/** One usable `a=crypto` line of the far end. */
export interface RemoteCrypto {
  tag: number;
  /** Base64 master key and salt (30 bytes). */
  key: string;
}

/** Our side of SDES: the tag we answer (or offer) with and our key. */
export interface LocalCrypto {
  tag: number;
  key: string;
  /** The media profile of our m= line: the offer's (RTP/SAVP, or RTP/AVP with best-effort SRTP). */
  profile: string;
}

/** The `a=crypto` lines as sdp-transform gives them. */
export interface CryptoAttribute {
  id: number;
  suite: string;
  config: string;
  sessionConfig?: string;
}

const KEY_PARAMS = /^inline:([A-Za-z0-9+/]+={0,2})(\|[^|:]+)?$/;

/** The first line we can use, in the far end's order of preference; undefined when none. */
export function pickRemoteCrypto(
  lines: readonly CryptoAttribute[] | undefined,
): RemoteCrypto | undefined {
  for (const line of lines ?? []) {
    if (line.suite !== SRTP_SUITE || line.sessionConfig) continue;
    if (!Number.isInteger(line.id) || line.id < 0 || line.id > 999_999_999) continue;
    // One key only (no `;` list), no MKI (`|n:len` after the lifetime).
    const m = KEY_PARAMS.exec(line.config.trim());
    if (!m?.[1]) continue;
    if (Buffer.from(m[1], 'base64').length !== SRTP_KEY_BYTES + SRTP_SALT_BYTES) continue;
    return { tag: line.id, key: m[1] };
  }
  return undefined;
}

/** A fresh master key and salt, base64. */
export function newSrtpKey(): string {
  return randomBytes(SRTP_KEY_BYTES + SRTP_SALT_BYTES).toString('base64');
}

/** Our `a=crypto` attribute for sdp-transform. */
export function cryptoAttribute(c: LocalCrypto): CryptoAttribute {
  return { id: c.tag, suite: SRTP_SUITE, config: `inline:${c.key}` };
}
