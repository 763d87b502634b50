/**
 * One call leg of the media server (= one fsmrf Endpoint): its variables, SIP dialog, RTP
 * session, outbound Event Socket connection, execute queue, and the hangup sequence of §2.7.
 */
import { randomUUID } from 'node:crypto';
import type { UasDialog } from '@pbx/sip-server';
import type { ServerContext } from '../context';
import type { EslConnection } from '../esl/connection';
import { standardHeaders } from '../esl/event';
import type { HeaderList } from '../esl/frames';
import type { AudioCodec, DtmfEvent, RtpSession, SessionBridge } from '../media/types';
import { ExecuteQueue } from './execute-queue';
import type { ExecuteItem } from './execute-queue';
import type { LocalSdpState } from './sdp';

export interface ChannelMembership {
  /** Leaves the conference (del-member etc.); resolves when done. */
  leave(reason: 'hangup' | 'kick' | 'hup' | 'transfer' | 'end'): void;
}

export interface ChannelInit {
  dialog: UasDialog;
  rtp: RtpSession;
  local: LocalSdpState;
  codec?: AudioCodec;
  telephoneEvent?: number;
  variables: Array<[string, string]>;
}

export type AppRunner = (
  ch: Channel,
  item: ExecuteItem,
  signal: AbortSignal,
) => Promise<string | undefined>;

export class Channel {
  readonly uuid = randomUUID();
  readonly vars = new Map<string, string>();
  readonly createdAt = Date.now();
  readonly dialog: UasDialog;
  readonly rtp: RtpSession;
  local: LocalSdpState;
  codec?: AudioCodec;
  telephoneEvent?: number;
  callState: 'ACTIVE' | 'HANGUP' = 'ACTIVE';
  hangupCause?: string;
  esl?: EslConnection;
  bridge?: { partner: Channel; handle: SessionBridge };
  membership?: ChannelMembership;
  /** record_session recordings by path. */
  readonly sessionRecordings = new Map<string, () => Promise<void>>();
  /** The running app's DTMF hook (playback terminators, digit collection). */
  digitListener?: (digit: string) => void;
  readonly queue: ExecuteQueue;
  /** Settles when our BYE got its final response (or failed); undefined if we sent none. */
  byeDone?: Promise<void>;
  /** Called once the hangup sequence is done (the SIP side forgets the Call-ID). */
  onGone?: () => void;
  private hungUp = false;
  private readonly onDtmf = (e: DtmfEvent): void => this.handleDtmf(e);
  /**
   * The RTP session closed under the channel (the media worker died): the call has no media any
   * more, so it is hung up (BYE) rather than left silent; fsmrf's client sees the hangup events.
   */
  private readonly onRtpLost = (): void => {
    if (this.hungUp) return;
    this.ctx.log.warn({ uuid: this.uuid }, 'media session lost: hanging the channel up');
    void this.hangup('NORMAL_TEMPORARY_FAILURE');
  };

  constructor(
    private readonly ctx: ServerContext,
    init: ChannelInit,
    runApp: AppRunner,
    nestable: (app: string) => boolean,
  ) {
    this.dialog = init.dialog;
    this.rtp = init.rtp;
    this.local = init.local;
    this.codec = init.codec;
    this.telephoneEvent = init.telephoneEvent;
    for (const [k, v] of init.variables) this.vars.set(k, v);
    this.queue = new ExecuteQueue({
      run: (item, signal) => this.runItem(item, signal, runApp),
      nestable,
    });
    this.rtp.on('dtmf', this.onDtmf);
    this.rtp.on('close', this.onRtpLost);
  }

  get isUp(): boolean {
    return !this.hungUp;
  }

  get name(): string {
    return `sofia/${this.ctx.config.profile}/drachtio@${this.ctx.config.sipAddress}`;
  }

  setVar(name: string, value: string): void {
    if (value === '') this.vars.delete(name);
    else this.vars.set(name, value);
  }

