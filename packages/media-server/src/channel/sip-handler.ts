/**
 * The SIP side of channels (spec §2.1–2.2, §2.6, §5.2) on the sip-server user agent: fsmrf's
 * INVITEs (with SDP → answer; without → offer, SDP in the ACK), re-INVITE/hold, BYE both ways,
 * CANCEL, OPTIONS. After the 200 the channel connects to `X-esl-outbound`.
 */
import { getHeader, UasDialog } from '@pbx/sip-server';
import type { IncomingSipRequest, SipHeader, SipRequest } from '@pbx/sip-server';
import type { ServerContext } from '../context';
import { connectOutbound, parseHostPort } from '../esl/outbound';
import type { RtpSession } from '../media/types';
import { appRunner, isNestable } from './apps';
import { Channel } from './channel';
import { buildLocalSdp, readRemoteSdp, type OfferResult } from './sdp';
import { newSrtpKey, type LocalCrypto } from './sdp-crypto';

const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, NOTIFY';

export class SipHandler {
  private readonly byCallId = new Map<string, Channel>();
  private readonly runApp;

  constructor(private readonly ctx: ServerContext) {
    this.runApp = appRunner(ctx);
  }

  private contact(): string {
    return `sip:mod_sofia@${this.ctx.config.sipAddress}:${this.ctx.config.sipPort}`;
  }

  private headers(sdp: boolean): SipHeader[] {
    const h: SipHeader[] = [
      { name: 'Contact', value: `<${this.contact()};transport=udp>` },
      { name: 'User-Agent', value: 'pbx-media-server' },
      { name: 'Allow', value: ALLOW },
    ];
    if (sdp) h.push({ name: 'Content-Type', value: 'application/sdp' });
    return h;
  }

  onRequest(req: IncomingSipRequest): void {
    const msg = req.message;
    const cid = getHeader(msg, 'Call-ID') ?? '';
    const existing = this.byCallId.get(cid);
    if (existing && existing.dialog.matches(msg)) {
      void this.inDialog(existing, req);
      return;
    }
    switch (msg.method) {
      case 'INVITE':
        if (/;\s*tag=/.test(getHeader(msg, 'To') ?? '')) void req.respond(481);
        else void this.onInvite(req);
        return;
      case 'OPTIONS':
        void req.respond(200, {
          headers: [
            { name: 'Allow', value: ALLOW },
            { name: 'Accept', value: 'application/sdp' },
          ],
        });
        return;
      case 'BYE':
      case 'INFO':
      case 'UPDATE':
        void req.respond(481);
        return;
      default:
        void req.respond(405, { headers: [{ name: 'Allow', value: ALLOW }] });
    }
  }

  onAck(ack: SipRequest): void {
    const ch = this.byCallId.get(getHeader(ack, 'Call-ID') ?? '');
    if (!ch || !ch.dialog.matches(ack) || ack.body.length === 0) return;
    // 3PCC: the ACK carries the answer to our offer.
    this.applyRemote(ch, ack.body.toString('utf8'));
  }

  private applyRemote(ch: Channel, sdp: string): boolean {
    const r = readRemoteSdp(sdp, ch.vars.get('codec_string'));
    if (!r.ok) {
      this.ctx.log.info({ uuid: ch.uuid, reason: r.reason }, 'remote SDP not usable');
      return false;
    }
    ch.local = { ...ch.local, crypto: agreeCrypto(ch.local.crypto, r) };
    const crypto = ch.local.crypto;
    ch.rtp.setRemote(
      crypto && r.crypto
        ? { ...r.remote, srtp: { localKey: crypto.key, remoteKey: r.crypto.key } }
        : r.remote,
    );
    ch.setVar('rtp_secure_media_negotiated', crypto ? 'AES_CM_128_HMAC_SHA1_80' : '');
    ch.codec = r.codec;
    ch.telephoneEvent = r.telephoneEvent;
    ch.setVar('switch_r_sdp', sdp);
    ch.setVar('remote_media_ip', r.remote.address);
    ch.setVar('remote_media_port', String(r.remote.port));
    ch.setVar('rtp_use_codec_name', r.codec.name);
    ch.setVar('read_codec', r.codec.name);
    ch.setVar('write_codec', r.codec.name);
    return true;
  }

