import { MediaStateError } from './errors';
import type { FeedOwner, MediaSession } from './rtp-session';
import type { AudioSink, DtmfEvent, SessionBridge } from './types';

/**
 * Two sessions hearing each other: what one receives in a tick's receive phase is what the other
 * sends in that tick's send phase (no extra buffering). Received DTMF is re-sent as RFC 4733
 * events with the same duration. Closing either session ends the bridge.
 */
export class Bridge implements SessionBridge, FeedOwner {
  readonly kind = 'bridge';
  private closed = false;
  private readonly legs: {
    from: MediaSession;
    to: MediaSession;
    sink: AudioSink;
    dtmf: (e: DtmfEvent) => void;
  }[];

  constructor(a: MediaSession, b: MediaSession) {
    if (a === b) throw new MediaStateError('cannot bridge a session to itself');
    for (const s of [a, b]) {
      if (s.isClosed) throw new MediaStateError('session is closed');
      if (s.feedOwner) throw new MediaStateError(`session is already in a ${s.feedOwner.kind}`);
    }
    this.legs = [
      [a, b],
      [b, a],
    ].map(([from, to]) => ({
      from: from as MediaSession,
      to: to as MediaSession,
      sink: { writeFrame: (f: Int16Array) => this.carry(to as MediaSession, f) },
      dtmf: (e: DtmfEvent) => (to as MediaSession).forwardDtmf(e),
    }));
    for (const l of this.legs) {
      l.to.feedOwner = this;
      l.from.addSink(l.sink);
      l.from.on('dtmf', l.dtmf);
      l.from.on('close', this.onClose);
    }
  }

  private carry(to: MediaSession, f: Int16Array): void {
    if (to.feedOwner === this) to.feed = f;
  }

  private readonly onClose = (): void => this.close();

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.legs) {
      l.from.removeSink(l.sink);
      l.from.off('dtmf', l.dtmf);
      l.from.off('close', this.onClose);
      if (l.to.feedOwner === this) {
        l.to.feedOwner = undefined;
        l.to.feed = null;
      }
    }
  }
}
