/**
 * The number plan for call routing, read from SQLite: the feature codes (`number_plan` rows over
 * the dialplan defaults) and the ring groups. Kept in memory so classification stays synchronous;
 * reloaded when `pbx numplan` or `pbx group` bump their change areas.
 */
import type { Logger } from 'pino';
import { planFromStored, type NumberPlan } from '@pbx/dialplan';
import type { Store } from '@pbx/store';

/** A ring group as routing needs it. */
export interface RingGroupView {
  readonly number: string;
  readonly name: string;
  /** Member stations in ring order (at most 10, all stations when written). */
  readonly members: readonly string[];
  /** Overflow to this station's mailbox when nobody answers (absent: none). */
  readonly voicemail?: RingGroupOverflow;
}

/** Where and when a ring group call nobody answers goes to voice mail. */
export interface RingGroupOverflow {
  readonly station: string;
  /** Seconds of ringing first; null: the system option features.forwardNoAnswerTimer. */
  readonly afterSeconds: number | null;
}

/**
 * The plan in force from the stored changes: each feature code, the trunk access code and the
 * auth feature code take their default unless a row sets another or unassigns it (`null`). Ids
 * this program does not know are ignored (a newer program wrote them). `trunkPrefix`, when
 * given, replaces the stored trunk access code (tests).
 */
export function planFromOverrides(
  overrides: Readonly<Record<string, string | null>>,
  trunkPrefix?: string,
): NumberPlan {
  const plan = planFromStored(overrides);
  return trunkPrefix === undefined ? plan : { ...plan, trunkPrefix };
}

export interface StoreNumberPlanOptions {
  /** Replaces the stored trunk access code (tests). */
  trunkPrefix?: string;
  logger?: Logger;
}

/**
 * Feature codes and ring groups from the store. Until `load()` has run it holds the default codes
 * and no groups. Structurally the routing layer's number-plan source: `plan()`, `group(n)`,
 * `reload()`.
 */
export class StoreNumberPlan {
  private current: NumberPlan;
  private groupsByNumber = new Map<string, RingGroupView>();
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly options: StoreNumberPlanOptions = {},
  ) {
    this.current = planFromOverrides({}, options.trunkPrefix);
  }

  /** The codes in force (and the trunk prefix). */
  plan(): NumberPlan {
    return this.current;
  }

  group(number: string): RingGroupView | undefined {
    return this.groupsByNumber.get(number);
  }

  isGroup = (number: string): boolean => this.groupsByNumber.has(number);

  groups(): RingGroupView[] {
    return [...this.groupsByNumber.values()];
  }

  /** Reads codes and groups; loads run one at a time. */
  load(): Promise<void> {
    const next = this.loading.then(() => this.readAll());
    this.loading = next.catch(() => undefined);
    return next;
  }

  reload(): Promise<void> {
    return this.load();
  }

  /** For the change watcher: reloads on `numplan` and `groups`. */
  async onChange(area: string): Promise<void> {
    if (area === 'numplan' || area === 'groups') await this.load();
  }

  private async readAll(): Promise<void> {
    const [overrides, groups] = await Promise.all([
      this.store.numberPlan.overrides(),
      this.store.ringGroups.list(),
    ]);
    this.current = planFromOverrides(overrides, this.options.trunkPrefix);
    this.groupsByNumber = new Map(
      groups.map((g) => [
        g.number,
        {
          number: g.number,
          name: g.name,
          members: g.members,
          ...(g.voicemail === null
            ? {}
            : { voicemail: { station: g.voicemail, afterSeconds: g.voicemailAfter } }),
        },
      ]),
    );
    this.options.logger?.debug(
      { codes: this.current.codes, groups: groups.length },
      'number plan loaded',
    );
  }
}