  /** `${var}` expansion from channel variables (unknown → empty), like FreeSWITCH's expand. */
  expand(text: string): string {
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => this.vars.get(name) ?? '');
  }

  /** Channel headers of a channel event; with `vars`, every variable as `variable_<name>`. */
  headers(vars = true): HeaderList {
    const h: HeaderList = [
      ['Channel-State', this.hungUp ? 'CS_HANGUP' : 'CS_EXECUTE'],
      ['Channel-Call-State', this.callState],
      ['Channel-State-Number', this.hungUp ? '10' : '4'],
      ['Channel-Name', this.name],
      ['Unique-ID', this.uuid],
      ['Call-Direction', 'inbound'],
      ['Presence-Call-Direction', 'inbound'],
      ['Channel-HIT-Dialplan', 'true'],
      ['Channel-Call-UUID', this.uuid],
      ['Answer-State', this.hungUp ? 'hangup' : 'answered'],
      ['Channel-Read-Codec-Name', this.codec?.name ?? 'PCMU'],
      ['Channel-Read-Codec-Rate', '8000'],
      ['Channel-Write-Codec-Name', this.codec?.name ?? 'PCMU'],
      ['Channel-Write-Codec-Rate', '8000'],
      ['Caller-Direction', 'inbound'],
      ['Caller-Username', 'drachtio'],
      ['Caller-Unique-ID', this.uuid],
      ['Caller-Channel-Name', this.name],
      ['Caller-Context', 'mrf'],
      ['Caller-Destination-Number', 'drachtio'],
    ];
    if (this.hangupCause) h.push(['Hangup-Cause', this.hangupCause]);
    if (vars) for (const [k, v] of this.vars) h.push([`variable_${k}`, v]);
    return h;
  }

  /** Fires a channel event to every connection that wants it. */
  fire(
    name: string,
    extra: HeaderList = [],
    opts: { vars?: boolean; subclass?: string; body?: string } = {},
  ): void {
    const headers = [
      ...standardHeaders(name, this.ctx.identity, opts.subclass),
      ...this.headers(opts.vars ?? true),
      ...extra,
    ];
    this.ctx.fire({ name, subclass: opts.subclass, headers, body: opts.body });
  }

  /** The CHANNEL_DATA headers of the outbound `connect` reply (§2.4). */
  channelData(): HeaderList {
    return [
      ...standardHeaders('CHANNEL_DATA', this.ctx.identity),
      ['Channel-Unique-ID', this.uuid],
      ...this.headers(true),
    ];
  }

  /** Hangs the channel up: apps end (COMPLETE still sent), CALLSTATE HANGUP, BYE, notice, close. */
  async hangup(cause = 'NORMAL_CLEARING', opts: { remote?: boolean } = {}): Promise<void> {
    if (this.hungUp) return;
    this.hungUp = true;
    this.hangupCause = cause;
    this.vars.set('hangup_cause', cause);
    const log = this.ctx.log.child({ uuid: this.uuid });
    log.debug({ cause, remote: opts.remote === true }, 'channel hangup');
    this.rtp.stopPlayback();
    this.membership?.leave('hangup');
    this.membership = undefined;
    if (this.bridge) {
      const { partner, handle } = this.bridge;
      this.bridge = undefined;
      handle.close();
      if (partner.bridge?.partner === this) partner.bridge = undefined;
      // park_after_bridge: the partner stays up, parked.
    }
    for (const stop of this.sessionRecordings.values()) await stop().catch(() => undefined);
    this.sessionRecordings.clear();
    const dropped = await this.queue.close();
    // FreeSWITCH skips queued executes silently, leaving the client's promises pending forever;
    // here each gets its COMPLETE (nothing ran) before the channel goes down.
    for (const item of dropped) {
      this.fire('CHANNEL_EXECUTE_COMPLETE', [
        ['Application', item.app],
        ['Application-Data', item.arg],
        ['Application-UUID', item.eventUuid],
        ['Application-Response', '-ERR channel hung up'],
      ]);
    }
    this.callState = 'HANGUP';
    this.fire('CHANNEL_HANGUP', [['Hangup-Cause', cause]]);
    this.fire('CHANNEL_CALLSTATE', [['Original-Channel-Call-State', 'ACTIVE']]);
    if (!opts.remote) {
      const { request, dest } = this.dialog.build('BYE', {
        headers: [{ name: 'Reason', value: `Q.850;cause=16;text="${cause}"` }],
      });
      this.byeDone = this.ctx.ua.request(request, dest).then(
        () => undefined,
        (err: unknown) => log.debug({ err: String(err) }, 'BYE failed'),
      );
    }
    this.rtp.off('dtmf', this.onDtmf);
    this.rtp.off('close', this.onRtpLost);
    this.rtp.close();
    this.ctx.channels.delete(this.uuid);
    this.fire('CHANNEL_HANGUP_COMPLETE', [['Hangup-Cause', cause]]);
    this.fire('CHANNEL_DESTROY');
    this.esl?.end([
      ['Controlled-Session-UUID', this.uuid],
      ['Content-Disposition', 'disconnect'],
    ]);
    this.onGone?.();
  }

  private handleDtmf(e: DtmfEvent): void {
    this.fire(
      'DTMF',
      [
        ['DTMF-Digit', e.digit],
        ['DTMF-Duration', String(e.durationSamples)],
        ['DTMF-Source', 'RTP'],
      ],
      { vars: false },
    );
    this.digitListener?.(e.digit);
  }

  private async runItem(item: ExecuteItem, signal: AbortSignal, runApp: AppRunner): Promise<void> {
    const base: HeaderList = [
      ['Application', item.app],
      ['Application-Data', item.arg],
      ['Application-UUID', item.eventUuid],
      ['Application-UUID-Name', item.app],
    ];
    this.fire('CHANNEL_EXECUTE', base);
    let response: string | undefined;
    try {
      response = await runApp(this, item, signal);
    } catch (err) {
      this.ctx.log.error({ err, app: item.app, uuid: this.uuid }, 'application failed');
      response = '-ERR application failed';
    }
    this.vars.set('current_application_response', response ?? '_none_');
    this.fire('CHANNEL_EXECUTE_COMPLETE', [
      ...base,
      ['Application-Response', response ?? '_none_'],
    ]);
  }
}
