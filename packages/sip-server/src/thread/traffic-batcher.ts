/**
 * Collects the SIP messages the worker's server sends and receives during one event-loop turn and
 * hands them over as one batch (one postMessage per turn, not one per message): their bytes copied
 * back to back into one fresh ArrayBuffer that is transferred, not cloned.
 */
import type { TrafficBatch } from './protocol';

export class TrafficBatcher {
  private data: Buffer[] = [];
  private meta: Array<string | number> = [];
  private bytes = 0;
  private scheduled = false;

  constructor(private readonly send: (batch: TrafficBatch) => void) {}

  add(direction: 'in' | 'out', data: Buffer, peer: { address: string; port: number }): void {
    this.data.push(data);
    this.meta.push(direction === 'in' ? 'i' : 'o', data.length, peer.address, peer.port);
    this.bytes += data.length;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what was collected (also called before the worker stops). */
  flush(): void {
    this.scheduled = false;
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
