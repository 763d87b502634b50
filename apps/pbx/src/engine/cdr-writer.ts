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

/** Where call records go. */
export interface CdrSink {
  write(record: CallRecordInput): Promise<void>;
  /** Writes a connected call before its end (so a crash cannot lose it); optional. */
  open?(record: OpenCallInput): Promise<void>;
}

/** The database sink. */
export function storeCdrSink(store: Store): CdrSink {
  return {
    async write(record) {
      await store.cdrs.record(record);
    },
    async open(record) {
      await store.cdrs.openConnected(record);
    },
  };
}

/** Writes records in order, never throws at the caller, and lets tests wait for the writes. */
export class CdrWriter {
  private pending: Promise<void> = Promise.resolve();
  private readonly written: Array<(record: CallRecordInput) => void> = [];

  /** Tells `listener` each finished record once it is stored (metrics, the event stream). */
  onWritten(listener: (record: CallRecordInput) => void): void {
    this.written.push(listener);
  }

  constructor(
    private readonly sink: CdrSink,
    private readonly log: Logger,
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
    const sink = this.sink;
    this.pending = this.pending
      .then(() => sink.write(record))
      .then(() => {
        for (const l of this.written) l(record);
      })
      .catch((err: unknown) =>
        this.log.error({ err, callRef: record.callRef }, 'call record not written'),
      );
  }

  /** Writes a call that has just connected, ahead of its end (see CdrRepo.openConnected). */
  open(record: OpenCallInput): void {
    const sink = this.sink;
    if (!sink.open) return;
    const open = sink.open.bind(sink);
    this.pending = this.pending
      .then(() => open(record))
      .catch((err: unknown) =>
        this.log.error({ err, callRef: record.callRef }, 'open call record not written'),
      );
  }

  /** Resolves when every record so far is written. */
  flush(): Promise<void> {
    return this.pending;
  }
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
