/**
 * The registrar module: builds the registrar, restores the registrations stored by an earlier
 * run, and connects it to its SIP port (signalling/srf-registrar-port.ts):
 *
 * - a guard in front of every other handler turns away requests from addresses Comm Exclusive
 *   blocked (403, or no answer at all in `no-response` mode);
 * - REGISTER is answered through {@link Registrar}.
 *
 * It hands call control its live bindings as a {@link RegistrationLookup}. CLI changes arrive
 * through `onChange(area)`: stations and config drop the station cache, the white list and the
 * blocks are reloaded.
 */
import type { Logger } from 'pino';
import type { PbxConfig } from '@pbx/config';
import type { Store } from '@pbx/store';
import type { RegistrationLookup } from '../engine/registration-lookup';
import { WhitelistCache } from './access-checks';
import { BindingTable } from './bindings';
import { CommExclusive, type Admission } from './comm-exclusive';
import { CredentialDirectory } from './credential-directory';
import { DroppedSources, type DroppedSourcesListener } from './dropped-sources';
import { ExpirySweeper } from './expiry-sweeper';
import { DigestInviteAuthenticator } from './invite-auth';
import type { InviteAuthenticator } from '../engine/invite-auth';
import { NonceService, type NonceOptions } from './nonce';
import { qualifyStation, type QualifyResult } from './qualify';
import { Registrar, type RegistrarSettings } from './registrar';
import { bindingLookup } from './registration-lookup';
import type { RegistrarSipPort } from './sip-port';

export interface RegistrarOptions {
  nonce?: NonceOptions;
  /** Period of the expiry sweep (ms). */
  sweepIntervalMs?: number;
  maxTrackedIps?: number;
}

/** What the registrar reads from the app (the AppContext fits). */
export interface RegistrarContext {
  readonly config: PbxConfig;
  readonly store: Store;
  readonly log: Logger;
  now(): number;
}

/** The installed module, with handles for tests and other modules. */
export interface RegistrarModule {
  readonly name: 'registrar';
  readonly registrar: Registrar;
  readonly bindings: BindingTable;
  readonly comm: CommExclusive;
  /** The live bindings as call control reads them. */
  readonly lookup: RegistrationLookup;
  /** Digest challenge of INVITEs from stations with `challengeInvites` on. */
  readonly inviteAuth: InviteAuthenticator;
  /** What to do with any request from `ip` now. */
  admission(ip: string): Admission;
  /**
   * The addresses the SIP server may drop before parsing (blocked, `no-response` mode): the
   * whole list at once, then every change, as data (the server may be in another thread).
   */
  watchDroppedSources(listener: DroppedSourcesListener): () => void;
  /** OPTIONS to every live contact of `tel` (where the PBX reaches the phone). */
  qualify(tel: string, opts?: { timeoutMs?: number }): Promise<QualifyResult[]>;
  onChange(area: string): Promise<void>;
  stop(): Promise<void>;
}

export async function installRegistrar(
  ctx: RegistrarContext,
  port: RegistrarSipPort,
  options: RegistrarOptions = {},
): Promise<RegistrarModule> {
  const log = ctx.log.child({ module: 'registrar' });
  const now = (): number => ctx.now();
  const { store } = ctx;
  const settings = (): RegistrarSettings => ({
    realm: ctx.config.sip.domain,
    expireTime: ctx.config.sip.expireTime,
    natRegExpireTime: ctx.config.sip.natRegExpireTime,
    maxStations: ctx.config.license.maxStations,
    commExclusive: ctx.config.security.commExclusive,
  });
  const comm = new CommExclusive({
    blocks: store.blocks,
    accessLog: store.accessLog,
    settings: () => ({
      mode: ctx.config.security.commExclusive,
      retryLimit: ctx.config.security.registerRetryLimit,
      blockMs: Math.round(ctx.config.security.registerBlockTimer * 1000),
      failureWindowMs: Math.round(ctx.config.security.failureWindow * 1000),
    }),
    log,
    maxTrackedIps: options.maxTrackedIps,
    // The white list overrides Comm Exclusive: a listed address is never blocked.
    trusted: (ip) => whitelist.has(ip),
  });
  const bindings = new BindingTable();
  const whitelist = new WhitelistCache(store.whitelist);
  const directory = new CredentialDirectory(store.stations, () => ctx.config.sip.domain);
  const nonces = new NonceService({
    ttlMs: () => Math.round(ctx.config.security.nonceLifetime * 1000),
    ...options.nonce,
  });
  const inviteAuth = new DigestInviteAuthenticator({
    directory,
    nonces,
    comm,
    accessLog: store.accessLog,
    realm: () => ctx.config.sip.domain,
    mode: () => ctx.config.security.commExclusive,
    log,
    now,
  });
  const registrar = new Registrar({
    registrations: store.registrations,
    accessLog: store.accessLog,
    directory,
    whitelist,
    comm,
    nonces,
    bindings,
    settings,
    log,
    now,
  });

  // Restore what an earlier run registered; rows that expired while we were down go.
  const start = now();
  await store.registrations.purgeExpired(start);
  bindings.load(await store.registrations.list({ activeAt: start }), start);
  await directory.load();
  await whitelist.load();
  await comm.reload(start);
  log.info(
    { restored: bindings.size.bindings, stations: bindings.size.stations },
    'registrar ready',
  );

  const sweeper = new ExpirySweeper({
    bindings,
    registrations: store.registrations,
    accessLog: store.accessLog,
    comm,
    accessLogLimit: () => ctx.config.security.accessLogLimit,
    log,
    now,
    onExpired: (r) => registrar.emit('unbound', r, 'expired'),
    intervalMs: options.sweepIntervalMs,
  });
  sweeper.start();

  port.guard((ip) => comm.admission(ip, now()));
  const dropped = new DroppedSources(comm, () => ctx.config.security.commExclusive, now);
  port.onRegister((req) => registrar.handle(req));

  /**
   * Reloads the stations and drops the bindings of stations the CLI removed (their rows went
   * with the station).
   */
  const reloadStations = async (): Promise<void> => {
    const tels = new Set((await directory.load()).map((s) => s.tel));
    for (const tel of bindings.tels()) {
      if (tels.has(tel)) continue;
      for (const r of bindings.removeAll(tel)) {
        await store.registrations.remove(r.tel, r.contact);
        registrar.emit('unbound', r, 'station-removed');
      }
      log.info({ tel }, 'station removed, registrations dropped');
    }
  };

  return {
    name: 'registrar',
    registrar,
    bindings,
    comm,
    lookup: bindingLookup(registrar, bindings, now),
    inviteAuth,
    admission: (ip) => comm.admission(ip, now()),
    watchDroppedSources: (listener) => dropped.watch(listener),
    qualify: (tel, opts) =>
      qualifyStation(
        {
          port,
          station: (t) => store.stations.get(t),
          bindings: (t) => bindings.live(t, now()),
          domain: () => ctx.config.sip.domain,
        },
        tel,
        opts,
      ),
    async onChange(area) {
      switch (area) {
        case 'stations':
          await reloadStations();
          break;
        case 'config':
          // The realm may have changed: credentials are fetched again.
          await directory.load();
          // Comm Exclusive's mode may have changed: what the SIP server drops with it.
          dropped.refresh();
          break;
        case 'whitelist':
          await whitelist.load();
          dropped.refresh();
          break;
        case 'blocks':
          await comm.reload(now());
          dropped.refresh();
          break;
        default:
          break;
      }
    },
    async stop() {
      await sweeper.stop();
    },
  };
}
