/**
 * The connection to the media server, kept up: drachtio-fsmrf's `mrf.connect` to the embedded
 * media server or an external FreeSWITCH, re-tried with back-off while it is down or restarting,
 * and the {@link MediaPort} call control uses on top of it. Calls that need no media never wait
 * for it; an operation while no media server is connected rejects with MediaUnavailableError
 * carrying the reason, which the feature logs.
 */
import type { Logger } from 'pino';
import {
  MediaUnavailableError,
  type ConferenceOptions,
  type MediaConference,
  type MediaEndpoint,
  type MediaPort,
} from '../engine/media-port';
import { createMrf, type FsMediaServer, type FsMrf } from './fsmrf';
import { FsmrfConference, FsmrfEndpoint } from './fsmrf-endpoint';
import { probeEsl } from './esl-probe';
import { isSrtpSdp } from '../sip/srtp';

/** Where the media server's Event Socket is, read afresh before every attempt. */
export interface MediaTarget {
  readonly address: string;
  readonly port: number;
  readonly secret: string;
  /**
   * Where fsmrf listens for the media server's per-channel connections (and advertises it).
   * Loopback for the embedded server; undefined lets fsmrf pick the host's first LAN address.
   */
  readonly listenAddress?: string;
}

export interface MediaConnectionOptions {
  /** The drachtio-srf app that carries the SIP legs to the media server (signalling/srf.ts). */
  readonly srf: object;
  readonly target: () => MediaTarget;
  readonly log: Logger;
  /** Back-off between attempts: first delay and ceiling (ms). */
  readonly retry?: { readonly firstMs: number; readonly maxMs: number };
  /** How long one `mrf.connect` may take once the probe passed (ms). */
  readonly connectTimeoutMs?: number;
}

export class MediaConnection implements MediaPort {
  private readonly mrf: FsMrf;
  private readonly log: Logger;
  private readonly firstMs: number;
  private readonly maxMs: number;
  private ms: FsMediaServer | undefined;
  private reason = 'not connected yet';
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  private connecting = false;
  private stopped = false;
  private failures = 0;
  private readonly listeners: Array<(available: boolean) => void> = [];

  constructor(private readonly opts: MediaConnectionOptions) {
    this.mrf = createMrf(opts.srf);
    this.log = opts.log;
    this.firstMs = opts.retry?.firstMs ?? 250;
    this.maxMs = opts.retry?.maxMs ?? 10_000;
    this.delay = this.firstMs;
  }

  get available(): boolean {
    return this.ms !== undefined;
  }

  get unavailableReason(): string | undefined {
    return this.ms ? undefined : this.reason;
  }

  onAvailability(listener: (available: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Starts connecting (in the background: the PBX does not wait for media). */
  start(): void {
    this.schedule(0);
  }

  /** Resolves once connected; rejects with the last reason after `withinMs`. */
  waitUntilAvailable(withinMs = 10_000): Promise<void> {
    if (this.ms) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const listener = (up: boolean): void => {
        if (!up) return;
        done();
        resolve();
      };
      const done = (): void => {
        clearTimeout(timer);
        const at = this.listeners.indexOf(listener);
        if (at >= 0) this.listeners.splice(at, 1);
      };
      const timer = setTimeout(() => {
        done();
        reject(new MediaUnavailableError(`${this.reason} (waited ${withinMs} ms)`));
      }, withinMs);
      this.listeners.push(listener);
    });
  }

  async answerOffer(offerSdp: string): Promise<MediaEndpoint> {
    if (isSrtpSdp(offerSdp)) {
      // fsmrf's createEndpoint refuses a SAVP offer (it expects DTLS there); SDES needs no
      // handshake: an SRTP endpoint of our own offer is given the phone's offer as a new one.
      const ep = new FsmrfEndpoint(await this.server().createEndpoint({ srtp: true }), this.log);
      try {
        await ep.modify(offerSdp);
      } catch (err) {
        await ep.destroy();
        throw err;
      }
      return ep;
    }
    const ep = await this.server().createEndpoint({ remoteSdp: offerSdp });
    return new FsmrfEndpoint(ep, this.log);
  }

