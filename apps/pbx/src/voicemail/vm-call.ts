/**
 * One voice-mail call on the wire: the caller's INVITE answered from a media-server endpoint,
 * digits from both RFC 4733 (the media server's DTMF events) and SIP INFO (`application/dtmf-relay`
 * `Signal=` or `application/dtmf`), the phone's re-INVITEs answered by the endpoint, and the end
 * of the call from either side. Deposit and retrieval build on it.
 */
import type { CallEnv } from '../engine/call-env';
import type { Call, Leg } from '../engine/call-registry';
import { attachDialog, endCall, legEvent, openRecord } from '../engine/call-setup';
import type { MediaEndpoint, MediaSource, PlayResult } from '../engine/media-port';
import type { IncomingDialogRequest, IncomingReinvite } from '../engine/sip-port';
import { statusOf } from '../engine/sip-port';

/** The digit of a SIP INFO body (RFC 2976 carriage, as phones send it), or undefined. */
export function infoDigit(contentType: string, body: string): string | undefined {
  const type = contentType.toLowerCase().split(';')[0]!.trim();
  let raw: string | undefined;
  if (type === 'application/dtmf-relay') raw = /^\s*signal\s*=\s*(\S+)/im.exec(body)?.[1];
  else if (type === 'application/dtmf') raw = body.trim();
  if (raw === undefined) return undefined;
  // Some phones send events 10/11 for * and #.
  const digit = raw === '10' ? '*' : raw === '11' ? '#' : raw;
  return /^[0-9*#]$/.test(digit) ? digit : undefined;
}

export class VmCall {
  private gone = false;
  private readonly digitListeners: Array<(d: string) => void> = [];
  private readonly early: string[] = [];
  private readonly goneListeners: Array<() => void> = [];

  private constructor(
    readonly env: CallEnv,
    readonly call: Call,
    readonly ep: MediaEndpoint,
  ) {}

  get leg(): Leg {
    return this.call.aLeg;
  }

  /** True once either side ended the call. */
  get ended(): boolean {
    return this.gone || this.call.ended || this.ep.ended;
  }

  /**
   * Answers the call's waiting INVITE from a new media endpoint. Undefined (the call ended with
   * 480, or the caller left) when the media server cannot take it.
   */
  static async answer(env: CallEnv, call: Call): Promise<VmCall | undefined> {
    const a = call.aLeg;
    const invite = a.invite;
    call.clearTimers();
    if (!invite || a.ended || call.ended) return undefined;
    let ep: MediaEndpoint;
    try {
      ep = await env.media.answerOffer(invite.sdp);
    } catch (err) {
      env.log.warn({ err, callRef: call.ref }, 'voice mail: no media endpoint');
      endCall(env, call, { status: 480, note: 'voice mail: media server unavailable' });
      return undefined;
    }
    if (call.ended || a.invite !== invite) {
      await ep.destroy();
      return undefined;
    }
    call.record.answeredAt = env.now();
    call.record.status = 200;
    try {
      const dialog = await invite.answer(a.stamp(ep.localSdp));
      a.invite = undefined;
      a.sipIds = { callId: dialog.callId, localTag: dialog.remoteTag, remoteTag: dialog.localTag };
      attachDialog(env, a, dialog);
      legEvent(env, a, { type: 'answered' });
      const vm = new VmCall(env, call, ep);
      dialog.onRequest('INFO', (r) => vm.onInfo(r));
      ep.onDigit((d) => vm.digit(d, 'rfc4733'));
      ep.onEnded(() => vm.markGone());
      if (call.ended) {
        vm.markGone();
        return undefined;
      }
      env.registry.progress(a, 'confirmed');
      openRecord(env, call);
      return vm;
    } catch (err) {
      env.log.info({ callRef: call.ref, status: statusOf(err) }, 'voice mail: caller left');
      call.record.answeredAt = null;
      endCall(env, call, { by: a, status: 487 });
      await ep.destroy();
      return undefined;
    }
  }

  /** Digits that came before anyone listened (a phone keys ahead) are delivered at once. */
  onDigit(listener: (digit: string) => void): void {
    this.digitListeners.push(listener);
    for (const d of this.early.splice(0)) listener(d);
  }

  /** Runs once when the call ends (either side). */
  onGone(listener: () => void): void {
    if (this.gone) listener();
    else this.goneListeners.push(listener);
  }

  /** Plays `file` unless the call is gone. */
  async play(file: string): Promise<PlayResult> {
    if (this.ended) return { stopped: true };
    const source: MediaSource = { file };
    return this.ep.play(source);
  }

  /** The phone hung up (BYE): the call record is written by the engine. */
  hungUp(): void {
    this.markGone();
  }

  /** Answers a re-INVITE (hold, session refresh) from the endpoint. */
  reinvite(r: IncomingReinvite): void {
    if (!r.sdp) {
      r.accept(this.leg.stamp(this.ep.localSdp));
      return;
    }
    this.ep.modify(r.sdp).then(
      (answer) => {
        this.leg.sdp = r.sdp;
        r.accept(this.leg.stamp(answer));
      },
      () => r.reject(488),
    );
  }

  /** Ends the call from our side (BYE) and frees the endpoint. */
  async finish(note: string): Promise<void> {
    if (!this.call.ended) endCall(this.env, this.call, { note });
    this.markGone();
  }

  private onInfo(r: IncomingDialogRequest): void {
    const digit = infoDigit(r.header('Content-Type') ?? '', r.body);
    // Other INFO packages (e.g. a video update) are answered and ignored.
    r.respond(200);
    if (digit !== undefined) this.digit(digit, 'info');
  }

  private digit(d: string, via: 'rfc4733' | 'info'): void {
    if (this.ended) return;
    this.env.log.debug({ callRef: this.call.ref, via }, 'voice mail: digit');
    if (this.digitListeners.length === 0 && this.early.length < 32) this.early.push(d);
    for (const l of this.digitListeners) l(d);
  }

  private markGone(): void {
    if (this.gone) return;
    this.gone = true;
    void this.ep.destroy();
    for (const l of this.goneListeners.splice(0)) l();
  }
}
