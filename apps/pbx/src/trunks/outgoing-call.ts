/**
 * A station calls out: the number after the trunk access code (or auth code dialling) goes to
 * the trunks the LCR table gives, one after the other: a 5xx, a 408 or no answer at all within
 * `trunks.inviteTimeout` moves on to the next trunk; any other refusal ends the call. Each trunk
 * gets its caller ID (or anonymous), its codecs, its digest credentials and its outbound proxy;
 * a trunk at its maximum channels is skipped. Prepaid accounts are checked before and cut during
 * the call (billing.ts).
 */
import type { CallEnv } from '../engine/call-env';
import { Call, type Leg, type Party } from '../engine/call-registry';
import {
  answerCaller,
  callerLeg,
  callerStatus,
  dial,
  endCall,
  progressCaller,
  releaseLeg,
  watchCaller,
} from '../engine/call-setup';
import type { OutsideCallerSide as TrunkCallerSide } from '../engine/call-env';
import type { IncomingInvite } from '../engine/sip-port';
import type { Billing } from './billing';
import { offerCodecs } from './codecs';
import type { LiveTrunk, TrunkDirectory } from './directory';
import { chooseRoutes, type RouteChoice } from './lcr';
import { proxyUri, trunkUri } from './registration-client';

export interface OutgoingDeps {
  readonly env: CallEnv;
  readonly directory: TrunkDirectory;
  readonly billing: Billing;
}

/** Calls in progress on a trunk (both directions). */
export function channelsInUse(env: CallEnv, trunk: string): number {
  let n = 0;
  for (const call of env.registry.all()) {
    if (call.ended) continue;
    if ((call.record.trunk ?? call.record.caller.trunk) === trunk) n++;
  }
  return n;
}

/** `From` towards the provider: the trunk's caller ID, or anonymous (RFC 3323 Privacy: id). */
function presentation(t: LiveTrunk): { from: string; headers: Record<string, string> } {
  const domain = t.domain || t.host;
  const number = t.callerId || t.username;
  const identity = `<sip:${number || 'pbx'}@${domain}>`;
  if (t.anonymous)
    return {
      from: '"Anonymous" <sip:anonymous@anonymous.invalid>',
      headers: { Privacy: 'id', 'P-Asserted-Identity': identity },
    };
  return { from: identity, headers: {} };
}

export interface OutgoingRequest {
  /** The caller's INVITE: needed for a new call only (not with `call`). */
  readonly invite?: IncomingInvite;
  readonly caller: Party & { station?: string };
  /** The number after the access code. */
  readonly digits: string;
  readonly authCode?: string;
  /** Diversion header value of a forwarded call leaving on a trunk (RFC 5806). */
  readonly diversion?: string;
  /** The call to continue (a forward to an outside number); else a new one is made. */
  readonly call?: Call;
  /** The offer to send (default: the caller's last SDP). */
  readonly sdp?: string;
  /** The caller's side of the call (default: answer, progress or refuse the caller's INVITE). */
  readonly side?: TrunkCallerSide;
}

/** The default caller side: the caller's INVITE is progressed, answered or refused. */
function invitingSide(env: CallEnv, call: Call): TrunkCallerSide {
  return {
    ringing: (status, early) => void progressCaller(env, call, status, early),
    answered: (b) => answerCaller(env, call, b),
    failed: (cause) => endCall(env, call, cause),
  };
}

export function startTrunkCall(deps: OutgoingDeps, req: OutgoingRequest): Call {
  const { env, directory, billing } = deps;
  const { invite, caller } = req;
  const account = req.authCode
    ? (directory.authAccount(req.authCode) ?? null)
    : (caller.station ?? null);
  let call = req.call;
  if (!call) {
    if (!invite) throw new Error('a new trunk call needs the caller INVITE');
    const a = callerLeg(env, invite, caller);
    call = new Call(a, {
      kind: 'trunk',
      dialled: invite.requestUser,
      caller,
      startedAt: env.now(),
      callee: req.digits,
      forwardedFrom: null,
      account,
    });
    env.registry.add(call);
    env.registry.track(a, 'outbound', { number: req.digits });
    watchCaller(env, call);
  } else {
    call.record.callee = req.digits;
    // A forwarded call leaving on a trunk is billed to the station that forwarded it.
    call.record.account ??= call.record.forwardedFrom ?? account;
  }
  const c = call;
  const side = req.side ?? invitingSide(env, c);
  const choices = chooseRoutes(req.digits, directory.routes(), directory.names());
  const log = env.log.child({ callRef: c.ref });
  if (choices.length === 0) {
    log.info({ digits: req.digits }, 'no trunk route for the number');
    side.failed({ status: 404, disposition: 'rejected', note: 'no trunk route' });
    return c;
  }
  void (async () => {
    const refusal = await billing.admit(c, choices[0]!.number);
    if (refusal) {
      log.info({ account: c.record.account, reason: refusal }, 'trunk call refused by billing');
      side.failed({ status: 402, disposition: 'rejected', note: refusal });
      return;
    }
    attempt(deps, c, choices, 0, { diversion: req.diversion, side, sdp: req.sdp });
  })().catch((err: unknown) => {
    log.error({ err }, 'trunk call failed');
    side.failed({ status: 500 });
  });
  return c;
}

