/**
 * startPbx(): config → store → SIP server (embedded) → drachtio-srf → modules (registrar, call
 * control with its feature runners) on their SIP ports. The composition root: it may import
 * every folder. Used by main.ts and, with a temporary data directory and free ports, by the
 * integration tests.
 */
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { checkPlayableWav, loadConfig, CONFIG_REDACT_PATHS, type PbxConfig } from '@pbx/config';
import { Store, type ChangeWatcher } from '@pbx/store';
import { startMediaServer, type MediaServerHandle } from '@pbx/media-server';
import { startSipServerIn, type SipServerHandle, type WorkerLogTarget } from '@pbx/sip-server';
import { AppliedChanges } from './applied-changes';
import type { AppContext } from './context';
import type { CallControl } from './call-control';
import type { RegistrarModule } from './registrar';
import type { PresenceControl } from './presence-control';
import type { MessagesControl } from './messages-control';
import type { VoicemailModule } from './voicemail';
import { connectSrf } from './signalling/srf';
import { MediaConnection, type MediaTarget } from './media/media-connection';
import { ensureHoldTune } from './media/hold-tune';
import { installModules } from './modules';
import { TlsReloader, tlsFilesOf, tlsSettingsOf } from './sip/tls-files';
import { installHttp, type HttpModule } from './http';
import { promptFile } from './voicemail/prompts';

export interface StartPbxOptions {
  /** Environment to read PBX_* variables from (main.ts passes process.env). */
  env?: Record<string, string | undefined>;
  /** Overrides applied on top of the loaded configuration (tests: ports, timers). */
  overrides?: (config: PbxConfig) => void;
  logger?: Logger;
  /**
   * The PBX cannot go on (the SIP server's worker thread died): main.ts exits non-zero so the
   * supervisor (systemd `Restart=on-failure`, a container's restart policy) starts it again;
   * registrations come back from the database.
   */
  onFatal?: (err: Error) => void;
}

export interface RunningPbx extends AsyncDisposable {
  ctx: AppContext;
  /** SIP address phones use (first UDP listener). */
  sip: { host: string; port: number };
  /** The embedded SIP server (control.mode embedded), in its worker thread or this one (sip.thread). */
  sipServer?: SipServerHandle;
  /** The embedded media server (media.mode embedded): drachtio-fsmrf's Event Socket and SIP peer. */
  mediaServer?: MediaServerHandle;
  /**
   * The connection to the media server (embedded or external) through drachtio-fsmrf: the media
   * port call control uses; `waitUntilAvailable()` for tests that need media.
   */
  media: MediaConnection;
  /** The registrar's handles (bindings, qualify, blocks, static bindings for tests). */
  registrar: RegistrarModule;
  /** Call control's handles (live stations, calls, park slots, hooks, call records). */
  calls: CallControl;
  /** Busy lamps, presence, message-waiting: the notifier and its packages. */
  presence: PresenceControl;
  /** Instant messages between stations and from the PBX. */
  messages: MessagesControl;
  /** Voice mail. */
  voicemail: VoicemailModule;
  /** Emits `applied` once a change written to the database is live (see applied-changes.ts). */
  changes: AppliedChanges;
  /**
   * Reads the TLS certificate files again and uses them for new connections (SIGHUP does this);
   * resolves false when TLS is off or the files are unusable (the current certificate stays).
   */
  reloadTls(): Promise<boolean>;
  /** The HTTP API, event stream, metrics and web console (`http.port`). */
  http: HttpModule;
  stop(): Promise<void>;
}

const REDACT = [
  ...CONFIG_REDACT_PATHS,
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'secret',
  '*.secret',
];

export function makeLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '***' } });
}

