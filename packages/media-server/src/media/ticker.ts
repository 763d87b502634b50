/**
 * One shared 20 ms ticker for every session and mixer of an engine, paced off the monotonic clock
 * (`process.hrtime.bigint`), never off the count of timer callbacks: each wake-up runs every frame
 * that is due since the start, so timer lateness never accumulates into drift. After a stall of
 * more than `maxCatchUpFrames` the oldest due frames are skipped (counted in `lateTicks`) instead of
 * being sent in a burst the far end's jitter buffer would drop anyway.
 *
 * Each frame runs three phases over all clients: `receive` (jitter buffer → sinks), `mix`
 * (mixers, bridges) and `send` (source → encoder → socket), so audio received in a tick is sent
 * on in the same tick.
 */

export interface TickClient {
  /** `frame` is the ticker's frame counter (RTP timestamps derive from it). */
  receive?(frame: number): void;
  mix?(frame: number): void;
  send?(frame: number): void;
}

export interface TickerOptions {
  frameMs?: number;
  maxCatchUpFrames?: number;
  /** Called when a client throws; the ticker keeps running. */
  onError?: (err: unknown) => void;
  now?: () => number;
}

const hrNowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export class Ticker {
  private readonly frameMs: number;
  private readonly maxCatchUp: number;
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;
  private readonly clients = new Set<TickClient>();
  private timer: NodeJS.Timeout | undefined;
  private startMs = 0;
  private nextFrame = 0;
  /** Frames skipped after a stall. */
  lateTicks = 0;
  /** Frames run (including catch-up frames). */
  frames = 0;

  constructor(options: TickerOptions = {}) {
    this.frameMs = options.frameMs ?? 20;
    this.maxCatchUp = options.maxCatchUpFrames ?? 5;
    this.now = options.now ?? hrNowMs;
    this.onError = options.onError ?? (() => undefined);
  }

  /** The frame number the next tick will run (for clients joining now). */
  get currentFrame(): number {
    return this.nextFrame;
  }

  add(client: TickClient): void {
    this.clients.add(client);
    if (!this.timer && !this.inTick) this.start();
  }

  delete(client: TickClient): void {
    this.clients.delete(client);
    if (this.clients.size === 0) this.stop();
  }

  get size(): number {
    return this.clients.size;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    // Restart the clock when a client comes back, so an idle gap is not counted as late.
    this.startMs = this.now();
    this.baseFrame = this.nextFrame;
    this.schedule();
  }

  private baseFrame = 0;

  /** Frame `baseFrame + k` is due at `startMs + k * frameMs`. */
  private schedule(): void {
    const dueAt = this.startMs + (this.nextFrame - this.baseFrame) * this.frameMs;
    const wait = dueAt - this.now();
    // Timers fire up to ~1 ms late; aiming that much early keeps packets inside the bound.
    this.timer = setTimeout(this.onTimer, Math.max(0, Math.floor(wait - 1)));
    this.timer.unref();
  }

  private inTick = false;

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.inTick = true;
    const elapsed = this.now() - this.startMs;
    const dueFrame = this.baseFrame + Math.floor(elapsed / this.frameMs) + 1;
    if (dueFrame - this.nextFrame > this.maxCatchUp) {
      const skip = dueFrame - this.nextFrame - this.maxCatchUp;
      this.lateTicks += skip;
      this.nextFrame += skip;
    }
    while (this.nextFrame < dueFrame && this.clients.size > 0) {
      this.runFrame(this.nextFrame);
      this.nextFrame++;
    }
    this.inTick = false;
    if (this.clients.size > 0) this.schedule();
  };

  private runFrame(frame: number): void {
    this.frames++;
    for (const c of this.clients) if (c.receive) this.guard(c, 'receive', frame);
    for (const c of this.clients) if (c.mix) this.guard(c, 'mix', frame);
    for (const c of this.clients) if (c.send) this.guard(c, 'send', frame);
  }

  private guard(c: TickClient, phase: 'receive' | 'mix' | 'send', frame: number): void {
    try {
      c[phase]?.(frame);
    } catch (err) {
      this.onError(err);
    }
  }
}
