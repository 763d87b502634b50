/**
 * The feature runners as the call router sees them: a table the composition root fills from
 * features/index.ts, so the engine dispatches to features without importing any.
 */
import type { Classification } from '@pbx/dialplan';
import type { Call, Party } from './call-registry';
import type { RingGroupDefinition } from './number-plan';
import type { IncomingInvite, ReplacesHeader } from './sip-port';

/** A dialled feature code (or a malformed one), as the dialplan classified it. */
export type FeatureClassification = Extract<Classification, { kind: 'feature' | 'featureError' }>;

/** A station dialled an outside number (trunk access code, auth code dialling). */
export type TrunkClassification = Extract<Classification, { kind: 'trunk' }>;

/** The trunk module as the router sees it (installed only when trunks are). */
export interface TrunkRunners {
  /**
   * An INVITE that is not from a registered station: when it comes from a trunk's address it is
   * an incoming trunk call and the runner takes it (returns true).
   */
  incoming(invite: IncomingInvite): boolean;
  /** A station dialled an outside number. */
  outgoing(
    invite: IncomingInvite,
    caller: Party & { station: string },
    c: TrunkClassification,
  ): void;
  /** True for a configured authorisation code. */
  isAuthCode(code: string): boolean;
}

/** The runner of each kind of new call. */
export interface CallFeatures {
  /** Trunk calls, in and out; absent: outside numbers get 404. */
  trunks?: TrunkRunners;
  /** A station dialled a station number (forwards included). */
  stationCall(invite: IncomingInvite, caller: Party, target: string): Call;
  /** A station dialled a ring group number. */
  groupCall(invite: IncomingInvite, caller: Party, group: RingGroupDefinition): Call;
  /** A station dialled a feature code. */
  featureCode(
    invite: IncomingInvite,
    caller: Party & { station: string },
    c: FeatureClassification,
  ): Promise<void>;
  /**
   * An INVITE with `Replaces`: pickup of a ringing dialog or replacement of a connected one.
   * Resolves with the status of a refusal made there (the router records it), else undefined.
   */
  replaces(invite: IncomingInvite, caller: Party, r: ReplacesHeader): Promise<number | undefined>;
}
