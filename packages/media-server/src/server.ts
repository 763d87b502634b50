/**
 * startMediaServer: the media engine, the SIP user agent (UAS for fsmrf's INVITEs), the Event
 * Socket listener and the HEARTBEAT timer, wired into one handle with `close()`.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { startSipUserAgent } from '@pbx/sip-server';
import type { ConferenceRegistry as Registry } from './conference/registry';
import { ConferenceRegistry } from './conference/registry';
import type { ServerContext } from './context';
import { heartbeatHeaders } from './api/status';
import { SipHandler } from './channel/sip-handler';
import { EventBus } from './esl/event-bus';
import { standardHeaders } from './esl/event';
import { startInboundServer } from './esl/inbound-server';
import type { Logger } from './logger';
import { silentLogger } from './logger';
import { createMediaEngine } from './media';
import type { MediaEngine } from './media';
import { createThreadedMediaEngine } from './media/thread/remote-engine';
import { createSupervisedMediaEngine } from './media/thread/supervised-engine';
import { mediaServerOptionsSchema } from './options';
import type { MediaServerOptionsInput } from './options';
import type { Channel } from './channel/channel';

export interface MediaServerHandle {
  readonly sip: { address: string; port: number };
  readonly esl: { host: string; port: number };
  readonly rtp: { address: string; portMin: number; portMax: number };
  /** Channels up now, RTP ports in use (for tests and leak checks). */
  stats(): { channels: number; conferences: number; portsInUse: number; sessions: number };
  /**
   * The media worker (`mediaThread: 'worker'`; undefined with 'main'): its thread, how often it
   * was started again after a crash, and `kill()`, which ends it as a crash would (the calls it
   * carried are hung up, the next call gets a new worker).
   */
  readonly worker:
    | { readonly threadId: number | undefined; readonly restarts: number; kill(): Promise<void> }
    | undefined;
  close(): Promise<void>;
}

export type MediaServerOptions = MediaServerOptionsInput & { logger?: Logger };

/** Starts the media server; rejects with a ZodError for bad options or the bind error. */
export async function startMediaServer(
  options: MediaServerOptions = {},
): Promise<MediaServerHandle> {
  const { logger, ...rest } = options;
  const opts = mediaServerOptionsSchema.parse(rest);
  const log = (logger ?? silentLogger).child({ component: 'media-server' });
  const rtpAddress = opts.rtp.address ?? opts.sip.host;
  const engineOptions = {
    address: rtpAddress,
    rtpPortMin: opts.rtp.portMin,
    rtpPortMax: opts.rtp.portMax,
    logger: log,
  };
  const supervised =
    opts.mediaThread === 'worker'
      ? await createSupervisedMediaEngine(
          (onCrash) =>
            createThreadedMediaEngine({
              ...engineOptions,
              thread: {
                youngGenerationMb: opts.mediaYoungGenerationMb,
                nice: opts.mediaThreadNice,
              },
              onCrash,
            }),
          { logger: log },
        )
      : undefined;
  const engine: MediaEngine = supervised ?? (await createMediaEngine(engineOptions));
  const bus = new EventBus();
  const route: { handler?: SipHandler } = {};
  let ua;
  try {
    ua = await startSipUserAgent({
      host: opts.sip.host,
      port: opts.sip.port,
      logger: log,
      onRequest: (req) => {
        if (route.handler) route.handler.onRequest(req);
        else void req.respond(503);
      },
      onAck: (ack) => route.handler?.onAck(ack),
    });
  } catch (err) {
    await engine.close();
    throw err;
  }
  const sipPort = ua.addresses[0]?.port ?? opts.sip.port;
  const channels = new Map<string, Channel>();
  const conferences: Registry = new ConferenceRegistry();
  const ctx: ServerContext = {
    log,
    engine,
    bus,
    identity: {
      coreUuid: randomUUID(),
      hostname: opts.hostname ?? os.hostname(),
      ipv4: opts.sip.host,
    },
    config: {
      profile: opts.profile,
      sipAddress: opts.sip.host,
      sipPort,
      soundsDir: opts.soundsDir,
      recordingsDir: opts.recordingsDir,
      maxSessions: opts.maxSessions,
      unknownApplication: opts.unknownApplication,
    },
    channels,
    conferences,
    ua,
    startedAt: Date.now(),
    fire: (event) => bus.fire(event),
    sessionsSinceStartup: 0,
  };
  route.handler = new SipHandler(ctx);
  let inbound;
  try {
    inbound = await startInboundServer(ctx, opts.esl);
  } catch (err) {
    await ua.stop();
    await engine.close();
    throw err;
  }
  const heartbeat = setInterval(() => {
    ctx.fire({
      name: 'HEARTBEAT',
      headers: [...standardHeaders('HEARTBEAT', ctx.identity), ...heartbeatHeaders(ctx)],
    });
  }, opts.heartbeatSeconds * 1000);
  heartbeat.unref();
  log.info(
    {
      sip: `${opts.sip.host}:${sipPort}`,
      esl: `${inbound.host}:${inbound.port}`,
      rtp: `${rtpAddress}:${opts.rtp.portMin}-${opts.rtp.portMax}`,
    },
    'media-server listening',
  );

  let closing: Promise<void> | undefined;
  const uaRef = ua;
  const inboundRef = inbound;
  return {
    sip: { address: opts.sip.host, port: sipPort },
    esl: { host: inbound.host, port: inbound.port },
    rtp: { address: rtpAddress, portMin: opts.rtp.portMin, portMax: opts.rtp.portMax },
    worker: supervised && {
      get threadId() {
        return supervised.current?.threadId;
      },
      get restarts() {
        return supervised.restarts;
      },
      kill: async () => {
        await (await supervised.whenRunning()).terminateThread();
      },
    },
    stats: () => {
      const s = engine.stats();
      return {
        channels: channels.size,
        conferences: conferences.list().length,
        portsInUse: s.portsInUse,
        sessions: s.sessions,
      };
    },
    close: () => {
      closing ??= (async () => {
        clearInterval(heartbeat);
        const up = [...channels.values()];
        await Promise.all(up.map((ch) => ch.hangup('SYSTEM_SHUTDOWN')));
        // Let the BYEs complete (bounded) before the SIP socket goes away.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(up.map((ch) => ch.byeDone ?? Promise.resolve())),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, 2000);
          }),
        ]);
        if (timer) clearTimeout(timer);
        for (const c of bus.all()) c.end();
        await inboundRef.close();
        await uaRef.stop();
        await engine.close();
        log.info('media-server stopped');
      })();
      return closing;
    },
  };
}