interface AttemptOptions {
  readonly diversion: string | undefined;
  readonly side: TrunkCallerSide;
  readonly sdp: string | undefined;
}

/** Tries `choices[i]`, moving on to the next trunk on 5xx/408/timeout. */
function attempt(
  deps: OutgoingDeps,
  call: Call,
  choices: readonly RouteChoice[],
  i: number,
  o: AttemptOptions,
  lastStatus = 503,
): void {
  const { env, directory } = deps;
  const log = env.log.child({ callRef: call.ref });
  if (call.ended || call.connection) return;
  const choice = choices[i];
  if (!choice) {
    const status = lastStatus === 401 || lastStatus === 407 ? 503 : callerStatus(lastStatus);
    o.side.failed({ status, note: 'every trunk failed' });
    return;
  }
  const t = directory.get(choice.trunk);
  const next = (status: number): void => attempt(deps, call, choices, i + 1, o, status);
  const diversion = o.diversion;
  if (!t) return next(503);
  if (t.maxChannels > 0 && channelsInUse(env, t.name) >= t.maxChannels) {
    log.info({ trunk: t.name, max: t.maxChannels }, 'trunk at its maximum channels');
    // The trunk counted this call already when it was the one tried before.
    if (call.record.trunk !== t.name) return next(503);
  }
  const sdp = offerCodecs(o.sdp ?? call.aLeg.sdp, t.codecs);
  if (sdp === undefined) {
    log.info({ trunk: t.name, codecs: t.codecs }, 'no codec of the offer is allowed on the trunk');
    return next(488);
  }
  call.record.trunk = t.name;
  call.record.callee = choice.number;
  const { from, headers } = presentation(t);
  const domain = t.domain || t.host;
  let heard = false;
  const proxy = proxyUri(t);
  log.info({ trunk: t.name, number: choice.number }, 'calling out on trunk');
  const leg: Leg = dial(env, {
    call,
    station: choice.number,
    from: call.record.caller,
    sdp,
    headers: { ...headers, ...(diversion ? { Diversion: diversion } : {}) },
    outside: {
      uri: trunkUri(t, choice.number),
      ...(proxy ? { nextHop: proxy } : {}),
      to: `<sip:${choice.number}@${domain}>`,
      from,
      ...(t.register || t.password
        ? {
            auth: {
              username: t.authUser || t.username,
              password: t.password,
              ...(t.realm ? { realm: t.realm } : {}),
            },
          }
        : {}),
    },
    onRinging: (_leg, status, early) => {
      heard = true;
      o.side.ringing(status, early);
    },
    onAnswered: (b) => {
      heard = true;
      call.clearTimer('trunkTimeout');
      void o.side.answered(b).then((ok) => {
        if (ok) deps.billing.answered(call);
      });
    },
    onFailed: (_leg, status) => {
      call.clearTimer('trunkTimeout');
      if (call.ended || call.connection) return;
      log.info({ trunk: t.name, status }, 'trunk refused the call');
      // A 5xx, a timeout or a failed digest (the provider's problem) moves on to the next trunk.
      if (status >= 500 || status === 408 || status === 401 || status === 407) return next(status);
      o.side.failed({ status: callerStatus(status) });
    },
  });
  const timeoutMs = Math.round(env.config.trunks.inviteTimeout * 1000);
  call.setTimer('trunkTimeout', timeoutMs, () => {
    if (heard || call.ended || call.connection || leg.ended) return;
    log.info({ trunk: t.name, timeoutMs }, 'no answer from the provider: next trunk');
    releaseLeg(env, leg);
    call.attempts.delete(leg);
    next(408);
  });
}
