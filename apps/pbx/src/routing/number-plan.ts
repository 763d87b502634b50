/**
 * The number plan as call routing reads it: feature codes (the stored changes over the manual's
 * defaults) and ring groups, from the database, re-read when `pbx numplan` or `pbx group` change
 * them. `MemoryNumberPlan` is the same without a database.
 */
import { defaultCodes, defaultNumberPlan, isFeatureId, type FeatureCodes, type NumberPlan } from '@pbx/dialplan';
import type { Store } from '@pbx/store';

export interface RingGroupDefinition {
  readonly number: string;
  /** Member stations in ringing order. */
  readonly members: readonly string[];
}

/** Where routing gets the codes and ring groups. */
export interface NumberPlanSource {
  plan(): NumberPlan;
  group(number: string): RingGroupDefinition | undefined;
  /** Re-reads the plan (after `pbx numplan` or `pbx group` changed it). */
  reload(): Promise<void>;
}

/** Default codes and in-memory ring groups. */
export class MemoryNumberPlan implements NumberPlanSource {
  private codes: FeatureCodes;
  private readonly groups = new Map<string, RingGroupDefinition>();

  constructor(private readonly trunkPrefix?: string) {
    this.codes = { ...defaultNumberPlan().codes };
  }

  plan(): NumberPlan {
    return this.trunkPrefix === undefined ? { codes: this.codes } : { codes: this.codes, trunkPrefix: this.trunkPrefix };
  }

  group(number: string): RingGroupDefinition | undefined {
    return this.groups.get(number);
  }

  setGroup(number: string, members: readonly string[]): void {
    this.groups.set(number, { number, members: [...members] });
  }

  removeGroup(number: string): void {
    this.groups.delete(number);
  }

  setCode(feature: keyof FeatureCodes, code: string | null): void {
    this.codes = { ...this.codes, [feature]: code };
  }

  async reload(): Promise<void> {
    // Nothing stored yet.
  }
}

/** Codes and ring groups read from the database. */
export class StoreNumberPlan implements NumberPlanSource {
  private codes: FeatureCodes = defaultCodes();
  private groups = new Map<string, RingGroupDefinition>();

  constructor(private readonly store: Store) {}

  plan(): NumberPlan {
    return { codes: this.codes };
  }

  group(number: string): RingGroupDefinition | undefined {
    return this.groups.get(number);
  }

  async reload(): Promise<void> {
    const codes = defaultCodes();
    for (const [feature, code] of Object.entries(await this.store.numberPlan.overrides())) {
      if (isFeatureId(feature)) codes[feature] = code;
    }
    const groups = new Map<string, RingGroupDefinition>();
    for (const g of await this.store.ringGroups.list()) groups.set(g.number, { number: g.number, members: g.members });
    this.codes = codes;
    this.groups = groups;
  }
}
