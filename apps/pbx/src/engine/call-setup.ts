/**
 * The mechanics every call shares: the leg reducer's effects, dialling a station (a b-leg),
 * answering the caller with the callee's SDP, wiring a confirmed dialog (BYE, re-INVITE, ACK,
 * REFER), releasing legs and ending a call with its record.
 */
import { nextLeg, type LegEvent } from '../state/call-leg';
import { statusOf, type IncomingInvite, type SipDialog } from './sip-port';
import type { CallEnv, UnreachedCause } from './call-env';
import { withDirection } from '../sip/sdp';
import { Call, Leg, type CallInfo, type Party } from './call-registry';
import { dispositionOf, type CdrDisposition, type HangupSide } from './cdr-writer';
import { onAck, onReinvite } from './hold-relay';
import { refusesPlainMediaTo } from './srtp-policy';

/** Applies a leg event and carries out the leg's effects (CANCEL, final response, BYE). */
export function legEvent(env: CallEnv, leg: Leg, e: LegEvent): void {
  const [next, effects] = nextLeg(leg.state, e, env.now());
  leg.state = next;
  // An ended leg needs no music any more.
  if (next.kind === 'ended') leg.letGoOfWaitingMedia();
  for (const eff of effects) {
    switch (eff.type) {
      case 'startTimer':
      case 'cancelTimer':
        // The call runners own the no-answer timers (they continue forward chains).
        break;
      case 'terminate':
        if (leg.role === 'uac') leg.outgoing?.cancel();
        else leg.invite?.reject(eff.status);
        break;
      case 'hangup':
        void leg.dialog?.bye();
        break;
    }
  }
}

/** `"Name" <sip:201@domain>`: what the callee's display shows. */
export function partyHeader(party: Party, domain: string): string {
  const uri = `<sip:${party.number}@${domain}>`;
  if (!party.displayName) return uri;
  return `"${party.displayName.replace(/["\\]/g, '')}" ${uri}`;
}

/** A station as a party, with its configured name. */
export function stationParty(env: CallEnv, station: string): Party {
  const displayName = env.stations.displayName(station);
  return { number: station, station, ...(displayName ? { displayName } : {}) };
}

export interface DialRequest {
  readonly call: Call;
  /** The station rung; for an outside destination, the number (the party shown). */
  readonly station: string;
  /**
   * Where the INVITE goes when it is not a station's registration (a trunk): Request-URI, next
   * hop, To, and the provider's digest credentials. The leg then belongs to no station.
   */
  readonly outside?: {
    readonly uri: string;
    readonly nextHop?: string;
    readonly to: string;
    readonly from: string;
    readonly auth?: {
      readonly username: string;
      readonly password: string;
      readonly realm?: string;
    };
  };
  /** Who the callee sees calling. */
  readonly from: Party;
  /** The offer (the caller's SDP). */
  readonly sdp: string;
  readonly headers?: Record<string, string>;
  onRinging?(leg: Leg, status: number, sdp?: string): void;
  /** The INVITE has gone out (finding the station's contact comes first and takes a moment). */
  onSent?(leg: Leg): void;
  onAnswered(leg: Leg): void;
  onFailed(leg: Leg, status: number): void;
}

/**
 * Sends an INVITE to a station as a b-leg attempt of `req.call`. The leg is reported to the
 * station at once (a station being called is busy). Failures, including "not registered" (480),
 * arrive through `onFailed`.
 */
