/**
 * Digest authentication of INVITEs (RFC 3261 §22.3, proxy style: 407 + Proxy-Authenticate, the
 * phone answers with Proxy-Authorization) for stations with `challengeInvites` on. The same
 * nonces, credentials and Comm Exclusive counters as REGISTER: a wrong password on an INVITE is a
 * failure like one on a REGISTER, and goes to the access log.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccessLogRepo } from '@pbx/store';
import type { InviteAuthenticator, InviteAuthResult } from '../engine/invite-auth';
import type { IncomingInvite } from '../engine/sip-port';
import type { CommExclusive } from './comm-exclusive';
import type { CredentialDirectory } from './credential-directory';
import {
  checkDigestForm,
  formatChallenge,
  nonceCount,
  parseDigestCredentials,
  sameDigestUri,
  verifyDigest,
} from './digest';
import type { NonceService } from './nonce';

export interface InviteAuthDeps {
  directory: CredentialDirectory;
  nonces: NonceService;
  comm: CommExclusive;
  accessLog: Pick<AccessLogRepo, 'add'>;
  realm: () => string;
  mode: () => 'response' | 'no-response';
  log: Logger;
  now: () => number;
}

/** Access log reasons of refused INVITEs. */
export const INVITE_AUTH_REASON = {
  password: 'SIP INVITE PASSWORD Invalid (407 challenge)',
  user: 'SIP INVITE USER ID Invalid (407 challenge)',
  uri: 'SIP INVITE refused (digest uri is not the Request-URI)',
} as const;

export class DigestInviteAuthenticator implements InviteAuthenticator {
  private readonly opaque = randomBytes(8).toString('hex');

  constructor(private readonly deps: InviteAuthDeps) {}

  async check(invite: IncomingInvite, station: string): Promise<InviteAuthResult> {
    const { nonces, log } = this.deps;
    const now = this.deps.now();
    const realm = this.deps.realm();
    // One station turned away at an address other phones share (Comm Exclusive).
    const admission = this.deps.comm.stationAdmission(invite.source.address, station, now);
    if (admission !== 'ok')
      return admission === 'drop'
        ? { kind: 'drop', note: 'station blocked at a shared address' }
        : { kind: 'refuse', status: 403, reason: 'Forbidden', note: 'station blocked' };
    const header = invite.header('Proxy-Authorization');
    if (header === undefined) return this.challenge(realm, now, false);
    const creds = parseDigestCredentials(header);
    if (!creds || creds.realm !== realm || checkDigestForm(creds) !== undefined) {
      log.debug({ station }, 'unusable INVITE credentials, challenging again');
      return this.challenge(realm, now, false);
    }
    const nonce = nonces.check(creds.nonce, now);
    if (nonce.kind === 'invalid') return this.challenge(realm, now, false);
    if (nonce.kind === 'stale') return this.challenge(realm, now, true);
    if (!sameDigestUri(creds.uri, invite.requestUri))
      return this.refuse(invite, station, 400, INVITE_AUTH_REASON.uri, now);
    const entry = await this.deps.directory.lookup(station);
    if (!entry || creds.username !== entry.credentials.userId)
      return this.refuse(invite, station, 403, INVITE_AUTH_REASON.user, now);
    if (!verifyDigest(entry.credentials.ha1, 'INVITE', creds))
      return this.refuse(invite, station, 403, INVITE_AUTH_REASON.password, now);
    const use = nonces.use(nonce, nonceCount(creds));
    if (use === 'replayed') {
      log.warn({ station }, 'INVITE digest nonce count replayed, challenging again');
      return this.challenge(realm, now, false);
    }
    if (use === 'forgotten') return this.challenge(realm, now, true);
    this.deps.comm.recordSuccess(invite.source.address, station, now);
    return { kind: 'ok' };
  }

  private challenge(realm: string, now: number, stale: boolean): InviteAuthResult {
    const nonce = this.deps.nonces.issue(now);
    return {
      kind: 'challenge',
      headers: {
        'Proxy-Authenticate': formatChallenge({ realm, nonce, opaque: this.opaque, stale }),
      },
    };
  }

  private async refuse(
    invite: IncomingInvite,
    station: string,
    status: number,
    reason: string,
    now: number,
  ): Promise<InviteAuthResult> {
    const { address: ip, port } = invite.source;
    // Counted before any write, so a flood's next request already meets the block.
    const verdict = this.deps.comm.countFailure(ip, port, station, now);
    if (verdict.kind === 'already-blocked' && this.deps.mode() === 'no-response')
      return { kind: 'drop', note: reason };
    if (verdict.kind !== 'already-blocked') {
      this.deps.log.warn({ ip, port, station, reason }, 'INVITE authentication refused');
      await this.deps.accessLog.add({ at: now, ip, port, callerId: station, reason });
    }
    if (verdict.kind === 'blocked') {
      await verdict.persist();
      if (this.deps.mode() === 'no-response') return { kind: 'drop', note: reason };
    }
    return {
      kind: 'refuse',
      status,
      reason: status === 400 ? 'Digest URI Mismatch' : 'Forbidden',
      note: reason,
    };
  }
}
