/**
 * SRTP (RFC 3711) for one RTP session with SDES keys (RFC 4568), on werift-rtp's SRTP contexts:
 * AES_CM_128_HMAC_SHA1_80, the suite OfficeServ and most desk phones use. Our sending key and the
 * far end's are fixed for the life of one transform; a re-keyed SDP makes a new transform.
 */
import { ProtectionProfileAes128CmHmacSha1_80, RtpPacket, SrtpSession } from 'werift-rtp';
import type { SrtpKeys } from './types';

/** Master key (16 bytes) and salt (14 bytes) of AES_CM_128_HMAC_SHA1_80, base64 of both. */
export const SRTP_KEY_BYTES = 16;
export const SRTP_SALT_BYTES = 14;

function split(base64: string): { key: Buffer; salt: Buffer } {
  const raw = Buffer.from(base64, 'base64');
  if (raw.length !== SRTP_KEY_BYTES + SRTP_SALT_BYTES)
    throw new RangeError(`SRTP key material must be 30 bytes, got ${raw.length}`);
  return { key: raw.subarray(0, SRTP_KEY_BYTES), salt: raw.subarray(SRTP_KEY_BYTES) };
}

export class SrtpTransform {
  private readonly session: SrtpSession;

  /** Throws RangeError for key material of the wrong size. */
  constructor(readonly keys: SrtpKeys) {
    const local = split(keys.localKey);
    const remote = split(keys.remoteKey);
    this.session = new SrtpSession({
      profile: ProtectionProfileAes128CmHmacSha1_80,
      keys: {
        localMasterKey: local.key,
        localMasterSalt: local.salt,
        remoteMasterKey: remote.key,
        remoteMasterSalt: remote.salt,
      },
    });
  }

  /** Same keys as `keys` (a re-INVITE that kept them keeps the rollover state too). */
  matches(keys: SrtpKeys): boolean {
    return this.keys.localKey === keys.localKey && this.keys.remoteKey === keys.remoteKey;
  }

  /** Encrypts and authenticates one plain RTP packet. */
  protect(rtp: Buffer): Buffer {
    const packet = RtpPacket.deSerialize(rtp);
    return this.session.encrypt(packet.payload, packet.header);
  }

  /** The plain RTP packet of an SRTP one, or undefined when it fails authentication. */
  unprotect(srtp: Buffer): Buffer | undefined {
    try {
      return this.session.decrypt(srtp);
    } catch {
      return undefined;
    }
  }
}