export function dial(env: CallEnv, req: DialRequest): Leg {
  const { call, station } = req;
  const party: Party = req.outside ? { number: station } : stationParty(env, station);
  const leg = new Leg(call.ref, 'uac', party, env.now(), '');
  call.attempts.add(leg);
  env.registry.track(leg, 'inbound', req.from);
  const fail = (status: number): void => {
    call.attempts.delete(leg);
    env.registry.untrack(leg);
    req.onFailed(leg, status);
  };
  void (async () => {
    // Stay asynchronous: the runner finishes setting up the leg before any failure arrives.
    await Promise.resolve();
    const target = req.outside ?? env.locate(station);
    if (leg.ended) return;
    if (!target) {
      legEvent(env, leg, { type: 'rejected', status: 480 });
      fail(480);
      return;
    }
    if (
      !req.outside &&
      refusesPlainMediaTo(
        env.config.security.srtp,
        target.uri,
        req.sdp,
        env.stations.row(station)?.srtp,
      )
    ) {
      env.log.info({ station }, 'plain RTP not offered to a station that must use SRTP');
      legEvent(env, leg, { type: 'rejected', status: 488 });
      fail(488);
      return;
    }
    const domain = env.config.sip.domain;
    const caller = req.outside ? undefined : insertTrunkIncoming(env, req.from, station);
    const out = env.sip.invite(
      {
        uri: target.uri,
        ...(target.nextHop ? { nextHop: target.nextHop } : {}),
        from: req.outside ? req.outside.from : partyHeader(caller ?? req.from, domain),
        to: req.outside ? req.outside.to : `<sip:${station}@${domain}>`,
        sdp: leg.stamp(req.sdp),
        ...(req.outside?.auth ? { auth: req.outside.auth } : {}),
        headers: {
          ...(req.headers ?? {}),
          // The manual's INCOMING insert: From and Contact carry the code + caller ID, so the
          // phone's call log redials through a trunk.
          ...(caller ? { Contact: `<sip:${caller.number}@localhost>` } : {}),
        },
      },
      {
        onSent: ({ callId, fromTag }) => {
          leg.sipIds = { callId, remoteTag: fromTag };
          req.onSent?.(leg);
        },
        onProvisional: (status, { toTag, sdp }) => {
          if (leg.ended || status <= 100 || status >= 200) return;
          if (toTag) leg.sipIds = { ...leg.sipIds, localTag: toTag };
          if (sdp) leg.sdp = sdp;
          legEvent(env, leg, {
            type: 'provisional',
            status: status === 183 ? 183 : 180,
            sdp: sdp !== undefined,
          });
          env.registry.progress(leg, 'early');
          req.onRinging?.(leg, status, sdp);
        },
      },
    );
    leg.outgoing = out;
    out.answered.then(
      (dialog) => {
        const released = leg.ended;
        leg.outgoing = undefined;
        leg.sdp = dialog.remoteSdp;
        leg.sipIds = {
          callId: dialog.callId,
          localTag: dialog.remoteTag,
          remoteTag: dialog.localTag,
        };
        attachDialog(env, leg, dialog);
        // A 2xx that crossed our CANCEL: the reducer answers with a BYE.
        legEvent(env, leg, { type: 'answered' });
        if (released) {
          env.registry.untrack(leg);
          return;
        }
        call.attempts.delete(leg);
        env.registry.progress(leg, 'confirmed');
        req.onAnswered(leg);
      },
      (err: unknown) => {
        leg.outgoing = undefined;
        if (leg.ended) {
          env.registry.untrack(leg);
          return;
        }
        const status = statusOf(err);
        legEvent(env, leg, { type: 'rejected', status });
        fail(status);
      },
    );
  })().catch((err: unknown) => {
    env.log.error({ err, station }, 'dialling failed');
    if (!leg.ended) {
      legEvent(env, leg, { type: 'rejected', status: 500 });
      fail(500);
    }
  });
  return leg;
}

/**
 * Insert Trunk Type INCOMING (the manual, "Insert Trunk Port"): a call that came in on a trunk
 * reaches a station whose type is INCOMING; the station's Insert Trunk Port is put before the
 * caller ID ("802" + 0398722900). Undefined when the rule does not apply.
 */
