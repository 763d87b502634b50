/**
 * Call records: one per call attempt, written when the attempt ends, in the shape of the store's
 * `CdrRepo.record` (packages/store). Call control builds the record; a `CdrSink` stores it (the
 * CdrRepo in production, a recording sink in the feature runner tests).
 */
import type { Logger } from 'pino';
import type { CallAttempt, CallEnd, CdrDisposition, HangupSide, Store } from '@pbx/store';

export type { CdrDisposition, HangupSide };

/** A finished call attempt, as `CdrRepo.record` takes it. */
export type CallRecordInput = CallAttempt & CallEnd & { answerAt?: number | null };

/** A call that has just connected, as `CdrRepo.openConnected` takes it. */
export type OpenCallInput = CallAttempt & { answerAt: number };

/** One write of the writer's queue: a connected call's open record, or a finished record. */
export type CdrWrite =
  { kind: 'open'; record: OpenCallInput } | { kind: 'end'; record: CallRecordInput };

/** Where call records go. */
export interface CdrSink {
  write(record: CallRecordInput): Promise<void>;
  /** Writes a connected call before its end (so a crash cannot lose it); optional. */
  open?(record: OpenCallInput): Promise<void>;
  /**
   * Writes several, in order, in one go; resolves once they are stored with, per write,
   * `undefined` or the error that kept it out. Optional: without it they go one by one.
   */
  writeMany?(writes: readonly CdrWrite[]): Promise<unknown[]>;
}

/** The database sink: the writes of a batch in one transaction (CdrRepo.writeMany). */
export function storeCdrSink(store: Store): CdrSink {
  return {
    async write(record) {
      await store.cdrs.record(record);
    },
    async open(record) {
      await store.cdrs.openConnected(record);
    },
    writeMany(writes) {
      return store.cdrs.writeMany(writes);
    },
  };
}

/**
 * Writes records in order, never throws at the caller, and lets tests wait for the writes.
 * Records are grouped: those of one event-loop turn, and those that arrive while a group is
 * being written, go to the sink together (one transaction in the database). A record is told to
 * the `onWritten` listeners, and `flush` resolves, only once it is stored, as when each was
 * written alone.
 */
export class CdrWriter {
  private queue: CdrWrite[] = [];
  private draining = false;
  /** Writes queued so far, and written (stored or failed) so far: what `flush` waits on. */
  private queued = 0;
  private settled = 0;
  private flushes: Array<{ upTo: number; resolve: () => void }> = [];
  private readonly written: Array<(record: CallRecordInput) => void> = [];

  /** Tells `listener` each finished record once it is stored (metrics, the event stream). */
  onWritten(listener: (record: CallRecordInput) => void): void {
    this.written.push(listener);
  }

  /**
   * `windowMs`: how long the first record of a group waits for others before the group is
   * written (0: only those of the same event-loop turn). Records become visible (stored, told)
   * that much later; nothing is told before it is stored.
   */
  constructor(
    private readonly sink: CdrSink,
    private readonly log: Logger,
    private readonly windowMs = 0,
  ) {}

  record(record: CallRecordInput): void {
    this.log.info(
      {
        callRef: record.callRef,
        caller: record.callerTel,
        callee: record.calleeTel,
        disposition: record.disposition,
        status: record.sipStatus,
      },
      'call record',
    );
    this.enqueue({ kind: 'end', record });
  }

  /** Writes a call that has just connected, ahead of its end (see CdrRepo.openConnected). */
  open(record: OpenCallInput): void {
    if (!this.sink.open && !this.sink.writeMany) return;
    this.enqueue({ kind: 'open', record });
  }

  /** Resolves when every record so far is written. */
  flush(): Promise<void> {
    if (this.settled >= this.queued) return Promise.resolve();
    return new Promise((resolve) => this.flushes.push({ upTo: this.queued, resolve }));
  }

  private enqueue(w: CdrWrite): void {
    this.queue.push(w);
    this.queued++;
    if (!this.draining) {
      this.draining = true;
      void this.drain();
    }
  }

  private async drain(): Promise<void> {
    // The rest of this turn's records (and of the window) join the first group.
    await new Promise<void>((resolve) =>
      this.windowMs > 0 ? setTimeout(resolve, this.windowMs) : setImmediate(resolve),
    );
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        try {
          await this.writeGroup(group);
        } finally {
          this.settled += group.length;
          const ready = this.flushes.filter((f) => f.upTo <= this.settled);
          this.flushes = this.flushes.filter((f) => f.upTo > this.settled);
          for (const f of ready) f.resolve();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Stores `group` in the sink; per write, `undefined` or the error that kept it out. */
  private async store(group: readonly CdrWrite[]): Promise<unknown[]> {
    if (this.sink.writeMany) {
      try {
        return await this.sink.writeMany(group);
      } catch (err) {
        return group.map(() => err);
      }
    }
    const errors: unknown[] = [];
    for (const w of group) {
      try {
        if (w.kind === 'end') await this.sink.write(w.record);
        else await this.sink.open?.(w.record);
        errors.push(undefined);
      } catch (err) {
        errors.push(err);
      }
    }
    return errors;
  }

  private async writeGroup(all: CdrWrite[]): Promise<void> {
    // A call that ended before its open record was stored needs no open record: its end, in the
    // same transaction, writes the same row (half the statements of a short call). If that end
    // is not stored, the open is written after all, so the call is not lost from the records.
    const { group, skipped } = withoutSupersededOpens(all);
    const errors = await this.store(group);
    const endFailed = new Set<string>();
    group.forEach((w, i) => {
      if (w.kind === 'end' && errors[i] !== undefined) endFailed.add(w.record.callRef);
    });
    const late = skipped.filter((w) => endFailed.has(w.record.callRef));
    if (late.length > 0) {
      const lateErrors = await this.store(late);
      late.forEach((w, i) => {
        group.push(w);
        errors.push(lateErrors[i]);
      });
    }
    group.forEach((w, i) => {
      const err = errors[i];
      if (w.kind === 'open') {
        if (err !== undefined)
          this.log.error({ err, callRef: w.record.callRef }, 'open call record not written');
        return;
      }
      try {
        if (err !== undefined) throw err;
        for (const l of this.written) l(w.record);
      } catch (e) {
        this.log.error({ err: e, callRef: w.record.callRef }, 'call record not written');
      }
    });
  }
}

/**
 * `writes` without the open records whose call's end comes later in the same list (`skipped`,
 * in order): the end alone leaves the same row.
 */
export function withoutSupersededOpens(writes: readonly CdrWrite[]): {
  group: CdrWrite[];
  skipped: CdrWrite[];
} {
  const endsAfter = new Set<string>();
  const keep: boolean[] = new Array<boolean>(writes.length);
  for (let i = writes.length - 1; i >= 0; i--) {
    const w = writes[i]!;
    if (w.kind === 'end') {
      endsAfter.add(w.record.callRef);
      keep[i] = true;
    } else keep[i] = !endsAfter.has(w.record.callRef);
  }
  const group: CdrWrite[] = [];
  const skipped: CdrWrite[] = [];
  writes.forEach((w, i) => (keep[i] ? group : skipped).push(w));
  return { group, skipped };
}

/** The disposition of an attempt from the final status the caller got. */
export function dispositionOf(status: number): CdrDisposition {
  if (status >= 200 && status < 300) return 'answered';
  if (status === 486 || status === 600) return 'busy';
  if (status === 487) return 'cancelled';
  if (status === 408) return 'no-answer';
  if (status === 404 || status === 403 || status === 480 || status === 603) return 'rejected';
  return 'failed';
}