  private async onInvite(req: IncomingSipRequest): Promise<void> {
    const { ctx } = this;
    const msg = req.message;
    const ua = getHeader(msg, 'User-Agent') ?? '';
    if (!/^drachtio-fsmrf:/.test(ua)) return req.respond(404, { reason: 'Not Found' });
    if (ctx.channels.size >= ctx.config.maxSessions) return req.respond(503);
    const offer = msg.body.length > 0 ? msg.body.toString('utf8') : undefined;
    const parsed = offer !== undefined ? readRemoteSdp(offer) : undefined;
    if (parsed && !parsed.ok) return req.respond(488);
    let rtp: RtpSession;
    try {
      rtp = await ctx.engine.openSession();
    } catch (err) {
      ctx.log.warn({ err: String(err) }, 'no RTP port for a new channel');
      return req.respond(503);
    }
    if (req.answered) {
      rtp.close();
      return;
    }
    const local = {
      sessionId: Math.floor(Date.now() / 1000),
      version: 1,
      address: rtp.localAddress,
      port: rtp.localPort,
      username: 'FreeSWITCH',
      crypto: offeredCrypto(parsed, getHeader(msg, 'X-Secure-RTP')),
    };
    const dialog = new UasDialog({
      invite: msg,
      info: req.info,
      localTag: req.localTag,
      localContact: this.contact(),
      via: {
        protocol: req.info.source.protocol,
        host: ctx.config.sipAddress,
        port: ctx.config.sipPort,
      },
    });
    const xHeaders: Array<[string, string]> = msg.headers
      .filter((h) => /^X-/i.test(h.name))
      .map((h) => [`sip_h_${h.name}`, h.value]);
    const codec = parsed?.ok ? parsed.codec : undefined;
    const localSdp = buildLocalSdp(
      local,
      parsed?.ok
        ? {
            codec,
            telephoneEvent: parsed.telephoneEvent ?? 101,
            direction: parsed.remote.direction,
          }
        : {},
    );
    const ch = new Channel(
      ctx,
      {
        dialog,
        rtp,
        local,
        codec,
        telephoneEvent: parsed?.ok ? parsed.telephoneEvent : 101,
        variables: [
          ['direction', 'inbound'],
          ['uuid', ''],
          ['sip_user_agent', ua],
          ['sip_call_id', dialog.callId],
          ['sip_from_tag', dialog.remoteTag],
          ['sip_to_tag', dialog.localTag],
          ...xHeaders,
          ['rtp_local_sdp_str', localSdp],
          ['local_media_ip', rtp.localAddress],
          ['local_media_port', String(rtp.localPort)],
          ['dtmf_type', 'rfc2833'],
          ['rtp_use_codec_string', 'PCMU,PCMA'],
          ['send_silence_when_idle', '-1'],
          ['hangup_after_bridge', 'false'],
          ['park_after_bridge', 'true'],
          ['playback_terminators', 'none'],
          ['sound_prefix', ctx.config.soundsDir ?? ''],
          ['recordings_dir', ctx.config.recordingsDir ?? ''],
        ],
      },
      this.runApp,
      isNestable,
    );
    ch.setVar('uuid', ch.uuid);
    if (offer !== undefined) this.applyRemote(ch, offer);
    ctx.channels.set(ch.uuid, ch);
    ctx.sessionsSinceStartup += 1;
    this.byCallId.set(dialog.callId, ch);
    const cleanup = (): void => {
      if (this.byCallId.get(dialog.callId) === ch) this.byCallId.delete(dialog.callId);
    };
    req.onCancel(() => {
      void ch.hangup('ORIGINATOR_CANCEL', { remote: true }).finally(cleanup);
    });
    await req.respond(200, { headers: this.headers(true), body: Buffer.from(localSdp) });
    ch.fire('CHANNEL_CREATE', [], { vars: false });
    ch.fire('CHANNEL_ANSWER');
    ch.fire('CHANNEL_CALLSTATE', [['Original-Channel-Call-State', 'RINGING']], { vars: false });
    ch.onGone = cleanup;
    const target = parseHostPort(getHeader(msg, 'X-esl-outbound'));
    if (!target) {
      ctx.log.warn({ uuid: ch.uuid }, 'INVITE without a usable X-esl-outbound: hanging up');
      await ch.hangup('DESTINATION_OUT_OF_ORDER');
      return;
    }
    try {
      ch.esl = await connectOutbound(ctx, ch, target);
      if (!ch.isUp) ch.esl.end();
    } catch (err) {
      ctx.log.warn(
        { uuid: ch.uuid, err: String(err) },
        'outbound ESL connection failed: hanging up',
      );
      await ch.hangup('DESTINATION_OUT_OF_ORDER');
    }
  }