function insertTrunkIncoming(env: CallEnv, from: Party, station: string): Party | undefined {
  if (!from.trunk) return undefined;
  const row = env.stations.row(station);
  if (row?.insertTrunkType !== 'incoming' || row.insertTrunkPort === '') return undefined;
  return { ...from, number: `${row.insertTrunkPort}${from.number}` };
}

/** The status the caller gets when the called phone refuses. */
export function callerStatus(status: number): number {
  if (status === 486 || status === 600) return 486;
  if (status === 408 || status === 487) return 480;
  if (status >= 400 && status < 700) return status;
  return 500;
}

/** The caller's leg of a new call: the phone's INVITE, reported to the calling station. */
export function callerLeg(env: CallEnv, invite: IncomingInvite, caller: Party): Leg {
  const leg = new Leg('' as Leg['callRef'], 'uas', caller, env.now(), invite.sdp);
  leg.invite = invite;
  leg.sipIds = { callId: invite.callId, localTag: invite.fromTag };
  return leg;
}

/** Starts ringing the caller's chosen call; CANCEL and the ringing timeout end it. */
export function watchCaller(env: CallEnv, call: Call): void {
  const invite = call.aLeg.invite;
  invite?.onCancel(() => {
    if (call.ended || call.aLeg.invite !== invite) return;
    legEvent(env, call.aLeg, { type: 'cancelled' });
    for (const take of env.intercept.cancel) if (take(call.aLeg, call)) return;
    env.log.info({ callRef: call.ref }, 'caller cancelled');
    endCall(env, call, { by: call.aLeg, status: 487 });
  });
  const timeoutMs = Math.round(env.config.features.ringingTimeout * 1000);
  call.setTimer('ringing', timeoutMs, () => {
    if (call.ended || call.connection) return;
    env.log.info({ callRef: call.ref, timeoutMs }, 'ringing timeout');
    if (call.unanswered?.(480)) return;
    endCall(env, call, { status: 480, disposition: 'no-answer' });
  });
}

/** Stops a leg: CANCEL or a final response if unanswered, BYE if answered; stops reporting it. */
export function releaseLeg(env: CallEnv, leg: Leg, status = 487): void {
  legEvent(env, leg, { type: 'release', status });
  env.registry.untrack(leg);
  runWhenConfirmed(leg);
}

/**
 * Hands an unanswered call to the station's mailbox when it takes this cause (the voice-mail
 * module's hook): every ringing attempt is released first. True if the mailbox took it.
 */
export function toVoicemail(
  env: CallEnv,
  call: Call,
  station: string,
  cause: UnreachedCause,
): boolean {
  const vm = env.hooks.voicemail;
  if (!vm?.takes(station, cause) || call.ended || call.connection || !call.aLeg.invite)
    return false;
  for (const leg of call.attempts) if (!leg.ended) releaseLeg(env, leg);
  call.attempts.clear();
  env.log.info({ callRef: call.ref, station, cause }, 'to voice mail');
  vm.deposit(call, station, cause);
  return true;
}

/** Sends the caller 180 (or 183 with early media) once. */
export async function progressCaller(
  env: CallEnv,
  call: Call,
  status: number,
  sdp?: string,
): Promise<void> {
  const a = call.aLeg;
  if (!a.invite || a.ended || a.state.kind === 'ringing') return;
  const early = status === 183 && sdp !== undefined;
  legEvent(env, a, { type: 'provisional', status: early ? 183 : 180, sdp: early });
  const tag = await a.invite.progress(early ? 183 : 180, early ? a.stamp(sdp) : undefined);
  if (tag) a.sipIds = { ...a.sipIds, remoteTag: tag };
  env.registry.progress(a, 'early');
}

/**
 * Answers the caller's INVITE with the SDP of `b` (which has answered) and connects the call.
 * Returns false when the caller was gone meanwhile (then `b` is hung up).
 */
