/**
 * A media port for the engine's unit tests: endpoints that record what the engine asked of them
 * (offers made, answers given, playbacks, destroy), with an SDP of their own.
 */
import {
  MediaUnavailableError,
  type ConferenceMember,
  type MediaConference,
  type MediaEndpoint,
  type MediaPort,
  type MediaSource,
  type PlayOptions,
  type PlayResult,
  type RecordOptions,
  type RecordResult,
} from '../../src/engine/media-port';

let next = 0;

export class FakeEndpoint implements MediaEndpoint {
  readonly id = `fake-ep-${++next}`;
  readonly localSdp: string;
  ended = false;
  readonly modified: string[] = [];
  readonly played: Array<{ source: MediaSource; loop: boolean }> = [];
  stops = 0;
  private readonly endedListeners: Array<(reason: string | undefined) => void> = [];
  private stopPlaying: (() => void) | undefined;

  constructor(readonly mode: 'offer' | 'answer') {
    const port = 30000 + (next % 1000) * 2;
    this.localSdp = [
      'v=0',
      `o=FreeSWITCH 9 1 IN IP4 127.0.0.9`,
      's=FreeSWITCH',
      'c=IN IP4 127.0.0.9',
      't=0 0',
      `m=audio ${port} RTP/AVP 0 8 101`,
      'a=sendrecv',
      '',
    ].join('\r\n');
  }

  async modify(sdp: string): Promise<string> {
    this.modified.push(sdp);
    return this.localSdp;
  }

  play(source: MediaSource, options: PlayOptions = {}): Promise<PlayResult> {
    this.played.push({ source, loop: options.loop ?? false });
    return new Promise((resolve) => (this.stopPlaying = () => resolve({ stopped: true })));
  }

  async stop(): Promise<void> {
    this.stops += 1;
    this.stopPlaying?.();
  }

  readonly recorded: Array<{ file: string; options: RecordOptions }> = [];
  private readonly digitListeners: Array<(digit: string) => void> = [];

  record(file: string, options: RecordOptions): Promise<RecordResult> {
    this.recorded.push({ file, options });
    return new Promise((resolve) =>
      this.onEnded(() => resolve({ ms: undefined, terminator: undefined, hungUp: true })),
    );
  }

  onDigit(listener: (digit: string) => void): void {
    this.digitListeners.push(listener);
  }

  /** Test helper: the phone sent a digit. */
  digit(d: string): void {
    for (const l of this.digitListeners) l(d);
  }

  async join(conference: string): Promise<ConferenceMember> {
    return { conference, memberId: 2 };
  }

  async leave(): Promise<void> {}

  async destroy(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.stopPlaying?.();
    for (const l of this.endedListeners.splice(0)) l('destroyed');
  }

  onEnded(listener: (reason: string | undefined) => void): void {
    this.endedListeners.push(listener);
  }
}

export class FakeMediaPort implements MediaPort {
  available = true;
  readonly endpoints: FakeEndpoint[] = [];

  get unavailableReason(): string | undefined {
    return this.available ? undefined : 'test: media server down';
  }

  onAvailability(): void {}

  async answerOffer(): Promise<MediaEndpoint> {
    return this.make('answer');
  }

  async createOffer(): Promise<MediaEndpoint> {
    return this.make('offer');
  }

  createConference(): Promise<MediaConference> {
    return Promise.reject(new Error('not in this fake'));
  }

  /** Endpoints not destroyed yet. */
  live(): FakeEndpoint[] {
    return this.endpoints.filter((e) => !e.ended);
  }

  private make(mode: 'offer' | 'answer'): FakeEndpoint {
    if (!this.available) throw new MediaUnavailableError('test: media server down');
    const ep = new FakeEndpoint(mode);
    this.endpoints.push(ep);
    return ep;
  }
}
