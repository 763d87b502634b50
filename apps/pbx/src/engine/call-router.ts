/**
 * Every new INVITE starts here: the caller must be a station registered from the address the
 * INVITE came from (the manual's source check, else 403); an INVITE with `Replaces` is a
 * busy-lamp pickup or a replacement; otherwise the dialled digits are classified (packages/dialplan)
 * and handed to the station call, ring group or feature code runner. Unknown numbers get 404.
 */
import { classify, type Classification } from '@pbx/dialplan';
import type { CallEnv } from './call-env';
import type { CallFeatures } from './call-features';
import type { Party } from './call-registry';
import type { CdrDisposition } from './cdr-writer';
import type { NumberPlanSource } from './number-plan';
import type { IncomingInvite } from './sip-port';
import { assertNever } from '../state/errors';
import { refusesPlainMedia } from './srtp-policy';

export interface RouterDeps {
  readonly env: CallEnv;
  readonly plan: NumberPlanSource;
  /** The feature runners (features/index.ts), injected by the composition root. */
  readonly features: CallFeatures;
}

/** Stations are re-read from the database when an unknown number shows up, at most this often. */
const RELOAD_GAP_MS = 500;

export function createRouter(deps: RouterDeps): (invite: IncomingInvite) => void {
  const { env } = deps;
  let lastReload = 0;

  const knowStations = async (...numbers: string[]): Promise<void> => {
    if (numbers.every((n) => n === '' || env.stations.has(n))) return;
    const now = env.now();
    if (now - lastReload < RELOAD_GAP_MS) return;
    lastReload = now;
    await env.stations.load();
  };

  const refuse = (
    invite: IncomingInvite,
    caller: Party,
    status: number,
    disposition: CdrDisposition,
    note: string,
    answer = true,
  ): void => {
    if (answer) invite.reject(status);
    const now = env.now();
    env.cdr.record({
      callRef: `refused-${invite.callId}`,
      callerTel: caller.number,
      callerName: caller.displayName ?? '',
      dialled: invite.requestUser,
      startAt: now,
      at: now,
      disposition,
      hangupSide: 'system',
      sipStatus: status,
      note,
    });
  };

  const handle = async (invite: IncomingInvite): Promise<void> => {
    const fromUser = invite.from.user ?? '';
    await knowStations(fromUser, invite.requestUser);
    const row = env.stations.row(fromUser);
    const stranger: Party = {
      number: fromUser || invite.from.uri,
      ...(invite.from.displayName ? { displayName: invite.from.displayName } : {}),
    };
    if (!row || !env.registrations.matchesSource(fromUser, invite.source, row.natCheck)) {
      // Not a station: a call from a provider's address is an incoming trunk call.
      if (deps.features.trunks?.incoming(invite)) return;
      env.log.warn(
        {
          from: fromUser,
          source: `${invite.source.address}:${invite.source.port}`,
          dialled: invite.requestUser,
        },
        'call from an address that is no registered station refused',
      );
      refuse(invite, stranger, 403, 'rejected', 'not a registered station address');
      return;
    }
    if (env.inviteAuth && row.challengeInvites) {
      const verdict = await env.inviteAuth.check(invite, fromUser);
      switch (verdict.kind) {
        case 'ok':
          break;
        case 'challenge':
          // A challenge is not a call attempt: no call record.
          invite.reject(407, { headers: verdict.headers });
          return;
        case 'refuse':
          invite.reject(verdict.status, { reason: verdict.reason });
          refuse(invite, stranger, verdict.status, 'rejected', verdict.note, false);
          return;
        case 'drop':
          refuse(invite, stranger, 403, 'rejected', verdict.note, false);
          return;
        default:
          return assertNever(verdict);
      }
    }
    const displayName = row.name || invite.from.displayName;
    const caller: Party & { station: string } = {
      number: fromUser,
      station: fromUser,
      ...(displayName ? { displayName } : {}),
    };

    if (invite.replaces) {
      const refused = await deps.features.replaces(invite, caller, invite.replaces);
      if (refused !== undefined)
        refuse(
          invite,
          caller,
          refused,
          refused === 486 ? 'busy' : 'rejected',
          'Replaces: nothing to take over',
          false,
        );
      return;
    }

    const plan = deps.plan.plan();
    const trunks = deps.features.trunks;
    const classifyPlan = {
      codes: plan.codes,
      isStation: (n: string) => env.stations.has(n),
      isGroup: (n: string) => deps.plan.group(n) !== undefined,
      ...(plan.trunkPrefix !== undefined ? { trunkPrefix: plan.trunkPrefix } : {}),
      ...(plan.authCode !== undefined ? { authCode: plan.authCode } : {}),
      ...(trunks ? { isAuthCode: (code: string) => trunks.isAuthCode(code) } : {}),
    };
    let c: Classification = classify(invite.requestUser, classifyPlan);
    // Insert Trunk Type OUTGOING (the manual): a dialled number longer than 4 digits gets the
    // station's Insert Trunk Port in front. @NOTE applied only to numbers that are nothing else
    // (not a station, group, feature code or already an outside number), so feature codes with
    // a station argument (601205) keep working on such a phone.
    if (
      c.kind === 'unknown' &&
      row.insertTrunkType === 'outgoing' &&
      row.insertTrunkPort !== '' &&
      invite.requestUser.length > 4
    ) {
      c = classify(`${row.insertTrunkPort}${invite.requestUser}`, classifyPlan);
    }
    // @NOTE delayed offer (an INVITE without SDP) is not relayed yet: such calls get 488.
    if (!invite.sdp && c.kind !== 'feature' && c.kind !== 'featureError' && c.kind !== 'unknown') {
      env.log.info({ from: fromUser, dialled: invite.requestUser }, 'INVITE without SDP refused');
      refuse(invite, caller, 488, 'rejected', 'INVITE without SDP (delayed offer) not supported');
      return;
    }
    if (
      invite.sdp &&
      c.kind !== 'feature' &&
      c.kind !== 'featureError' &&
      refusesPlainMedia(env.config.security.srtp, invite.source.protocol, invite.sdp, row.srtp)
    ) {
      env.log.info(
        {
          from: fromUser,
          dialled: invite.requestUser,
          policy: env.config.security.srtp,
          station: row.srtp,
        },
        'plain RTP offer refused: the station must use SRTP',
      );
      refuse(invite, caller, 488, 'rejected', 'SRTP required');
      return;
    }
    switch (c.kind) {
      case 'feature':
      case 'featureError':
        await deps.features.featureCode(invite, caller, c);
        return;
      case 'station':
        deps.features.stationCall(invite, caller, c.number);
        return;
      case 'group': {
        const group = deps.plan.group(c.number);
        if (group) deps.features.groupCall(invite, caller, group);
        else refuse(invite, caller, 404, 'rejected', 'ring group vanished');
        return;
      }
      case 'trunk':
        if (trunks) trunks.outgoing(invite, caller, c);
        else refuse(invite, caller, 404, 'rejected', 'no trunk');
        return;
      case 'authError':
        env.log.info({ from: fromUser, detail: c.detail }, 'auth code dialling refused');
        refuse(invite, caller, 403, 'rejected', `auth code: ${c.detail}`);
        return;
      case 'unknown':
        env.log.info({ from: fromUser, dialled: invite.requestUser }, 'unknown number');
        refuse(invite, caller, 404, 'rejected', 'unknown number');
        return;
    }
  };

  return (invite) => {
    handle(invite).catch((err: unknown) => {
      env.log.error({ err, callId: invite.callId }, 'INVITE handling failed');
      invite.reject(500);
    });
  };
}