export async function answerCaller(
  env: CallEnv,
  call: Call,
  b: Leg,
  sdp = b.sdp,
): Promise<boolean> {
  const a = call.aLeg;
  const invite = a.invite;
  if (!invite && a.dialog && !a.ended && !call.ended) {
    // The caller's side is an existing dialog (a transfer handed it this call).
    call.connect(b);
    call.clearTimers();
    return reconnect(env, call);
  }
  if (!invite || a.ended || call.ended) {
    releaseLeg(env, b);
    return false;
  }
  call.connect(b);
  call.clearTimers();
  call.record.answeredAt = env.now();
  call.record.status = 200;
  let dialog: SipDialog;
  try {
    dialog = await invite.answer(a.stamp(sdp));
  } catch (err) {
    env.log.info({ callRef: call.ref, status: statusOf(err) }, 'caller left before the answer');
    call.record.answeredAt = null;
    endCall(env, call, { by: a, status: 487 });
    runWhenConfirmed(a);
    return false;
  }
  a.invite = undefined;
  a.sipIds = { callId: dialog.callId, localTag: dialog.remoteTag, remoteTag: dialog.localTag };
  attachDialog(env, a, dialog);
  legEvent(env, a, { type: 'answered' });
  if (call.ended) {
    // The callee hung up while our 200 was on its way.
    releaseLeg(env, a);
    return false;
  }
  env.registry.progress(a, 'confirmed');
  env.log.info({ callRef: call.ref, a: a.party.number, b: b.party.number }, 'call connected');
  openRecord(env, call);
  return true;
}

/**
 * A new connected call between two legs that already have dialogs (transfer, replacement). The
 * legs leave their calls at once; `reconnect` then exchanges their media.
 */
export function bridge(
  env: CallEnv,
  x: Leg,
  y: Leg,
  record: Omit<CallInfo, 'answeredAt' | 'status'>,
): Call {
  const call = new Call(x, record);
  env.registry.add(call);
  call.connect(y);
  call.record.answeredAt = env.now();
  call.record.status = 200;
  return call;
}

/**
 * Points the two parties of `call` at each other: a re-INVITE to the b-leg with the a-leg's SDP,
 * then one to the a-leg with the b-leg's answer. Ends the call if either refuses.
 */
export async function reconnect(
  env: CallEnv,
  call: Call,
  options: { bHasA?: boolean } = {},
): Promise<boolean> {
  const x = call.aLeg;
  const y = call.bLeg;
  if (!y?.dialog || !x.dialog || x.ended || y.ended) {
    endCall(env, call, { status: 480 });
    return false;
  }
  try {
    // `bHasA`: the b-leg was just INVITEd with the a-leg's SDP, so only the a-leg needs news.
    if (!options.bHasA) y.sdp = await y.dialog.reinvite(y.stamp(withDirection(x.sdp, 'sendrecv')));
    if (call.ended) return false;
    x.sdp = await x.dialog.reinvite(x.stamp(withDirection(y.sdp, 'sendrecv')));
  } catch (err) {
    env.log.info({ callRef: call.ref, status: statusOf(err) }, 'reconnecting re-INVITE refused');
    endCall(env, call, { status: 480 });
    return false;
  }
  if (call.ended) return false;
  call.record.answeredAt ??= env.now();
  call.record.status = 200;
  env.registry.progress(x, 'confirmed');
  env.registry.progress(y, 'confirmed');
  env.log.info({ callRef: call.ref, a: x.party.number, b: y.party.number }, 'parties reconnected');
  openRecord(env, call);
  return true;
}

/** Wires a confirmed dialog to the leg: BYE, re-INVITE (hold), ACK and REFER. */
export function attachDialog(env: CallEnv, leg: Leg, dialog: SipDialog): void {
  leg.dialog = dialog;
  dialog.onBye(() => onBye(env, leg));
  dialog.onReinvite((r) => onReinvite(env, leg, r));
  dialog.onAck((sdp, cseq) => onAck(env, leg, sdp, cseq));
  dialog.onRequest('REFER', (r) => {
    const refer = env.intercept.refer;
    if (refer) refer(leg, env.registry.call(leg.callRef), r);
    else r.respond(603);
  });
  runWhenConfirmed(leg);
}

