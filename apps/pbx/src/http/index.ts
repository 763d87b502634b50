/**
 * The HTTP module of the PBX: the API, the WebSocket event stream, Prometheus metrics and the
 * web console on `http.host:http.port` (HTTPS when `http.cert` and `http.key` are set). It reads
 * the engine through its public handles and changes the PBX through the store, as the CLI does;
 * nothing in the engine imports from here.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { adminRoutes } from './admin-routes';
import { authRoutes } from './auth-routes';
import { billingRoutes } from './billing-routes';
import { consoleRoute } from './console-route';
import { chatGroupRoutes } from './chat-group-routes';
import { contactRoutes } from './contact-routes';
import { EventHub } from './event-hub';
import { eventsRoute } from './events-route';
import { HttpContext, type HttpDeps } from './http-context';
import { errorHandler } from './http-errors';
import { CallIds, feedLiveSources } from './live-sources';
import { liveRoutes } from './live-routes';
import { PbxMetrics } from './metrics';
import { planRoutes } from './plan-routes';
import { LoginLimiter, Sessions } from './sessions';
import { SipTrace } from './sip-trace';
import { serviceRoutes } from './service-routes';
import { trunkRoutes } from './trunk-routes';
import { userRoutes } from './user-routes';
import { voicemailRoutes } from './voicemail-routes';

export type { HttpDeps } from './http-context';
export { EventHub, TOPICS } from './event-hub';
export type { HubEvent, Topic } from './event-hub';

/** The running HTTP module. */
export interface HttpModule {
  readonly name: 'http';
  /** `http://host:port` (or https) as bound (port 0 resolved). */
  readonly url: string;
  readonly port: number;
  readonly hub: EventHub;
  readonly metrics: PbxMetrics;
  readonly trace: SipTrace;
  stop(): Promise<void>;
}

export async function installHttp(deps: HttpDeps): Promise<HttpModule> {
  const { ctx } = deps;
  const cfg = ctx.config.http;
  const log = ctx.log.child({ component: 'http' });
  const https =
    cfg.cert && cfg.key
      ? { https: { cert: await readFile(cfg.cert), key: await readFile(cfg.key) } }
      : {};
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: 256 * 1024,
    // Behind no proxy by default: req.ip is the peer's address, which the login limit keys on.
    trustProxy: false,
    ...https,
  }) as unknown as FastifyInstance;
  const sessions = new Sessions(() => ctx.config.http.sessionIdle * 1000, ctx.now);
  const limiter = new LoginLimiter(
    () => ctx.config.http.loginAttempts,
    () => ctx.config.http.loginWindow * 1000,
    ctx.now,
  );
  const hub = new EventHub(ctx.now);
  const registry = deps.calls.env.registry;
  const metrics = new PbxMetrics({
    registeredStations: () => deps.registrar.bindings.registeredStations(ctx.now()),
    registrations: () => {
      const now = ctx.now();
      return deps.registrar.bindings
        .tels()
        .reduce((n, tel) => n + deps.registrar.bindings.live(tel, now).length, 0);
    },
    activeCalls: () => registry.size,
    blockedSources: () => blockedCount,
    mediaChannels: () => deps.mediaChannels?.(),
    wsClients: () => hub.clients,
    sessions: () => sessions.size,
  });
  // Blocks live in the database; counted on each scrape's schedule, not per request.
  let blockedCount = 0;
  const countBlocks = async (): Promise<void> => {
    blockedCount = (await ctx.store.blocks.list({ activeAt: ctx.now() })).length;
  };
  const trace = new SipTrace({ now: ctx.now });
  const callIds = new CallIds();
  // The `pbx` command's key to the API: readable by whoever may read the database.
  const dbPath = ctx.config.db.path;
  const tokenFile =
    dbPath && dbPath !== ':memory:' ? `${path.resolve(dbPath)}.api-token` : undefined;
  const localToken = tokenFile ? randomBytes(32).toString('base64url') : undefined;
  if (tokenFile && localToken) {
    await rm(tokenFile, { force: true });
    await writeFile(tokenFile, `${localToken}\n`, { mode: 0o600 });
  }
  const h = new HttpContext(
    deps,
    sessions,
    limiter,
    hub,
    metrics,
    trace,
    'https' in https,
    localToken,
  );
  const stopFeeding = feedLiveSources(deps, hub, metrics, trace, callIds);

  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  app.setErrorHandler(errorHandler(log));
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send({ error: 'not_found', message: `no route ${req.method} ${req.url}` });
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.header('X-Content-Type-Options', 'nosniff');
    return payload;
  });
  app.get('/metrics', async (_req, reply) => {
    await countBlocks().catch((err: unknown) => log.warn({ err }, 'blocks not counted'));
    void reply.header('Content-Type', metrics.contentType);
    return metrics.text();
  });
  app.get('/api/health', async () => ({ ok: true }));
  authRoutes(app, h);
  adminRoutes(app, h);
  liveRoutes(app, h, callIds);
  userRoutes(app, h);
  contactRoutes(app, h);
  chatGroupRoutes(app, h);
  voicemailRoutes(app, h);
  serviceRoutes(app, h);
  planRoutes(app, h);
  trunkRoutes(app, h);
  billingRoutes(app, h);
  eventsRoute(app, h);
  consoleRoute(app);

  try {
    await app.listen({ host: cfg.host, port: cfg.port });
  } catch (err) {
    stopFeeding();
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : cfg.port;
  const shownHost = cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host;
  const url = `${'https' in https ? 'https' : 'http'}://${shownHost}:${port}`;
  log.info({ url }, 'http api listening');
  return {
    name: 'http',
    url,
    port,
    hub,
    metrics,
    trace,
    async stop() {
      stopFeeding();
      // Open WebSockets would keep close() waiting: end them first.
      for (const client of app.websocketServer?.clients ?? []) client.terminate();
      await app.close();
      if (tokenFile) await rm(tokenFile, { force: true });
    },
  };
}
