/**
 * One shared 20 ms ticker for every session and mixer of an engine, paced off the monotonic clock
 * (`process.hrtime.bigint`), never off the count of timer callbacks: each wake-up runs every
 * (sub-)frame that is due since the start, so timer lateness never accumulates into drift. After a
 * stall of more than `maxCatchUpFrames` the oldest due frames are skipped (counted in
 * `lateTicks`) instead of being sent in a burst the far end's jitter buffer would drop anyway.
 *
 * The frame is cut into `slots` sub-ticks (`frameMs / slots` apart) and every client lives in one
 * slot, so a tick with hundreds of sessions is several short bursts instead of one long one: a
 * long burst is what a busy CPU preempts, and every packet behind the preemption point is late.
 * A client's slot is fixed while it runs, so its packets stay `frameMs` apart. Within a slot each
 * frame runs three phases over the slot's clients: `receive` (jitter buffer → sinks), `mix`
 * (mixers) and `send` (source → encoder → socket). A mixer or bridge moves its sessions into its
 * own slot (`colocate`), so audio received in a frame is sent on in the same frame.
 */

export interface TickClient {
  /** `frame` is the ticker's frame counter (RTP timestamps derive from it). */
  receive?(frame: number): void;
  mix?(frame: number): void;
  send?(frame: number): void;
}

export interface TickerOptions {
  frameMs?: number;
  /** Sub-ticks per frame (1 = every client at the frame boundary). */
  slots?: number;
  maxCatchUpFrames?: number;
  /** Called when a client throws; the ticker keeps running. */
  onError?: (err: unknown) => void;
  now?: () => number;
}

interface Entry {
  readonly client: TickClient;
  slot: number;
  /** Last frame this client ran: a move between slots never runs it twice in one frame. */
  lastFrame: number;
  live: boolean;
}

/** How early a frame may run (timers fire in whole ms; the bound is ±2 ms). */
const EARLY_MS = 1;

const hrNowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export class Ticker {
  private readonly frameMs: number;
  readonly slotCount: number;
  private readonly subMs: number;
  private readonly maxCatchUp: number;
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;
  private readonly entries = new Map<TickClient, Entry>();
  /** Clients per slot, in the order they run. */
  private readonly slots: Set<Entry>[];
  private timer: NodeJS.Timeout | undefined;
  private startMs = 0;
  /** Next sub-tick to run: frame `floor(n / slots)`, slot `n % slots`. */
  private nextSub = 0;
  private baseSub = 0;
  private inTick = false;
  /** Frames skipped after a stall. */
  lateTicks = 0;
  /** Frames run (including catch-up frames). */
  frames = 0;

  constructor(options: TickerOptions = {}) {
    this.frameMs = options.frameMs ?? 20;
    this.slotCount = Math.max(1, Math.floor(options.slots ?? 1));
    this.subMs = this.frameMs / this.slotCount;
    this.maxCatchUp = options.maxCatchUpFrames ?? 5;
    this.now = options.now ?? hrNowMs;
    this.onError = options.onError ?? (() => undefined);
    this.slots = Array.from({ length: this.slotCount }, () => new Set<Entry>());
  }

  /** The frame number the next tick will run (for clients joining now). */
  get currentFrame(): number {
    return Math.floor(this.nextSub / this.slotCount);
  }

  /** Adds a client to the least loaded slot. */
  add(client: TickClient): void {
    if (this.entries.has(client)) return;
    let slot = 0;
    for (let i = 1; i < this.slotCount; i++) {
      if ((this.slots[i] as Set<Entry>).size < (this.slots[slot] as Set<Entry>).size) slot = i;
    }
    const e: Entry = { client, slot, lastFrame: -1, live: true };
    this.entries.set(client, e);
    (this.slots[slot] as Set<Entry>).add(e);
    if (!this.timer && !this.inTick) this.start();
  }

  /** Moves `client` into the slot of `anchor` (a mixer's member, a bridged session). */
  colocate(client: TickClient, anchor: TickClient): void {
    const e = this.entries.get(client);
    const a = this.entries.get(anchor);
    if (!e || !a || e.slot === a.slot) return;
    (this.slots[e.slot] as Set<Entry>).delete(e);
    e.slot = a.slot;
    (this.slots[e.slot] as Set<Entry>).add(e);
  }

  /** The slot a client runs in (tests, stats); undefined for an object that is not a client. */
  slotOf(client: object): number | undefined {
    return this.entries.get(client as TickClient)?.slot;
  }

  delete(client: TickClient): void {
    const e = this.entries.get(client);
    if (!e) return;
    e.live = false;
    this.entries.delete(client);
    (this.slots[e.slot] as Set<Entry>).delete(e);
    if (this.entries.size === 0) this.stop();
  }

  get size(): number {
    return this.entries.size;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    // Restart the clock when a client comes back, so an idle gap is not counted as late.
    // Sub-tick numbering stays frame-aligned: the restart begins at the next frame boundary.
    this.nextSub = Math.ceil(this.nextSub / this.slotCount) * this.slotCount;
    this.startMs = this.now();
    this.baseSub = this.nextSub;
    this.schedule();
  }

  /** Sub-tick `baseSub + k` is due at `startMs + k * subMs`. */
  private schedule(): void {
    // Sleep through empty slots: wake for the next sub-tick that has clients.
    let target = this.nextSub;
    for (let i = 0; i < this.slotCount; i++) {
      if ((this.slots[(this.nextSub + i) % this.slotCount] as Set<Entry>).size > 0) {
        target = this.nextSub + i;
        break;
      }
    }
    const dueAt = this.startMs + (target - this.baseSub) * this.subMs;
    const wait = dueAt - this.now();
    // Node timers count whole ms of a truncated loop clock: `ceil(wait)` fires between 1 ms
    // before and ~1 ms after the due time, and up to EARLY_MS early runs at once, so each
    // sub-tick costs one wake-up and runs within about ±1 ms of its due time.
    this.timer = setTimeout(this.onTimer, Math.max(0, Math.ceil(wait)));
    this.timer.unref();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.inTick = true;
    // A wake-up up to EARLY_MS before the due time runs the sub-tick at once: re-arming for the
    // rest would cost a second wake-up (Node's minimum delay is 1 ms) to be as far off, but late.
    const elapsed = this.now() - this.startMs + EARLY_MS;
    // Tiny epsilon: sub-tick boundaries can be fractions of a ms that floating point lands below.
    const dueSub = this.baseSub + Math.floor(elapsed / this.subMs + 1e-9) + 1;
    const excess = dueSub - this.nextSub - this.maxCatchUp * this.slotCount;
    if (excess > 0) {
      // Skip whole frames so every client skips the same number and keeps its slot.
      const skip = Math.ceil(excess / this.slotCount);
      this.lateTicks += skip;
      this.nextSub += skip * this.slotCount;
    }
    while (this.nextSub < dueSub && this.entries.size > 0) {
      this.runSub(this.nextSub);
      this.nextSub++;
    }
    this.inTick = false;
    if (this.entries.size > 0) this.schedule();
  };

  private runSub(sub: number): void {
    const frame = Math.floor(sub / this.slotCount);
    const slot = sub % this.slotCount;
    if (slot === 0) this.frames++;
    const clients = this.slots[slot] as Set<Entry>;
    if (clients.size === 0) return;
    // A snapshot (reused array, no allocation per tick): clients added or moved by a callback
    // start next frame, and one moved here after running this frame elsewhere is not run twice.
    const batch = this.batch;
    batch.length = 0;
    for (const e of clients) {
      if (e.lastFrame === frame) continue;
      e.lastFrame = frame;
      batch.push(e);
    }
    // `live`: a client deleted by an earlier callback (a session closed by a listener) is skipped.
    for (const e of batch) if (e.live && e.client.receive) this.guard(e.client, 'receive', frame);
    for (const e of batch) if (e.live && e.client.mix) this.guard(e.client, 'mix', frame);
    for (const e of batch) if (e.live && e.client.send) this.guard(e.client, 'send', frame);
    batch.length = 0;
  }

  private readonly batch: Entry[] = [];

  private guard(c: TickClient, phase: 'receive' | 'mix' | 'send', frame: number): void {
    try {
      c[phase]?.(frame);
    } catch (err) {
      this.onError(err);
    }
  }
}