/** Runs what waited for the leg's dialog (it is attached now, or will never be). */
export function runWhenConfirmed(leg: Leg): void {
  for (const run of leg.whenConfirmed.splice(0)) run();
}

function onBye(env: CallEnv, leg: Leg): void {
  legEvent(env, leg, { type: 'bye' });
  const call = env.registry.call(leg.callRef);
  for (const take of env.intercept.hangup) if (take(leg, call)) return;
  if (call) endCall(env, call, { by: leg });
  else env.registry.untrack(leg);
}

export interface EndCause {
  /** The leg whose party ended the call. */
  readonly by?: Leg;
  /** The final status for a caller still unanswered (and for the record). */
  readonly status?: number;
  readonly disposition?: CdrDisposition;
  readonly note?: string;
}

/** Ends the call: releases every leg still in it, writes its record, forgets it. */
export function endCall(env: CallEnv, call: Call, cause: EndCause = {}): void {
  if (call.ended) return;
  call.ended = true;
  call.clearTimers();
  const status = cause.status ?? 487;
  const legs = new Set([call.aLeg, call.bLeg, ...call.attempts]);
  for (const leg of legs) {
    if (!leg || leg.callRef !== call.ref) continue;
    if (leg === cause.by) {
      env.registry.untrack(leg);
      continue;
    }
    releaseLeg(env, leg, leg === call.aLeg ? status : 487);
  }
  env.registry.remove(call);
  writeRecord(env, call, cause);
}

/**
 * Writes the record of a call that has just connected, still open, so a crash cannot lose it
 * (the next start closes it as ended by the restart); {@link writeRecord} completes it.
 */
export function openRecord(env: CallEnv, call: Call): void {
  const r = call.record;
  if (r.answeredAt === null) return;
  env.cdr.open({
    callRef: call.ref,
    callerTel: r.caller.number,
    callerName: r.caller.displayName ?? '',
    calleeTel: r.callee,
    dialled: r.dialled,
    forwardedFrom: r.forwardedFrom,
    forwardReason: r.forwardReason ?? null,
    startAt: r.startedAt,
    answerAt: r.answeredAt,
    note: r.note ?? '',
  });
}

/** Writes the call record of `call` (once it has ended, or was handed on). */
export function writeRecord(env: CallEnv, call: Call, cause: EndCause = {}): void {
  env.hooks.onRecord?.(call);
  const r = call.record;
  const answered = r.answeredAt !== null;
  const status = answered ? 200 : (cause.status ?? r.status ?? 487);
  const disposition: CdrDisposition =
    cause.disposition ?? (answered ? 'answered' : dispositionOf(status));
  let hangupSide: HangupSide | null = null;
  if (cause.by) hangupSide = cause.by === call.aLeg ? 'caller' : 'callee';
  else if (answered || cause.status !== undefined) hangupSide = 'system';
  const notes = [r.note, cause.note].filter((n): n is string => Boolean(n));
  env.cdr.record({
    callRef: call.ref,
    callerTel: r.caller.number,
    callerName: r.caller.displayName ?? '',
    calleeTel: r.callee,
    dialled: r.dialled,
    forwardedFrom: r.forwardedFrom,
    forwardReason: r.forwardReason ?? null,
    pickedUpFrom: r.pickedUpFrom ?? null,
    transferredBy: r.transferredBy ?? null,
    startAt: r.startedAt,
    answerAt: r.answeredAt,
    at: env.now(),
    disposition,
    hangupSide,
    sipStatus: status,
    note: notes.join('; '),
    trunk: r.trunk ?? r.caller.trunk ?? null,
    account: r.account ?? null,
    charge: r.charge ?? null,
  });
}
