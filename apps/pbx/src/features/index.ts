/**
 * Every feature runner, installed on a call engine. The composition root passes the returned
 * table to the call router; nothing in engine/ imports a feature. Add a feature here (and its
 * runner file next to this one); runners import only engine/, state/ and sip/, never each other.
 */
import type { CallEnv } from '../engine/call-env';
import type { CallFeatures } from '../engine/call-features';
import { ConferenceRuntime } from './conference';
import { featureRunner } from './feature-codes';
import { parkCall, ParkRuntime, retrieveCall } from './park';
import { handleReplaces, pickUp } from './pickup';
import { startGroupCall } from './ring-group';
import { startStationCall } from './station-call';
import { installTransfer } from './transfer';

/** The installed runners: the router's table and the handles tests and other modules read. */
export interface InstalledFeatures {
  readonly table: CallFeatures;
  readonly parks: ParkRuntime;
  readonly conferences: ConferenceRuntime;
  /** Stops the runners' own timers (park recall) and the conferences' mixers. */
  stop(): Promise<void>;
}

/** Installs station calls and forwards, ring groups, pickup, park, transfer and feature codes. */
export function installFeatures(
  env: CallEnv,
  voicemailCode: () => string | undefined = () => undefined,
): InstalledFeatures {
  const parks = new ParkRuntime(env);
  installTransfer(env);
  // After transfer: its hang-up interceptor goes in front of transfer's.
  const conferences = new ConferenceRuntime(env);
  const codes = featureRunner(env, {
    parks,
    pickUp: (invite, picker, call) => pickUp(env, invite, picker, call),
    retrieve: (invite, retriever, parked) => retrieveCall(env, parks, invite, retriever, parked),
    park: (parked, holderLegId) => parkCall(env, parked, holderLegId),
    conferences,
    conferenceAdd: (owner, member, talking) => conferences.add(owner, member, talking),
    conferenceStart: (owner) => conferences.start(owner),
    joinRoom: (invite, caller, room) => conferences.joinRoom(invite, caller, room),
    voicemailCode,
  });
  const table: CallFeatures = {
    stationCall: (invite, caller, target) => startStationCall(env, invite, caller, target),
    groupCall: (invite, caller, group) => startGroupCall(env, invite, caller, group),
    featureCode: async (invite, caller, c) => {
      // The voice-mail access code is answered by the mailbox menu, not with 480.
      if (
        c.kind === 'feature' &&
        c.feature === 'voicemail' &&
        env.hooks.voicemail?.access(invite, caller)
      )
        return;
      await codes.run(invite, caller, c);
    },
    replaces: (invite, caller, r) => handleReplaces(env, invite, caller, r),
  };
  return {
    table,
    parks,
    conferences,
    stop: async () => {
      parks.stop();
      await conferences.stop();
    },
  };
}

export { ParkRuntime } from './park';
export { ConferenceRuntime } from './conference';
export { describeResult } from './feature-codes';
