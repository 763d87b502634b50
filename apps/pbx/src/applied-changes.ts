/**
 * When the running PBX has applied a change written to the database (by the CLI or anyone else):
 * the change watcher sees an area's counter move, the PBX reloads what that area holds, and only
 * then is the change live. Tests and tools wait on this instead of sleeping.
 */
import { EventEmitter } from 'node:events';
import type { ChangeArea } from '@pbx/store';

/** One area's change, applied (or failed to apply) by the running PBX. */
export interface AppliedChange {
  readonly area: ChangeArea;
  /** The area's change counter the PBX saw; every write up to it is now live. */
  readonly counter: number;
  /** Increases by one with every change applied, in the order they finished. */
  readonly seq: number;
  /** Set when applying failed (the previous state stays in force). */
  readonly error?: unknown;
}

/** Events of {@link AppliedChanges}. */
export interface AppliedChangesEvents {
  applied: [change: AppliedChange];
}

/** The record of applied changes, per area, with a wait for a given counter. */
export class AppliedChanges extends EventEmitter<AppliedChangesEvents> {
  private readonly counters = new Map<string, number>();
  private seq = 0;

  /** Records that `area` has been applied up to `counter` (or failed to) and emits `applied`. */
  record(area: ChangeArea, counter: number, error?: unknown): AppliedChange {
    const change: AppliedChange = {
      area,
      counter,
      seq: ++this.seq,
      ...(error !== undefined ? { error } : {}),
    };
    // Two changes of one area can finish out of order; the higher counter covers the lower.
    if (error === undefined)
      this.counters.set(area, Math.max(counter, this.counters.get(area) ?? 0));
    this.emit('applied', change);
    return change;
  }

  /** The highest counter of `area` applied so far (undefined before the first change). */
  counter(area: ChangeArea): number | undefined {
    return this.counters.get(area);
  }

  /**
   * Resolves once `area` has been applied up to at least `counter`; rejects when applying it
   * failed or after `withinMs`.
   */
  waitFor(area: ChangeArea, counter: number, withinMs = 5_000): Promise<AppliedChange> {
    const done = this.counter(area);
    if (done !== undefined && done >= counter) {
      return Promise.resolve({ area, counter: done, seq: this.seq });
    }
    return new Promise<AppliedChange>((resolve, reject) => {
      const onApplied = (c: AppliedChange): void => {
        if (c.area !== area || c.counter < counter) return;
        finish();
        if (c.error !== undefined)
          reject(new Error(`applying the ${area} change failed`, { cause: c.error }));
        else resolve(c);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`the ${area} change ${counter} was not applied within ${withinMs} ms`));
      }, withinMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.off('applied', onApplied);
      };
      this.on('applied', onApplied);
    });
  }
}