export async function startPbx(opts: StartPbxOptions = {}): Promise<RunningPbx> {
  const env = opts.env ?? {};
  // First pass without the database to learn where it is; then again with its stored options.
  const boot = loadConfig({ env });
  const dbPath = path.resolve(boot.db.path);
  const log = opts.logger ?? makeLogger(boot.log.level);
  const store = await Store.open({ path: dbPath, logger: log.child({ component: 'store' }) });
  const stopAll: Array<() => Promise<void> | void> = [() => store.close()];
  const stop = async (): Promise<void> => {
    while (stopAll.length) {
      const f = stopAll.pop()!;
      try {
        await f();
      } catch (err) {
        log.error({ err }, 'error while stopping');
      }
    }
  };
  try {
    const loadFull = async (): Promise<PbxConfig> => {
      const config = loadConfig({
        env,
        dbOptions: await store.options.all(),
        generateSecret: () => boot.control.secret,
      });
      opts.overrides?.(config);
      return config;
    };
    const config = await loadFull();
    // The level stored with `pbx config set log.level` is known only now.
    if (config.log.level !== boot.log.level) log.level = config.log.level;
    let sipServer: SipServerHandle | undefined;
    let tlsReloader: TlsReloader | undefined;
    if (config.control.mode === 'embedded') {
      sipServer = await startSipServerIn({
        thread: config.sip.thread,
        sip: {
          host: config.sip.host,
          port: config.sip.port,
          tlsPort: config.sip.tlsPort,
          tls: await tlsSettingsOf(config),
        },
        control: {
          host: config.control.host,
          port: config.control.port,
          secret: config.control.secret,
        },
        ...(config.trunks.tlsCa ? { tlsClient: await trunkTlsClient(config.trunks.tlsCa) } : {}),
        limits: {
          maxServerTransactions: config.sip.maxTransactions,
          maxCompletedTransactions: config.sip.maxCompletedTransactions,
        },
        logger: log,
        workerLog: workerLogOf(log, opts.logger === undefined),
      });
      stopAll.push(() => sipServer!.stop());
      sipServer.onFailure((err) => {
        log.fatal({ err }, 'the SIP server thread died: no SIP service; the PBX must restart');
        opts.onFatal?.(err);
      });
      // With port 0 (tests) the real ports are known only now.
      config.control.port = sipServer.control.port;
      const udp =
        sipServer.sipAddresses.find((a) => a.protocol === 'udp') ?? sipServer.sipAddresses[0];
      if (udp) config.sip.port = udp.port;
      const tlsListener = sipServer.sipAddresses.find((a) => a.protocol === 'tls');
      if (tlsListener) config.sip.tlsPort = tlsListener.port;
      const files = tlsFilesOf(config);
      if (files) {
        const server = sipServer;
        tlsReloader = new TlsReloader({
          files,
          install: (credentials) => server.reloadTls(credentials),
          log: log.child({ component: 'tls' }),
        });
        tlsReloader.start();
        const reloader = tlsReloader;
        stopAll.push(() => reloader.stop());
      }
    }
    const mediaServer =
      config.media.mode === 'embedded' ? await startEmbeddedMedia(config, dbPath, log) : undefined;
    checkHoldMusic(config, log);
    if (mediaServer) {
      stopAll.push(() => mediaServer.close());
      // With port 0 (tests) the real ports are known only now.
      config.media.sipPort = mediaServer.sip.port;
      config.media.eslPort = mediaServer.esl.port;
    }
    const srf = await connectSrf({
      host: config.control.host,
      port: config.control.port,
      secret: config.control.secret,
      log,
    });
    stopAll.push(() => srf.disconnect());
    const ctx: AppContext = { config, store, log, now: Date.now };
    // Connected in the background: calls that need no media never wait for the media server.
    const media = new MediaConnection({
      srf,
      log: log.child({ component: 'media' }),
      target: () => mediaTarget(ctx.config),
    });
    media.start();
    stopAll.push(() => media.stop());
    const installed = await installModules(ctx, srf, media);
    const modules = installed.all;
    stopAll.push(async () => {
      for (const m of [...modules].reverse()) await m.stop?.();
    });
    // Addresses the registrar blocks (Comm Exclusive, no-response) are dropped by the SIP server
    // before parsing, so a flood from them costs next to nothing. The list is mirrored as data:
    // the server (in its worker thread) decides per packet without asking this thread.
    const { registrar } = installed;
    if (sipServer) {
      const server = sipServer;
      const unwatch = registrar.watchDroppedSources((update) =>
        server.updateBlockedSources(update),
      );
      stopAll.push(unwatch);
    }
    const watcher: ChangeWatcher = await store.watch();
    stopAll.push(() => watcher.stop());
    const changes = new AppliedChanges();
    watcher.on('change', (area, counter) => {
      void (async () => {
        if (area === 'config') {
          const next = await loadFull();
          // Ports and addresses need a restart; everything else applies at once.
          next.control = ctx.config.control;
          next.sip.port = ctx.config.sip.port;
          next.http = { ...next.http, host: ctx.config.http.host, port: ctx.config.http.port };
          // Children made with log.child() follow the root's level unless given their own.
          if (next.log.level !== ctx.config.log.level) {
            log.level = next.log.level;
            sipServer?.setLogLevel(next.log.level);
          }
          Object.assign(ctx.config, next);
        }
        for (const m of modules) await m.onChange?.(area);
      })().then(
        () => changes.record(area, counter),
        (err: unknown) => {
          log.error({ err, area }, 'applying a change failed');
          changes.record(area, counter, err);
        },
      );
    });
    const http = await installHttp({
      ctx,
      calls: installed.calls,
      registrar,
      presence: installed.presence,
      messages: installed.messages,
      changes,
      voicemailFile: (rel) => installed.voicemail.files.abs(rel),
      defaultGreetingFile: () =>
        path.join(installed.voicemail.files.prompts, promptFile('greeting')),
      ...(sipServer
        ? {
            sipTraffic: (l) => sipServer.onTraffic(l),
            sipTrafficFlush: () => sipServer.flushTraffic(),
          }
        : {}),
      ...(mediaServer ? { mediaChannels: () => mediaServer.stats().channels } : {}),
    });
    stopAll.push(() => http.stop());
    // With port 0 (tests) the real port is known only now.
    config.http.port = http.port;
    log.info(
      { sip: `${config.sip.host}:${config.sip.port}`, db: dbPath, domain: config.sip.domain },
      'pbx started',
    );
    const host = config.sip.host === '0.0.0.0' ? '127.0.0.1' : config.sip.host;
    return {
      ctx,
      sip: { host, port: config.sip.port },
      sipServer,
      mediaServer,
      media,
      registrar,
      calls: installed.calls,
      presence: installed.presence,
      messages: installed.messages,
      voicemail: installed.voicemail,
      changes,
      reloadTls: () => (tlsReloader ? tlsReloader.reload() : Promise.resolve(false)),
      http,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Where the media connection finds the Event Socket: the embedded server on loopback, or config's. */
function mediaTarget(config: PbxConfig): MediaTarget {
  const embedded = config.media.mode === 'embedded';
  return {
    address: embedded ? '127.0.0.1' : config.media.host,
    port: config.media.eslPort,
    secret: config.media.eslPassword,
    // The embedded server connects back on loopback; an external one to this host's address.
    ...(embedded ? { listenAddress: '127.0.0.1' } : {}),
  };
}

/**
 * The embedded FreeSWITCH-compatible media server, in this process: SIP and RTP on `media.host`,
 * the Event Socket on loopback only (it carries the password and full call control), sounds and
 * recordings beside the database.
 */
async function startEmbeddedMedia(
  config: PbxConfig,
  dbPath: string,
  log: Logger,
): Promise<MediaServerHandle> {
  const dataDir = path.dirname(dbPath);
  // The generated hold tune, where the media server resolves `hold-music.wav`.
  await ensureHoldTune(path.join(dataDir, 'sounds'));
  const media = await startMediaServer({
    sip: { host: config.media.host, port: config.media.sipPort },
    esl: { host: '127.0.0.1', port: config.media.eslPort, password: config.media.eslPassword },
    rtp: { portMin: config.media.rtpPortMin, portMax: config.media.rtpPortMax },
    soundsDir: path.join(dataDir, 'sounds'),
    recordingsDir: path.join(dataDir, 'recordings'),
    logger: log,
  });
  log.info(
    { sip: `${media.sip.address}:${media.sip.port}`, esl: `${media.esl.host}:${media.esl.port}` },
    'media server started',
  );
  return media;
}

/** Says at start-up when the configured hold music cannot be played (the PBX falls back). */
function checkHoldMusic(config: PbxConfig, log: Logger): void {
  const file = config.media.holdMusic;
  // Relative names and external media servers: the file lives where the media server is.
  if (!file || !path.isAbsolute(file) || config.media.mode !== 'embedded') return;
  try {
    checkPlayableWav(file);
  } catch (err) {
    log.warn(
      { holdMusic: file, reason: (err as Error).message },
      'media.holdMusic cannot be played: the generated tune is used instead',
    );
  }
}

/**
 * Where a SIP worker's log lines go: with the PBX's own logger (stdout), its own pino writes
 * them to stdout directly, sparing this thread; with a logger given by the caller (tests capture
 * lines), they are posted here and written through it.
 */
function workerLogOf(log: Logger, ownLogger: boolean): WorkerLogTarget {
  return ownLogger
    ? { to: 'stdout', level: log.level, redact: REDACT }
    : { to: 'post', level: log.level };
}

/** Outgoing TLS (trunks): the system's CAs and those of `trunks.tlsCa`. */
async function trunkTlsClient(caFile: string): Promise<{ ca: Array<string | Buffer> }> {
  const fs = await import('node:fs/promises');
  const { rootCertificates } = await import('node:tls');
  return { ca: [...rootCertificates, await fs.readFile(caFile)] };
}
