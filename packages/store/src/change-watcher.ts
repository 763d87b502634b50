import { EventEmitter } from 'node:events';
import type { Database } from './database';
import { type Logger, silentLogger } from './logger';
import { ChangeRepo, type ChangeArea } from './repos/change-repo';

/** Options of {@link ChangeWatcher}. */
export interface ChangeWatcherOptions {
  /** Poll period in ms (default 250). */
  intervalMs?: number;
  logger?: Logger;
}

/** Events of {@link ChangeWatcher}: one `change` per area whose counter moved. */
export interface ChangeWatcherEvents {
  change: [area: ChangeArea, counter: number];
}

/**
 * Polls `change_counter` so the running PBX sees CLI writes (stations, white list, system
 * options, blocks) within about one period, without a restart. Emits `change` once per area
 * that moved since the previous poll; the first poll only records the baseline. The timer is
 * unref'd, so a watcher alone does not keep the process alive.
 */
export class ChangeWatcher extends EventEmitter<ChangeWatcherEvents> {
  private readonly repo: ChangeRepo;
  private readonly intervalMs: number;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private last: Record<string, number> | undefined;
  private polling: Promise<void> | undefined;

  constructor(db: Database, options: ChangeWatcherOptions = {}) {
    super();
    this.repo = new ChangeRepo(db);
    this.intervalMs = options.intervalMs ?? 250;
    this.log = options.logger ?? silentLogger;
  }

  /** Records the current counters and starts polling. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.last = await this.repo.counters();
    this.timer = setInterval(() => {
      void this.poll();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /** Compares the counters with the previous poll now; emits for each area that moved. */
  poll(): Promise<void> {
    // Skip a tick while the previous poll is still reading.
    if (this.polling) return this.polling;
    this.polling = this.check().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async check(): Promise<void> {
    let now: Record<string, number>;
    try {
      now = await this.repo.counters();
    } catch (err) {
      this.log.warn({ err }, 'change counter poll failed');
      return;
    }
    const before = this.last ?? {};
    this.last = now;
    for (const [area, counter] of Object.entries(now)) {
      if (before[area] !== counter) this.emit('change', area, counter);
    }
  }
}
