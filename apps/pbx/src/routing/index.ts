/**
 * The call-control module: installs the INVITE router and the feature runners on the app's srf
 * connection. `installCalls` is listed in modules.ts; `callControl(ctx)` gives tests and other
 * modules (presence, admin API) the live calls, stations and call records.
 */
import type { AppContext, PbxModule } from '../context';
import { srfCalls } from '../signalling/srf-calls';
import type { CallEnv, CallHooks } from '../features/call-env';
import { CallRegistry } from '../features/call-registry';
import { CdrWriter, storeCdrSink, type CdrSink } from '../features/cdr-writer';
import { endCall } from '../features/call-setup';
import { featureRunner } from '../features/feature-codes';
import { ParkRuntime } from '../features/park';
import { installTransfer } from '../features/transfer';
import { createRouter } from './call-router';
import { inviteTarget, snapshotRegistrations, type RegistrationSnapshot } from './locate';
import { StoreNumberPlan } from '../persistence';
import type { NumberPlanSource } from './number-plan';
import { StationDirectory } from './station-directory';

/** What the call-control module exposes to the rest of the app. */
export interface CallControl {
  readonly env: CallEnv;
  readonly stations: StationDirectory;
  readonly plan: NumberPlanSource;
  readonly parks: ParkRuntime;
  readonly hooks: CallHooks;
  /** Resolves when every call record so far is written. */
  flushCdrs(): Promise<void>;
  /** Sends call records somewhere else (the CdrRepo adapter). */
  useCdrSink(sink: CdrSink): void;
}

const controls = new WeakMap<AppContext, CallControl>();

/** The call control installed on `ctx`, if any. */
export function callControl(ctx: AppContext): CallControl | undefined {
  return controls.get(ctx);
}

export interface InstallCallsOptions {
  plan?: NumberPlanSource;
  cdrSink?: CdrSink;
}

export async function installCalls(ctx: AppContext, options: InstallCallsOptions = {}): Promise<PbxModule> {
  const log = ctx.log.child({ component: 'calls' });
  const sip = srfCalls(ctx.srf, log);
  const stations = new StationDirectory(ctx.store, () => ctx.config, log);
  await stations.load();
  const registry = new CallRegistry(stations, ctx.now);
  const cdr = new CdrWriter(options.cdrSink ?? storeCdrSink(ctx.store), log);
  const hooks: CallHooks = {};
  // One registration snapshot serves every call until a registration is written in this
  // process or it is a second old (the CLI and expiry reach it then): reading all bindings from
  // SQLite for each INVITE capped call set-up at ~60 calls/s.
  let cached: { at: number; version: number; snapshot: Promise<RegistrationSnapshot> } | undefined;
  const registrations = (): Promise<RegistrationSnapshot> => {
    const now = ctx.now();
    const version = ctx.store.registrations.version;
    if (cached && cached.version === version && now - cached.at < 1000) return cached.snapshot;
    const snapshot = snapshotRegistrations(ctx.store, now).then(async (snap) => {
      await stations.applyRegistrations(snap);
      return snap;
    });
    const entry = { at: now, version, snapshot };
    cached = entry;
    snapshot.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return snapshot;
  };
  const env: CallEnv = {
    config: ctx.config,
    log,
    now: ctx.now,
    sip,
    stations,
    registry,
    cdr,
    hooks,
    intercept: { hangup: [], cancel: [] },
    refreshRegistrations: () => registrations(),
    async locate(station) {
      const snapshot = await registrations();
      const reg = snapshot.newest(station);
      return reg ? inviteTarget(reg, stations.row(station)?.natCheck ?? 'ip') : undefined;
    },
  };
  const plan = options.plan ?? new StoreNumberPlan(ctx.store, { logger: log });
  await plan.reload();
  const parks = new ParkRuntime(env);
  installTransfer(env);
  const features = featureRunner(env, parks);
  sip.onInvite(createRouter({ env, plan, features }));

  controls.set(ctx, {
    env,
    stations,
    plan,
    parks,
    hooks,
    flushCdrs: () => cdr.flush(),
    useCdrSink: (sink) => cdr.use(sink),
  });
  return {
    name: 'calls',
    async onChange(area) {
      if (area === 'stations' || area === 'config') await stations.load();
      if (area === 'numplan' || area === 'groups') await plan.reload();
    },
    async stop() {
      parks.stop();
      for (const call of registry.all()) endCall(env, call, { status: 503, note: 'pbx stopping' });
      await cdr.flush();
      controls.delete(ctx);
    },
  };
}
