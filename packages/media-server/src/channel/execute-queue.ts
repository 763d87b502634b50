/**
 * The per-channel execute FIFO (spec §3.1): `sendmsg execute` items run one at a time in arrival
 * order, each framed by CHANNEL_EXECUTE and CHANNEL_EXECUTE_COMPLETE. A running app that lets
 * the channel process messages (conference, park-like apps) lets the next items run nested, as
 * FreeSWITCH does while a member sits in a conference.
 */

export interface ExecuteItem {
  app: string;
  arg: string;
  eventUuid: string;
}

export interface RunningApp {
  item: ExecuteItem;
  abort: AbortController;
  done: Promise<void>;
  nestable: boolean;
}

export interface ExecuteRunner {
  /** Runs one item to its end (fires both events); never rejects. */
  run(item: ExecuteItem, signal: AbortSignal): Promise<void>;
  nestable(app: string): boolean;
}

export class ExecuteQueue {
  private readonly items: ExecuteItem[] = [];
  private readonly stack: RunningApp[] = [];
  private closed = false;

  constructor(private readonly runner: ExecuteRunner) {}

  get current(): RunningApp | undefined {
    return this.stack[this.stack.length - 1];
  }

  get pending(): number {
    return this.items.length;
  }

  enqueue(item: ExecuteItem): void {
    if (this.closed) return;
    this.items.push(item);
    this.pump();
  }

  /** uuid_break: stop the innermost running app; `all` also drops queued items. */
  breakCurrent(all: boolean, reason: 'break' | 'transfer' = 'break'): void {
    if (all) this.items.length = 0;
    if (reason === 'transfer') for (const r of this.stack) r.abort.abort(reason);
    else this.current?.abort.abort(reason);
  }

  /**
   * Hangup: stop every running app and resolve when they ended (bounded), returning the queued
   * items that never ran (the channel completes them so no client promise is left pending).
   */
  async close(timeoutMs = 2000): Promise<ExecuteItem[]> {
    this.closed = true;
    const dropped = this.items.splice(0);
    const running = [...this.stack];
    for (const r of running) r.abort.abort('hangup');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running.map((r) => r.done)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    return dropped;
  }

  private pump(): void {
    if (this.closed) return;
    const top = this.current;
    if (top && !top.nestable) return;
    const item = this.items.shift();
    if (!item) return;
    const abort = new AbortController();
    const entry: RunningApp = {
      item,
      abort,
      nestable: this.runner.nestable(item.app),
      done: Promise.resolve(),
    };
    this.stack.push(entry);
    entry.done = this.runner.run(item, abort.signal).finally(() => {
      const i = this.stack.indexOf(entry);
      if (i >= 0) this.stack.splice(i, 1);
      this.pump();
    });
    // A nestable app lets the next item start right away.
    if (entry.nestable) this.pump();
  }
}
