/**
 * Collects the SIP messages the worker's server sends and receives during one event-loop turn, or
 * during `intervalMs`, and hands them over as one batch (one postMessage per batch, not one per
 * message): their bytes copied back to back into one fresh ArrayBuffer that is transferred, not
 * cloned. A trace is read by people and counted by metrics, so it may lag a few milliseconds: a
 * batch per interval rather than per turn spares the thread a postMessage (a wake-up of the other
 * thread) for every datagram or two under load.
 */
import type { TrafficBatch } from './protocol';

/** Bytes collected that make a batch leave before its interval is over. */
export const MAX_BATCH_BYTES = 1 << 20;

export class TrafficBatcher {
  private data: Buffer[] = [];
  private meta: Array<string | number> = [];
  private bytes = 0;
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private readonly flushNow = (): void => this.flush();

  /** `intervalMs` 0: a batch per event-loop turn; more: at most one batch per interval. */
  constructor(
    private readonly send: (batch: TrafficBatch) => void,
    private readonly intervalMs = 0,
  ) {}

  add(direction: 'in' | 'out', data: Buffer, peer: { address: string; port: number }): void {
    this.data.push(data);
    this.meta.push(direction === 'in' ? 'i' : 'o', data.length, peer.address, peer.port);
    this.bytes += data.length;
    if (this.bytes >= MAX_BATCH_BYTES) {
      this.flush();
      return;
    }
    if (this.scheduled !== undefined) return;
    if (this.intervalMs <= 0) this.scheduled = setImmediate(this.flushNow);
    else {
      const timer = setTimeout(this.flushNow, this.intervalMs);
      // A pending trace batch is no reason for the thread to stay up.
      timer.unref();
      this.scheduled = timer;
    }
  }

  /** Sends what was collected (also called before the worker stops). */
  flush(): void {
    const scheduled = this.scheduled;
    this.scheduled = undefined;
    if (scheduled !== undefined) {
      if (this.intervalMs <= 0) clearImmediate(scheduled as NodeJS.Immediate);
      else clearTimeout(scheduled as NodeJS.Timeout);
    }
    if (this.data.length === 0) return;
    const bytes = new ArrayBuffer(this.bytes);
    const view = new Uint8Array(bytes);
    let at = 0;
    for (const d of this.data) {
      view.set(d, at);
      at += d.length;
    }
    const batch: TrafficBatch = { type: 'traffic', bytes, meta: this.meta };
    this.data = [];
    this.meta = [];
    this.bytes = 0;
    this.send(batch);
  }
}

/** Calls `each` for every message of a batch, in order; the data are views of `batch.bytes`. */
export function forEachMessage(
  batch: TrafficBatch,
  each: (direction: 'in' | 'out', data: Buffer, peer: { address: string; port: number }) => void,
): void {
  const m = batch.meta;
  let at = 0;
  for (let i = 0; i + 3 < m.length; i += 4) {
    const length = m[i + 1] as number;
    const data = Buffer.from(batch.bytes, at, length);
    at += length;
    each(m[i] === 'i' ? 'in' : 'out', data, {
      address: m[i + 2] as string,
      port: m[i + 3] as number,
    });
  }
}
