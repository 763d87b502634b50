/**
 * The addresses whose packets the SIP server may drop before parsing: those Comm Exclusive
 * blocked, while its mode is `no-response` (in `response` mode they must reach the registrar to
 * be answered 403). The SIP server may run in another thread, where no function of the PBX can
 * be asked per packet, so this list is pushed to it as data: the whole list first and whenever
 * the mode or the white list may have changed, single blocks as Comm Exclusive makes or forgets
 * them.
 */
import type { SourceBlocksUpdate } from '@pbx/sip-server';
import type { CommExclusive, CommExclusiveMode } from './comm-exclusive';

export type DroppedSourcesListener = (update: SourceBlocksUpdate) => void;

export class DroppedSources {
  private readonly listeners = new Set<DroppedSourcesListener>();
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly comm: CommExclusive,
    private readonly mode: () => CommExclusiveMode,
    private readonly now: () => number,
  ) {}

  /** Calls `listener` with the whole list now, then with every change. */
  watch(listener: DroppedSourcesListener): () => void {
    this.listeners.add(listener);
    this.unwatch ??= this.comm.watchBlocks((ip, until) => this.changed(ip, until));
    listener(this.whole());
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0) return;
      this.unwatch?.();
      this.unwatch = undefined;
    };
  }

  /** Sends the whole list again (the mode, the white list or the blocks table changed). */
  refresh(): void {
    if (this.listeners.size === 0) return;
    const update = this.whole();
    for (const l of this.listeners) l(update);
  }

  private whole(): SourceBlocksUpdate {
    const block =
      this.mode() === 'no-response'
        ? this.comm.activeBlocks(this.now()).map((b) => ({ address: b.ip, until: b.until }))
        : [];
    return { replace: true, block };
  }

  private changed(ip: string, until: number | undefined): void {
    // A block made in `response` mode is not dropped here (the registrar answers it 403); a
    // change of mode sends the whole list. Lifting is always passed on.
    if (until !== undefined && this.mode() !== 'no-response') return;
    const update: SourceBlocksUpdate =
      until === undefined ? { unblock: [ip] } : { block: [{ address: ip, until }] };
    for (const l of this.listeners) l(update);
  }
}
