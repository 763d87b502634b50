/**
 * Every feature runner, installed on a call engine. The composition root passes the returned
 * table to the call router; nothing in engine/ imports a feature. Add a feature here (and its
 * runner file next to this one); runners import only engine/, state/ and sip/, never each other.
 */
import type { CallEnv } from '../engine/call-env';
import type { CallFeatures } from '../engine/call-features';
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
  /** Stops the runners' own timers (park recall). */
  stop(): void;
}

/** Installs station calls and forwards, ring groups, pickup, park, transfer and feature codes. */
export function installFeatures(env: CallEnv): InstalledFeatures {
  const parks = new ParkRuntime(env);
  installTransfer(env);
  const codes = featureRunner(env, {
    parks,
    pickUp: (invite, picker, call) => pickUp(env, invite, picker, call),
    retrieve: (invite, retriever, parked) => retrieveCall(env, parks, invite, retriever, parked),
    park: (parked, holderLegId) => parkCall(env, parked, holderLegId),
  });
  const table: CallFeatures = {
    stationCall: (invite, caller, target) => startStationCall(env, invite, caller, target),
    groupCall: (invite, caller, group) => startGroupCall(env, invite, caller, group),
    featureCode: async (invite, caller, c) => {
      await codes.run(invite, caller, c);
    },
    replaces: (invite, caller, r) => handleReplaces(env, invite, caller, r),
  };
  return { table, parks, stop: () => parks.stop() };
}

export { ParkRuntime } from './park';
export { describeResult } from './feature-codes';
