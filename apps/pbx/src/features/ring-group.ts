/**
 * Calls to a ring group number (OfficeServ 4.7): the members that can ring (registered, not DND,
 * not busy) ring 4 at a time, 50 ms between batches (state/ring-group.ts decides); the first to
 * answer is connected and the others get CANCEL (or BYE when their 2xx crossed ours).
 *
 * A group with a voice-mail overflow (`pbx group set --voicemail <tel>`) sends a call nobody
 * answered within the overflow time, or that no member could take (none can ring, or every one
 * refused), to that station's mailbox; the ringing members get CANCEL. Without one, or when the
 * mailbox is off, the call ends as before.
 */
import { isBusy } from '../state/station-state';
import {
  nextRingGroup,
  ringableMembers,
  startRingGroup,
  type RingGroupEffect,
  type RingGroupEvent,
  type RingGroupState,
} from '../state/ring-group';
import type { IncomingInvite } from '../engine/sip-port';
import type { RingGroupDefinition } from '../engine/number-plan';
import type { CallEnv } from '../engine/call-env';
import { Call, type Leg, type Party } from '../engine/call-registry';
import {
  answerCaller,
  callerLeg,
  dial,
  endCall,
  progressCaller,
  releaseLeg,
  toVoicemail,
  watchCaller,
} from '../engine/call-setup';

/** 486 when every member is busy or in DND, else 480. */
function nobodyStatus(env: CallEnv, members: readonly string[]): 480 | 486 {
  const states = members.map((m) => env.stations.peek(m)).filter((s) => s !== undefined);
  if (states.length > 0 && states.every((s) => isBusy(s) || s.settings.dnd)) return 486;
  return 480;
}

export function startGroupCall(
  env: CallEnv,
  invite: IncomingInvite,
  caller: Party,
  group: RingGroupDefinition,
): Call {
  const a = callerLeg(env, invite, caller);
  const call = new Call(a, {
    kind: 'group',
    dialled: invite.requestUser,
    caller,
    startedAt: env.now(),
    callee: group.number,
    forwardedFrom: null,
  });
  env.registry.add(call);
  env.registry.track(a, 'outbound', { number: group.number });
  watchCaller(env, call);

  const members = group.members.filter((m) => m !== caller.station);
  const ringable = ringableMembers(members, env.stations.lookup);
  env.log.info({ callRef: call.ref, group: group.number, ringable }, 'ring group call');
  let overflowed = false;
  /** To the overflow mailbox, if the group has one that takes the call now. */
  const overflow = (why: string): boolean => {
    const vm = group.voicemail;
    if (!vm || overflowed || call.ended || call.connection) return false;
    if (!toVoicemail(env, call, vm.station, 'group')) return false;
    overflowed = true;
    call.clearTimer('batch');
    env.log.info(
      { callRef: call.ref, group: group.number, station: vm.station, why },
      'ring group to voice mail',
    );
    return true;
  };
  if (ringable.length === 0) {
    if (overflow('no member can ring')) return call;
    endCall(env, call, { status: nobodyStatus(env, members), note: 'no member can ring' });
    return call;
  }
  if (group.voicemail) {
    const seconds = group.voicemail.afterSeconds ?? env.config.features.forwardNoAnswerTimer;
    call.setTimer('voicemail', Math.round(seconds * 1000), () => void overflow('no answer'));
  }
  const legs = new Map<string, Leg>();
  let state: RingGroupState;
  // The 50 ms between batches run from when the last INVITE of a batch went out, not from when
  // we decided to send them: each INVITE first waits for its station's contact to be found.
  const unsent = new Set<string>();
  let batchTimerMs: number | undefined;
  const sentOrGone = (member: string): void => {
    unsent.delete(member);
    if (unsent.size > 0 || batchTimerMs === undefined || call.ended) return;
    const ms = batchTimerMs;
    batchTimerMs = undefined;
    call.setTimer('batch', ms, () => step({ type: 'timer.batch' }));
  };

  const step = (e: RingGroupEvent): void => {
    if (call.ended || overflowed) return;
    const [next, effects] = nextRingGroup(state, e);
    state = next;
    run(effects);
  };

  const run = (effects: readonly RingGroupEffect[]): void => {
    for (const eff of effects) {
      switch (eff.type) {
        case 'ring': {
          const member = eff.member;
          unsent.add(member);
          const leg = dial(env, {
            call,
            station: member,
            from: caller,
            sdp: a.sdp,
            onRinging: (_leg, status, sdp) => void progressCaller(env, call, status, sdp),
            onSent: () => sentOrGone(member),
            onAnswered: () => step({ type: 'memberAnswered', member }),
            onFailed: (_leg, status) => {
              sentOrGone(member);
              step({ type: 'memberFailed', member, status });
            },
          });
          legs.set(member, leg);
          break;
        }
        case 'release': {
          sentOrGone(eff.member);
          const leg = legs.get(eff.member);
          if (leg && leg.callRef === call.ref && leg !== call.bLeg) {
            releaseLeg(env, leg);
            call.attempts.delete(leg);
          }
          break;
        }
        case 'connect': {
          const leg = legs.get(eff.member);
          if (leg) {
            call.record.callee = eff.member;
            call.clearTimer('voicemail');
            void answerCaller(env, call, leg);
          }
          break;
        }
        case 'reject':
          if (!overflow('every member refused')) endCall(env, call, { status: eff.status });
          break;
        case 'startTimer':
          batchTimerMs = eff.ms;
          sentOrGone('');
          break;
        case 'cancelTimer':
          batchTimerMs = undefined;
          call.clearTimer('batch');
          break;
      }
    }
  };

  const [initial, effects] = startRingGroup(group.number, ringable);
  state = initial;
  run(effects);
  return call;
}
