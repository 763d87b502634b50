/**
 * The media port's endpoints and conferences on drachtio-fsmrf objects: one media-server channel
 * ({@link MediaEndpoint}) and one named mixer ({@link MediaConference}).
 */
import type { Logger } from 'pino';
import type {
  ConferenceMember,
  ConferenceMemberEvent,
  MediaConference,
  MediaEndpoint,
  MediaSource,
  PlayOptions,
  PlayResult,
  RecordOptions,
  RecordResult,
} from '../engine/media-port';
import type { EslEvent, FsConference, FsEndpoint } from './fsmrf';

/** The string fsmrf/FreeSWITCH plays for a source. */
export function playable(source: MediaSource): string {
  return 'file' in source ? source.file : source.stream;
}

/** A playback the media server refused (file not found, not playable). */
export class PlaybackError extends Error {
  override name = 'PlaybackError';
}

export class FsmrfEndpoint implements MediaEndpoint {
  private isEnded = false;
  private readonly endedListeners: Array<(reason: string | undefined) => void> = [];
  private readonly endedPromise: Promise<void>;
  private resolveEnded: () => void = () => undefined;
  private stops = 0;
  private conference: string | undefined;

  constructor(
    private readonly ep: FsEndpoint,
    private readonly log: Logger,
  ) {
    this.endedPromise = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    ep.once('destroy', (info) => this.markEnded(info?.reason));
  }

  private markEnded(reason: string | undefined): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.resolveEnded();
    for (const l of this.endedListeners.splice(0)) {
      try {
        l(reason);
      } catch (err) {
        this.log.error({ err }, 'media endpoint ended listener failed');
      }
    }
  }

  get id(): string {
    return this.ep.uuid;
  }

  get localSdp(): string {
    return this.ep.local.sdp;
  }

  get ended(): boolean {
    return this.isEnded;
  }

  modify(sdp: string): Promise<string> {
    return this.ep.modify(sdp);
  }

  async play(source: MediaSource, options: PlayOptions = {}): Promise<PlayResult> {
    const target = playable(source);
    const stopsBefore = this.stops;
    // A hang-up of the channel may leave the execute unanswered (its socket is gone): race it.
    const ended = this.endedPromise.then(() => 'ended' as const);
    const run = async (): Promise<'done'> => {
      if (options.loop) {
        const evt = await this.ep.execute('endless_playback', target);
        const response = evt.getHeader('Application-Response');
        if (response === 'FILE NOT FOUND')
          throw new PlaybackError(`cannot play ${target}: not found`);
      } else {
        await this.ep.play(target).catch((err: unknown) => {
          throw new PlaybackError(`cannot play ${target}: ${(err as Error).message}`);
        });
      }
      return 'done';
    };
    const outcome = await Promise.race([run(), ended]);
    return { stopped: outcome === 'ended' || this.stops !== stopsBefore };
  }

  async stop(): Promise<void> {
    if (this.isEnded) return;
    this.stops += 1;
    await this.ep.api('uuid_break', `${this.ep.uuid} all`);
  }

  async record(file: string, options: RecordOptions): Promise<RecordResult> {
    const terminators = options.terminators ? options.terminators : 'none';
    // FreeSWITCH's record stops on the digits in `playback_terminators` (none by default).
    await this.ep.execute('set', `playback_terminators=${terminators}`);
    const run = this.ep.record(file, {
      timeLimitSecs: Math.max(1, Math.round(options.maxSeconds)),
    });
    const ended = this.endedPromise.then(() => 'ended' as const);
    const first = await Promise.race([run, ended]);
    if (first !== 'ended') {
      const ms = Number(first.recordMilliseconds);
      return {
        ms: Number.isFinite(ms) ? ms : undefined,
        terminator: first.terminatorUsed ? first.terminatorUsed : undefined,
        hungUp: false,
      };
    }
    // The media server completes the record (file closed) before it reports the hang-up; a
    // server that went away never does: wait a little, then take the file as it is.
    const settle = new Promise<'gone'>((resolve) =>
      setTimeout(() => resolve('gone'), 2000).unref(),
    );
    await Promise.race([run.catch(() => 'gone' as const), settle]);
    return { ms: undefined, terminator: undefined, hungUp: true };
  }

  onDigit(listener: (digit: string) => void): void {
    this.ep.on('dtmf', (evt) => {
      if (typeof evt.dtmf !== 'string' || evt.dtmf === '') return;
      try {
        listener(evt.dtmf);
      } catch (err) {
        this.log.error({ err }, 'media endpoint digit listener failed');
      }
    });
  }

  async join(conference: string): Promise<ConferenceMember> {
    const { memberId } = await this.ep.join(conference);
    this.conference = conference;
    return { conference, memberId };
  }

  async leave(): Promise<void> {
    if (this.isEnded || this.conference === undefined) return;
    this.conference = undefined;
    await this.ep.unjoin();
  }

  async destroy(): Promise<void> {
    if (this.isEnded) return;
    // The hangup fsmrf sends is queued behind a running application (a looped playback never
    // ends by itself), as on FreeSWITCH: break it first.
    await this.ep.api('uuid_break', `${this.ep.uuid} all`).catch(() => undefined);
    // fsmrf resolves destroy when the media server's BYE arrives; a server that went away never
    // sends one, so do not wait longer than the channel's own end.
    await Promise.race([this.ep.destroy(), this.endedPromise]).catch((err: unknown) =>
      // The media server went away with the channel: nothing is left to hang up.
      this.log.debug({ err, channel: this.id }, 'media endpoint destroy'),
    );
    // fsmrf emits no `destroy` for a hang-up it asked for itself.
    this.markEnded('destroyed');
  }

  onEnded(listener: (reason: string | undefined) => void): void {
    if (this.isEnded) listener(undefined);
    else this.endedListeners.push(listener);
  }
}

export class FsmrfConference implements MediaConference {
  private readonly memberListeners: Array<(e: ConferenceMemberEvent) => void> = [];
  private readonly endedListeners: Array<() => void> = [];
  private isEnded = false;

  constructor(
    private readonly conf: FsConference,
    private readonly log: Logger,
  ) {
    const forward = (action: 'add' | 'del') => (evt: EslEvent) => {
      const memberId = Number(evt.getHeader('Member-ID'));
      if (!Number.isInteger(memberId)) return;
      const event: ConferenceMemberEvent = {
        action,
        conference: conf.name,
        memberId,
        // The member's channel id: our MediaEndpoint.id when the member is one of ours.
        endpointId: evt.getHeader('Unique-ID'),
      };
      for (const l of this.memberListeners) {
        try {
          l(event);
        } catch (err) {
          this.log.error({ err }, 'conference member listener failed');
        }
      }
    };
    conf.on('addMember', forward('add'));
    conf.on('delMember', forward('del'));
    conf.endpoint.once('destroy', () => {
      this.isEnded = true;
      for (const l of this.endedListeners.splice(0)) l();
    });
  }

  get name(): string {
    return this.conf.name;
  }

  async size(): Promise<number> {
    // fsmrf's count includes the conference's own (muted) control leg.
    return Math.max(0, (await this.conf.getSize()) - 1);
  }

  onMember(listener: (event: ConferenceMemberEvent) => void): void {
    this.memberListeners.push(listener);
  }

  async play(source: MediaSource): Promise<void> {
    await this.conf.play(playable(source));
  }

  async destroy(): Promise<void> {
    if (this.isEnded) return;
    await this.conf.destroy();
  }

  onEnded(listener: () => void): void {
    if (this.isEnded) listener();
    else this.endedListeners.push(listener);
  }
}