  private async inDialog(ch: Channel, req: IncomingSipRequest): Promise<void> {
    const msg = req.message;
    if (!ch.dialog.acceptRemote(msg)) return req.respond(500, { reason: 'Out of order CSeq' });
    switch (msg.method) {
      case 'BYE':
        await req.respond(200);
        await ch.hangup('NORMAL_CLEARING', { remote: true });
        return;
      case 'INVITE': {
        const body = msg.body.toString('utf8');
        let direction = undefined as undefined | 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
        if (body.length > 0) {
          const r = readRemoteSdp(body, ch.vars.get('codec_string'));
          if (!r.ok) return req.respond(488);
          this.applyRemote(ch, body);
          direction = r.remote.direction;
        }
        ch.local = { ...ch.local, version: ch.local.version + 1 };
        const sdp = buildLocalSdp(ch.local, {
          codec: ch.codec,
          telephoneEvent: ch.telephoneEvent ?? 101,
          direction,
        });
        ch.setVar('rtp_local_sdp_str', sdp);
        await req.respond(200, { headers: this.headers(true), body: Buffer.from(sdp) });
        return;
      }
      case 'INFO':
      case 'UPDATE':
      case 'NOTIFY':
      case 'OPTIONS':
        await req.respond(200);
        return;
      default:
        await req.respond(405, { headers: [{ name: 'Allow', value: ALLOW }] });
    }
  }
}

/**
 * Our SDES side for a new channel: answering an offer with a usable `a=crypto` (same tag and
 * profile, a new key of ours), or offering SRTP (3PCC) when fsmrf asked with `X-Secure-RTP`.
 */
function offeredCrypto(
  offer: OfferResult | undefined,
  secureHeader: string | undefined,
): LocalCrypto | undefined {
  if (offer?.ok)
    return offer.crypto
      ? { tag: offer.crypto.tag, key: newSrtpKey(), profile: offer.profile }
      : undefined;
  if (offer === undefined && /^true$/i.test(secureHeader?.trim() ?? ''))
    return { tag: 1, key: newSrtpKey(), profile: 'RTP/SAVP' };
  return undefined;
}

/**
 * Our SDES side after the far end's SDP: our key is kept for as long as the far end keeps using
 * SRTP (it already decrypts with it), answering its current tag and profile; plain RTP when it
 * stopped offering a key; a new key when it starts.
 */
function agreeCrypto(
  current: LocalCrypto | undefined,
  remote: Extract<OfferResult, { ok: true }>,
): LocalCrypto | undefined {
  if (!remote.crypto) return undefined;
  return { tag: remote.crypto.tag, key: current?.key ?? newSrtpKey(), profile: remote.profile };
}
