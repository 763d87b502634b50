/**
 * The number plan as call routing reads it: feature codes and ring groups. The database-backed
 * source is the persistence layer's `StoreNumberPlan`; `MemoryNumberPlan` serves the feature
 * runner tests.
 */
import { defaultNumberPlan, type FeatureCodes, type NumberPlan } from '@pbx/dialplan';
export interface RingGroupDefinition {
  readonly number: string;
  /** Member stations in ringing order. */
  readonly members: readonly string[];
  /**
   * When nobody answers within `afterSeconds` (null: features.forwardNoAnswerTimer), or no member
   * can ring at all, the call goes to `station`'s mailbox. Absent: ring until the caller gives up.
   */
  readonly voicemail?: { readonly station: string; readonly afterSeconds: number | null };
}

/** Where routing gets the codes and ring groups. */
export interface NumberPlanSource {
  plan(): NumberPlan;
  group(number: string): RingGroupDefinition | undefined;
  /** Every ring group (the presence watcher policy `group` reads the members). */
  groups(): readonly RingGroupDefinition[];
  /** Re-reads the plan (after `pbx numplan` or `pbx group` changed it). */
  reload(): Promise<void>;
}

/** Default codes and in-memory ring groups. */
export class MemoryNumberPlan implements NumberPlanSource {
  private readonly codes: FeatureCodes;
  private readonly byNumber = new Map<string, RingGroupDefinition>();

  constructor(private readonly trunkPrefix?: string) {
    this.codes = { ...defaultNumberPlan().codes };
  }

  plan(): NumberPlan {
    return this.trunkPrefix === undefined
      ? { codes: this.codes }
      : { codes: this.codes, trunkPrefix: this.trunkPrefix };
  }

  group(number: string): RingGroupDefinition | undefined {
    return this.byNumber.get(number);
  }

  groups(): readonly RingGroupDefinition[] {
    return [...this.byNumber.values()];
  }

  setGroup(
    number: string,
    members: readonly string[],
    voicemail?: RingGroupDefinition['voicemail'],
  ): void {
    this.byNumber.set(number, {
      number,
      members: [...members],
      ...(voicemail ? { voicemail } : {}),
    });
  }

  async reload(): Promise<void> {
    // Nothing stored yet.
  }
}