  async createOffer(options: { srtp?: boolean } = {}): Promise<MediaEndpoint> {
    const ep = await this.server().createEndpoint(options.srtp ? { srtp: true } : {});
    return new FsmrfEndpoint(ep, this.log);
  }

  async createConference(name: string, options: ConferenceOptions = {}): Promise<MediaConference> {
    // fsmrf's max_members counts the conference's own control leg.
    const max = options.maxMembers === undefined ? undefined : options.maxMembers + 1;
    const conf = await this.server().createConference(name, max ? { maxMembers: max } : {});
    return new FsmrfConference(conf, this.log);
  }

  /** Disconnects and stops retrying; endpoints already made stay up on the media server. */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const ms = this.ms;
    this.ms = undefined;
    this.reason = 'pbx stopping';
    if (ms) this.drop(ms);
    return Promise.resolve();
  }

  private server(): FsMediaServer {
    if (!this.ms) throw new MediaUnavailableError(this.reason);
    return this.ms;
  }

  private schedule(ms: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.attempt();
    }, ms);
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.ms || this.connecting) return;
    this.connecting = true;
    const target = this.opts.target();
    const where = `${target.address}:${target.port}`;
    try {
      const probe = await probeEsl(target);
      if (!probe.ok) throw new MediaUnavailableError(probe.reason);
      const ms = await this.connectWithin(target);
      if (this.stopped) {
        this.drop(ms);
        return;
      }
      this.ms = ms;
      this.failures = 0;
      this.delay = this.firstMs;
      ms.on('error', (err) => this.log.warn({ err: err.message }, 'media server connection error'));
      ms.on('end', () => this.lost(ms, `lost the Event Socket connection to ${where}`));
      this.log.info({ esl: where }, 'connected to media server');
      this.notify(true);
    } catch (err) {
      const reason = err instanceof MediaUnavailableError ? err.reason : (err as Error).message;
      this.failures += 1;
      // The first failure (and any new reason) is worth a warning; repeats are not.
      const changed = reason !== this.reason;
      this.reason = reason;
      const level = this.failures === 1 || changed ? 'warn' : 'debug';
      this.log[level](
        { esl: where, reason, retryInMs: this.delay },
        'media server unavailable: calls without media go on; media features wait',
      );
      this.schedule(this.delay);
      this.delay = Math.min(this.maxMs, this.delay * 2);
    } finally {
      this.connecting = false;
    }
  }

  private connectWithin(target: MediaTarget): Promise<FsMediaServer> {
    const timeoutMs = this.opts.connectTimeoutMs ?? 5_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new MediaUnavailableError(`drachtio-fsmrf did not connect within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      this.mrf
        .connect({
          address: target.address,
          port: target.port,
          secret: target.secret,
          ...(target.listenAddress ? { listenAddress: target.listenAddress } : {}),
        })
        .then(
          (ms) => {
            clearTimeout(timer);
            resolve(ms);
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
    });
  }

  private lost(ms: FsMediaServer, reason: string): void {
    if (this.ms !== ms) return;
    this.ms = undefined;
    this.reason = reason;
    this.failures = 1;
    this.log.warn({ reason }, 'media server lost: reconnecting; calls without media go on');
    // fsmrf's own ESL client would reconnect but not re-subscribe (spec §1.4): start afresh.
    this.drop(ms);
    this.notify(false);
    this.delay = this.firstMs;
    this.schedule(this.delay);
  }

  /** Closes an fsmrf MediaServer so its ESL client does not reconnect on its own. */
  private drop(ms: FsMediaServer): void {
    try {
      ms.disconnect();
    } catch (err) {
      this.log.debug({ err }, 'closing the media server connection');
    }
    // disconnect() removes every listener of the ESL connection; a late socket error must not
    // become an unhandled 'error' event.
    ms.conn?.on('error', () => undefined);
    ms.removeAllListeners();
    ms.on('error', () => undefined);
  }

  private notify(available: boolean): void {
    for (const l of [...this.listeners]) {
      try {
        l(available);
      } catch (err) {
        this.log.error({ err }, 'media availability listener failed');
      }
    }
  }
}
