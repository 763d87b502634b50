/**
 * The feature code runner. Every INVITE to a feature code is answered `480 Temporarily
 * Unavailable` whether or not the action worked (OfficeServ); the handler in
 * state/features/ decides, this runner applies the result: settings are already in the station
 * reducer (and so in the database), park ends the parker's held dialog, pickup and park retrieve
 * that find a call connect the dialling phone instead of answering 480. A bad argument changes
 * nothing and the log says why. Each code dialled gets a call record with disposition `feature`.
 */
import type { Classification } from '@pbx/dialplan';
import {
  runFeature,
  type ConferenceStore,
  type FeatureContext,
  type FeatureResult,
  type HeldCall,
  type ParkStore,
  type RingingCall,
} from '../state/features';
import type { ParkedCall } from '../state/park-slots';
import type { IncomingInvite } from '../engine/sip-port';
import type { CallEnv } from '../engine/call-env';
import type { Leg, Party } from '../engine/call-registry';

type FeatureClassification = Extract<Classification, { kind: 'feature' | 'featureError' }>;

/** What the park and pickup runners do for a code that found a call (wired by features/index.ts). */
export interface FeatureCodeActions {
  readonly parks: ParkStore;
  /** Connects the dialling phone to a ringing call; false when it could not. */
  pickUp(invite: IncomingInvite, picker: Party, call: RingingCall): Promise<boolean>;
  /** Connects the dialling phone to a parked call. */
  retrieve(invite: IncomingInvite, retriever: Party, parked: ParkedCall): Promise<void>;
  /** Ends the parker's held dialog; the parked party waits in a call of its own. */
  park(parked: ParkedCall, holderLegId: Leg['id']): void;
  /** The conferences (ad-hoc by owner, rooms by number). */
  readonly conferences: ConferenceStore;
  /** 46 found a call: its party joins the owner's conference. */
  conferenceAdd(owner: string, member: HeldCall, ownerTalking: boolean): Promise<void>;
  /** 46 twice in a row: the owner's conference starts. */
  conferenceStart(owner: string): void;
  /** A room number: the dialling phone joins the room; false when it could not. */
  joinRoom(invite: IncomingInvite, caller: Party, room: string): boolean;
  /** The number plan's voice-mail access code now (a forward destination); undefined: none. */
  voicemailCode(): string | undefined;
}

export interface FeatureRunner {
  run(
    invite: IncomingInvite,
    caller: Party & { station: string },
    c: FeatureClassification,
  ): Promise<FeatureResult>;
}

/** A one-line account of what a feature did, for the log and the call record. */
export function describeResult(r: FeatureResult): string {
  switch (r.effect) {
    case 'none':
      return `none: ${r.note}`;
    case 'forward-set':
      return `forward-set: ${r.forward.type} to ${
        r.forward.target === r.station ? 'voice mail' : r.forward.target
      }`;
    case 'forward-cleared':
      return 'forward-cleared';
    case 'dnd-set':
      return `dnd-set: ${r.on ? 'on' : 'off'}`;
    case 'parked':
      return `parked: ${r.parked.party} at ${r.parked.slot}`;
    case 'conference-joined':
      return `conference-joined: ${r.member.party} (${r.size} parties)`;
    case 'conference-started':
      return `conference-started: ${r.room.members + 1} parties`;
    case 'room-joined':
      return `room-joined: ${r.room}`;
    case 'retrieved':
      return `retrieved: ${r.parked.party} from ${r.parked.slot}`;
    case 'picked-up':
      return `picked-up: ${r.call.caller} ringing at ${r.call.station}`;
  }
}

/** The voice-mail code as a forward destination, when voice mail is installed. */
function voicemailTarget(
  env: CallEnv,
  actions: FeatureCodeActions,
): Pick<FeatureContext, 'voicemailCode' | 'hasMailbox'> {
  const vm = env.hooks.voicemail;
  const code = actions.voicemailCode();
  if (!vm || code === undefined) return {};
  return { voicemailCode: code, hasMailbox: (station) => vm.hasMailbox(station) };
}

export function featureRunner(env: CallEnv, actions: FeatureCodeActions): FeatureRunner {
  return {
    async run(invite, caller, c) {
      const startedAt = env.now();
      const ctx: FeatureContext = {
        caller: { station: caller.station },
        stations: env.stations,
        calls: env.registry,
        parks: actions.parks,
        conferences: actions.conferences,
        now: startedAt,
        parkRecallMs: Math.round(env.config.features.parkRecallTime * 1000),
        dialled: invite.requestUser,
        conferenceMaxParties: env.config.features.conferenceMaxParties,
        ...(env.hooks.isOutside ? { isOutside: env.hooks.isOutside.bind(env.hooks) } : {}),
        ...voicemailTarget(env, actions),
      };
      const feature = c.feature;
      let result: FeatureResult;
      try {
        result = await runFeature(c, ctx);
      } catch (err) {
        env.log.error({ err, feature, station: caller.station }, 'feature code failed');
        invite.reject(480);
        return { reply: 480, effect: 'none', note: 'bad-argument', detail: 'internal error' };
      }
      const summary = describeResult(result);
      if (result.effect === 'none') {
        env.log.info(
          { station: caller.station, feature, dialled: invite.requestUser, note: result.note },
          `feature code refused: ${result.detail}`,
        );
      } else {
        env.log.info(
          { station: caller.station, feature, dialled: invite.requestUser },
          `feature code: ${summary}`,
        );
      }
      let status = 480;
      switch (result.effect) {
        case 'picked-up':
          status = (await actions.pickUp(invite, caller, result.call)) ? 200 : 480;
          break;
        case 'retrieved':
          await actions.retrieve(invite, caller, result.parked);
          status = 200;
          break;
        case 'parked':
          invite.reject(480);
          actions.park(result.parked, result.holderLegId);
          break;
        case 'conference-joined':
          // The manual: 480 first, then the held party is moved onto the mixer.
          invite.reject(480);
          await actions.conferenceAdd(result.owner, result.member, result.ownerTalking);
          break;
        case 'conference-started':
          invite.reject(480);
          actions.conferenceStart(result.room.owner);
          break;
        case 'room-joined':
          status = actions.joinRoom(invite, caller, result.room) ? 200 : 480;
          if (status !== 200) invite.reject(480);
          break;
        case 'none':
        case 'forward-set':
        case 'forward-cleared':
        case 'dnd-set':
          invite.reject(480);
          break;
      }
      await env.stations.flush();
      env.cdr.record({
        callRef: `feature-${invite.callId}`,
        callerTel: caller.number,
        callerName: caller.displayName ?? '',
        dialled: invite.requestUser,
        startAt: startedAt,
        at: env.now(),
        disposition: 'feature',
        hangupSide: 'system',
        sipStatus: status,
        feature,
        note: result.effect === 'none' ? `${summary} (${result.detail})` : summary,
      });
      return result;
    },
  };
}
