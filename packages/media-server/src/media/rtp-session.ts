import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import type { Socket, RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from '../logger';
import { DtmfReceiver, DtmfSender, dtmfToneFrame } from './dtmf';
import { clamp16, FRAME_SAMPLES, SILENCE } from './frames';
import { decodeG711Range, encodeG711At, PCMA, PCMU } from './g711';
import { SrtpTransform } from './srtp-transform';
import { JitterBuffer } from './jitter-buffer';
import { DropCounter } from './rate-limited-log';
import { checkSource } from './source-rule';
import { buildSenderReport } from './rtcp';
import {
  newRtpHeaderView,
  parseRtpHeader,
  parseTelephoneEvent,
  RTP_HEADER_SIZE,
  serializeTelephoneEvent,
  writeRtpHeader,
  writeRtpHeaderFields,
} from './rtp-packet';
import { SendBuffers } from './send-buffers';
import { resolvesLiteralsAtOnce } from './port-pool';
import type { Ticker, TickClient } from './ticker';
import type {
  AudioSink,
  AudioSource,
  DtmfEvent,
  PlaybackResult,
  RemoteMedia,
  RtpSession,
} from './types';

export interface SessionSockets {
  rtp: Socket;
  rtcp: Socket;
  /** Frees the port pair once both sockets are closed. */
  release(): void;
}

/** Something that feeds a session's outgoing audio each tick (a bridge or a mixer). */
export interface FeedOwner {
  readonly kind: 'bridge' | 'mixer';
}

/** Send an RTCP sender report about every 5 s (RFC 3550 6.2 for a two-party session). */
const RTCP_INTERVAL_FRAMES = 250;

/**
 * One RTP/RTCP port pair and everything that happens on it: receive (source check, symmetric
 * latching, jitter buffer, DTMF), send (playback or feed, DTMF events, mute, direction) and the
 * taps. Driven by the engine's shared ticker.
 *
 * Source rule in `source-rule.ts`: the first valid RTP packet from the signalled IP latches its
 * address:port and we send there; `setRemote` with a different address or port clears the latch.
 */
export class MediaSession extends EventEmitter implements RtpSession, TickClient {
  readonly localAddress: string;
  readonly localPort: number;
  readonly ssrc = randomInt(0, 2 ** 32 - 1) >>> 0;
  private remote: RemoteMedia | undefined;
  private srtp: SrtpTransform | undefined;
  private latched: { address: string; port: number } | undefined;
  private readonly jb = new JitterBuffer({ minFrames: 1, maxFrames: 10 });
  private readonly sinks = new Set<AudioSink>();
  private readonly writeSinks = new Set<AudioSink>();
  private readonly bothSinks = new Set<AudioSink>();
  /** What the read taps got this frame, for the 'both' taps in the send phase. */
  private lastRead: Int16Array = SILENCE;
  /*
   * Per-packet state reused for every packet (no allocation per packet: young-generation garbage
   * is what made the engine's scavenges frequent): the parsed header, the decoded samples (the
   * jitter buffer copies them into a slot of its own), the 'both' tap's sum and the outgoing
   * packets (SendBuffers never rewrites one the socket may still hold).
   */
  private readonly rx = newRtpHeaderView();
  // Allocated on first use: a channel that only plays never needs them (memory per channel).
  private decoded: Int16Array | undefined;
  private bothFrame: Int16Array | undefined;
  private readonly txAudio: SendBuffers;
  /** Sends from our RTP socket to an IP literal reach libuv synchronously (see SendBuffers). */
  private readonly syncLookup: boolean;
  /** The signalled address is an IP literal (a latched one always is). */
  private remoteIsLiteral = false;
  private readonly dtmfIn = new DtmfReceiver();
  private readonly dtmfOut = new DtmfSender();
  private readonly drops: DropCounter;
  private playback:
    { source: AudioSource; samples: number; resolve: (r: PlaybackResult) => void } | undefined;
  /** Audio a bridge or mixer put here for this tick's send phase. */
  feed: Int16Array | null = null;
  feedOwner: FeedOwner | undefined;
  private seq = randomInt(0, 65536);
  private readonly tsBase = randomInt(0, 2 ** 32 - 1) >>> 0;
  private readonly startFrame: number;
  private inSsrc: number | undefined;
  private muteRead = false;
  private muteWrite = false;
  private marker = true;
  private closed = false;
  private packetsSent = 0;
  private octetsSent = 0;
  private lastSentTs = 0;
  private markReleased: () => void = () => undefined;
  /** Resolves once both sockets are closed and the port pair is free again. */
  readonly released = new Promise<void>((resolve) => (this.markReleased = resolve));
  /** Counters for tests and stats. */
  readonly counters = { received: 0, sent: 0, dtmfIn: 0 };

  constructor(
    address: string,
    private readonly sockets: SessionSockets,
    private readonly ticker: Ticker,
    private readonly log: Logger,
  ) {
    super();
    this.localAddress = address;
    this.localPort = sockets.rtp.address().port;
    this.drops = new DropCounter(log);
    this.txAudio = new SendBuffers(sockets.rtp, RTP_HEADER_SIZE + FRAME_SAMPLES);
    this.syncLookup = resolvesLiteralsAtOnce(sockets.rtp);
    this.startFrame = ticker.currentFrame;
    sockets.rtp.on('message', this.onRtp);
    sockets.rtcp.on('message', this.onRtcp);
    // Send errors (no callback per packet: cheaper) arrive here too; count them, log rate-limited.
    const onError = (err: Error): void =>
      this.drops.drop('socket error', { code: (err as NodeJS.ErrnoException).code });
    sockets.rtp.on('error', onError);
    sockets.rtcp.on('error', onError);
    ticker.add(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Packet buffers given up because the socket might still hold them (tests, stats). */
  get sendBuffersRetired(): number {
    return this.txAudio.retired;
  }

  /** The current far end, if any. */
  get remoteMedia(): RemoteMedia | undefined {
    return this.remote;
  }

  /** Totals of dropped input by reason. */
  dropTotals(): Record<string, number> {
    return this.drops.totals();
  }

  setRemote(remote: RemoteMedia): void {
    if (!this.useSrtp(remote)) return;
    const prev = this.remote;
    if (!prev || prev.address !== remote.address || prev.port !== remote.port) {
      this.latched = undefined;
      this.jb.reset();
      this.inSsrc = undefined;
    }
    this.remote = { ...remote, codec: { ...remote.codec } };
    this.remoteIsLiteral = isIP(remote.address) !== 0;
  }

  /**
   * Keeps, replaces or drops the SRTP transform for a new far end; false (the far end is then
   * forgotten: nothing is sent in clear instead) when its keys cannot be used.
   */
  private useSrtp(remote: RemoteMedia): boolean {
    const keys = remote.srtp;
    if (!keys) {
      this.srtp = undefined;
      return true;
    }
    if (this.srtp?.matches(keys)) return true;
    try {
      this.srtp = new SrtpTransform(keys);
      return true;
    } catch (err) {
      this.log.warn({ err: String(err) }, 'unusable SRTP keys: media stopped');
      this.srtp = undefined;
      this.remote = undefined;
      return false;
    }
  }

  play(source: AudioSource): Promise<PlaybackResult> {
    if (this.closed) {
      source.close();
      return Promise.resolve({ reason: 'hangup', ms: 0, samples: 0 });
    }
    this.finishPlayback('break');
    return new Promise((resolve) => {
      this.playback = { source, samples: 0, resolve };
    });
  }

  stopPlayback(): void {
    this.finishPlayback('break');
  }

  /** True while a play() is running. */
  get playing(): boolean {
    return this.playback !== undefined;
  }

  private finishPlayback(reason: PlaybackResult['reason']): void {
    const p = this.playback;
    if (!p) return;
    this.playback = undefined;
    p.source.close();
    p.resolve({ reason, samples: p.samples, ms: Math.round(p.samples / 8) });
  }

  /**
   * Taps: `read` (default) gets what we receive, `write` what we send (silence while nothing
   * goes out), `both` the two summed (record_session).
   */
  addSink(sink: AudioSink, tap: 'read' | 'write' | 'both' = 'read'): void {
    (tap === 'read' ? this.sinks : tap === 'write' ? this.writeSinks : this.bothSinks).add(sink);
  }

  removeSink(sink: AudioSink): void {
    this.sinks.delete(sink);
    this.writeSinks.delete(sink);
    this.bothSinks.delete(sink);
  }

  sendDtmf(digits: string, msPerDigit = 100): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.dtmfOut.enqueue(digits, msPerDigit, resolve));
  }

  /** Forwards a received digit (bridge): same duration, our own timestamps. */
  forwardDtmf(e: DtmfEvent): void {
    if (!this.closed) this.dtmfOut.enqueueEvent(e.digit, e.durationSamples);
  }

  setMute(which: 'read' | 'write', on: boolean): void {
    if (which === 'read') this.muteRead = on;
    else this.muteWrite = on;
  }

  override on(event: 'dtmf', listener: (e: DtmfEvent) => void): this;
  override on(event: 'close', listener: () => void): this;
  override on(event: string, listener: (e: DtmfEvent) => void): this {
    return super.on(event, listener);
  }

  override off(event: 'dtmf', listener: (e: DtmfEvent) => void): this;
  override off(event: 'close', listener: () => void): this;
  override off(event: string, listener: (e: DtmfEvent) => void): this {
    return super.off(event, listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ticker.delete(this);
    this.finishPlayback('hangup');
    this.dtmfOut.clear();
    this.sinks.clear();
    this.writeSinks.clear();
    this.bothSinks.clear();
    this.feed = null;
    let open = 2;
    const done = (): void => {
      if (--open === 0) {
        this.sockets.release();
        this.markReleased();
      }
    };
    for (const s of [this.sockets.rtp, this.sockets.rtcp]) {
      s.removeAllListeners('message');
      try {
        s.close(done);
      } catch {
        done();
      }
    }
    this.safeEmit('close');
    this.removeAllListeners();
  }

  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'media session listener threw');
    }
  }

  private get receiving(): boolean {
    const d = this.remote?.direction;
    return d === 'sendrecv' || d === 'recvonly';
  }

  private get sending(): boolean {
    const d = this.remote?.direction;
    return d === 'sendrecv' || d === 'sendonly';
  }

  private readonly onRtp = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (this.closed) return;
    const remote = this.remote;
    if (!remote) return this.drops.drop('no remote yet', { from: rinfo.address });
    const verdict = checkSource(rinfo, remote, this.latched, remote.symmetric !== false);
    if (!verdict.accept) {
      return this.drops.drop('unexpected source', { from: `${rinfo.address}:${rinfo.port}` });
    }
    let packet = msg;
    if (this.srtp) {
      const plain = this.srtp.unprotect(msg);
      if (!plain) return this.drops.drop('srtp authentication failed', { from: rinfo.address });
      packet = plain;
    }
    const p = this.rx;
    const error = parseRtpHeader(packet, p);
    if (error !== undefined) return this.drops.drop('bad rtp', { error });
    let codec: typeof PCMU | undefined;
    if (p.payloadType === remote.codec.payloadType) codec = remote.codec;
    else if (p.payloadType === PCMU.payloadType) codec = PCMU;
    else if (p.payloadType === PCMA.payloadType) codec = PCMA;
    const event =
      remote.telephoneEventPayloadType !== undefined &&
      p.payloadType === remote.telephoneEventPayloadType
        ? parseTelephoneEvent(packet.subarray(p.payloadStart, p.payloadEnd))
        : undefined;
    if (!codec && !event) {
      return this.drops.drop(
        p.payloadType === remote.telephoneEventPayloadType
          ? 'bad telephone-event'
          : 'unexpected payload type',
        { pt: p.payloadType },
      );
    }
    if (verdict.latch) {
      this.latched = { address: rinfo.address, port: rinfo.port };
      this.log.debug({ to: `${rinfo.address}:${rinfo.port}` }, 'rtp source latched');
    }
    this.counters.received++;
    // Direction sendonly/inactive: we do not expect media; ignore it (still latched for NAT).
    if (!this.receiving) return;
    const now = performance.now();
    if (event) {
      for (const d of this.dtmfIn.receive(p.timestamp, event, now)) this.emitDtmf(d);
      return;
    }
    if (this.inSsrc !== p.ssrc) {
      if (this.inSsrc !== undefined) this.jb.reset();
      this.inSsrc = p.ssrc;
    }
    const len = p.payloadEnd - p.payloadStart;
    let decoded = this.decoded;
    if (!decoded || decoded.length < len) {
      decoded = new Int16Array(Math.max(len, FRAME_SAMPLES));
      this.decoded = decoded;
    }
    decodeG711Range((codec as typeof PCMU).name, packet, p.payloadStart, p.payloadEnd, decoded);
    this.jb.push(p.timestamp, decoded, now, len);
  };

  private emitDtmf(e: DtmfEvent): void {
    this.counters.dtmfIn++;
    this.safeEmit('dtmf', e);
  }

  private readonly onRtcp = (msg: Buffer): void => {
    // RTCP is only counted: reports are informative and we do not adapt to them.
    if (msg.length < 8 || (msg[0] as number) >> 6 !== 2) this.drops.drop('bad rtcp');
  };

  /** Tick phase 1: play the jitter buffer out to the sinks. */
  receive(frame: number): void {
    let f = this.jb.pull() ?? SILENCE;
    if (this.muteRead) f = SILENCE;
    this.lastRead = f;
    for (const s of this.sinks) s.writeFrame(f);
    if (frame % 25 === 0) for (const d of this.dtmfIn.poll(performance.now())) this.emitDtmf(d);
  }

  /** Tick phase 3: one packet (audio or event) to the far end. */
  send(frame: number): void {
    const ts = (this.tsBase + (frame - this.startFrame) * FRAME_SAMPLES) >>> 0;
    const remote = this.remote;
    const dtmf = this.dtmfOut.busy ? this.dtmfOut.tick(ts) : undefined;
    // Without a negotiated telephone-event type digits go in-band as dual tones instead.
    const inband = remote !== undefined && remote.telephoneEventPayloadType === undefined;
    const event = inband ? undefined : dtmf;
    let audio: Int16Array | null = this.feed;
    this.feed = null;
    if (this.playback) {
      const f = this.playback.source.readFrame();
      if (f) {
        this.playback.samples += FRAME_SAMPLES;
        audio = f;
      } else {
        this.finishPlayback('done');
      }
    }
    if (dtmf && inband) {
      audio = dtmf.event.end
        ? SILENCE
        : dtmfToneFrame(dtmf.event.event, dtmf.event.duration - FRAME_SAMPLES);
    }
    if (this.muteWrite && audio) audio = SILENCE;
    if (this.writeSinks.size > 0 || this.bothSinks.size > 0) {
      const out = !remote || !this.sending || event || !audio ? SILENCE : audio;
      this.tapWrite(out);
    }
    if (!remote || !this.sending) return;
    const to = this.latched ?? remote;
    if (event) {
      const payload = serializeTelephoneEvent(event.event);
      const buf = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
      writeRtpHeader(buf, {
        marker: event.marker,
        payloadType: remote.telephoneEventPayloadType as number,
        sequenceNumber: this.nextSeq(),
        timestamp: event.timestamp,
        ssrc: this.ssrc,
      });
      buf.set(payload, RTP_HEADER_SIZE);
      this.transmit(buf, to, event.timestamp);
      this.marker = true;
    } else if (audio) {
      const buf = this.txAudio.take(RTP_HEADER_SIZE + audio.length);
      writeRtpHeaderFields(
        buf,
        this.marker,
        remote.codec.payloadType,
        this.nextSeq(),
        ts,
        this.ssrc,
      );
      encodeG711At(remote.codec.name, audio, buf, RTP_HEADER_SIZE);
      this.transmit(buf, to, ts);
      this.marker = false;
    } else {
      // RFC 3551 4.1: the first packet after a pause carries the marker bit.
      this.marker = true;
    }
    if ((frame - this.startFrame) % RTCP_INTERVAL_FRAMES === RTCP_INTERVAL_FRAMES - 1) {
      this.sendRtcp(to);
    }
  }

  private tapWrite(out: Int16Array): void {
    for (const s of this.writeSinks) s.writeFrame(out);
    if (this.bothSinks.size === 0) return;
    const r = this.lastRead;
    // Sinks copy what they keep (recorders do), so one frame per session serves every tick.
    const both = (this.bothFrame ??= new Int16Array(FRAME_SAMPLES));
    for (let i = 0; i < FRAME_SAMPLES; i++)
      both[i] = clamp16((r[i] as number) + (out[i] as number));
    for (const s of this.bothSinks) s.writeFrame(both);
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    return s;
  }

  private transmit(buf: Buffer, to: { address: string; port: number }, ts: number): void {
    this.packetsSent++;
    this.octetsSent += buf.length - RTP_HEADER_SIZE;
    this.lastSentTs = ts;
    this.counters.sent++;
    if (this.srtp) {
      // protect() copies into a new packet: ours is free again at once.
      this.sockets.rtp.send(this.srtp.protect(buf), to.port, to.address);
      return;
    }
    this.sockets.rtp.send(buf, to.port, to.address);
    this.txAudio.sent(buf, this.syncLookup && (to === this.latched || this.remoteIsLiteral));
  }

  private sendRtcp(to: { address: string; port: number }): void {
    // With SRTP, plain RTCP would leak what SRTCP protects; reports are only informative.
    if (this.packetsSent === 0 || this.srtp) return;
    const sr = buildSenderReport({
      ssrc: this.ssrc,
      rtpTimestamp: this.lastSentTs,
      packetCount: this.packetsSent,
      octetCount: this.octetsSent,
    });
    // RFC 3550 11: RTCP goes to the RTP port + 1 unless signalled otherwise.
    this.sockets.rtcp.send(sr, to.port + 1, to.address);
  }
}
