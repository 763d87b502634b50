/**
 * The feature runners as the call router sees them: a table the composition root fills from
 * features/index.ts, so the engine dispatches to features without importing any.
 */
import type { Classification } from '@pbx/dialplan';
import type { Party } from './call-registry';
import type { RingGroupDefinition } from './number-plan';
import type { IncomingInvite, ReplacesHeader } from './sip-port';

/** A dialled feature code (or a malformed one), as the dialplan classified it. */
export type FeatureClassification = Extract<Classification, { kind: 'feature' | 'featureError' }>;

/** The runner of each kind of new call. */
export interface CallFeatures {
  /** A station dialled a station number (forwards included). */
  stationCall(invite: IncomingInvite, caller: Party, target: string): void;
  /** A station dialled a ring group number. */
  groupCall(invite: IncomingInvite, caller: Party, group: RingGroupDefinition): void;
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
