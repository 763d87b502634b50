/**
 * The call-control module, wired: the call engine (stations, calls, records, router) on a SIP
 * port, with the feature runners injected as a table and registrations read from the registrar.
 * Part of the composition root (pbx.ts installs it); `installCalls` returns the handles tests
 * and other modules (presence, admin API) use.
 */
import type { AppContext } from './context';
import type { CallEnv, CallHooks } from './engine/call-env';
import { CallRegistry } from './engine/call-registry';
import { createRouter } from './engine/call-router';
import { endCall } from './engine/call-setup';
import { CdrWriter, storeCdrSink } from './engine/cdr-writer';
import { LiveStations } from './engine/live-stations';
import type { NumberPlanSource } from './engine/number-plan';
import type { RegistrationLookup } from './engine/registration-lookup';
import type { CallSipPort } from './engine/sip-port';
import type { InviteAuthenticator } from './engine/invite-auth';
import type { MediaPort } from './engine/media-port';
import { installFeatures } from './features';
import {
  refuseClickToCall,
  startClickToCall,
  type ClickToCallRefusal,
  type ClickToCallRequest,
} from './features/click-to-call';
import type { Call } from './engine/call-registry';
import { holdRecall } from './features/hold-recall';
import { hearWhileWaiting, musicOnHold } from './engine/waiting-media';
import type { ParkRuntime } from './features/park';
import type { ConferenceRuntime } from './features/conference';
import { StoreNumberPlan } from './persistence';
import { installTrunks, type TrunkModule, type TrunkSipPort } from './trunks';

/**
 * How long a call record waits for others to share its database transaction: none beyond the
 * event-loop turn (records that arrive while a group commits still share the next one). A longer
 * window saves more (50 ms: about half the remaining cost of a record at 150 calls/s), but the
 * API, the CLI and tests read a call's record right after its hang-up.
 */
const CDR_GROUP_WINDOW_MS = 0;

/** What the call-control module exposes to the rest of the app. */
export interface CallControl {
  readonly name: 'calls';
  readonly env: CallEnv;
  readonly stations: LiveStations;
  readonly plan: NumberPlanSource;
  readonly parks: ParkRuntime;
  /** The conferences on the media server (46 and rooms). */
  readonly conferences: ConferenceRuntime;
  readonly hooks: CallHooks;
  /** Trunks: directory, registrations, billing. */
  readonly trunks: TrunkModule;
  /**
   * Click to call: rings the user's station, then calls the target and connects them. Refused
   * (nothing rings) when the user's phone is not registered, in DND or busy, or the target
   * cannot be called.
   */
  clickToCall(req: ClickToCallRequest): Call | ClickToCallRefusal;
  /** Resolves when every call record so far is written. */
  flushCdrs(): Promise<void>;
  onChange(area: string): Promise<void>;
  stop(): Promise<void>;
}

export async function installCalls(
  ctx: AppContext,
  sip: CallSipPort,
  registrations: RegistrationLookup,
  trunkSip: TrunkSipPort,
  media: MediaPort,
  inviteAuth?: InviteAuthenticator,
): Promise<CallControl> {
  const log = ctx.log.child({ component: 'calls' });
  // Calls that were connected when the PBX last stopped without ending them (a crash, kill -9):
  // their records are still open. Close them before any new call is taken.
  try {
    const closed = await ctx.store.cdrs.closeInterrupted(ctx.now());
    if (closed > 0) log.warn({ closed }, 'call records of calls cut by the last stop closed');
  } catch (err) {
    log.error({ err }, 'could not close the call records left open by the last stop');
  }
  const stations = new LiveStations(ctx.store, () => ctx.config, registrations, log);
  await stations.load();
  const registry = new CallRegistry(stations, ctx.now);
  const cdr = new CdrWriter(storeCdrSink(ctx.store), log, CDR_GROUP_WINDOW_MS);
  const hooks: CallHooks = {};
  const env: CallEnv = {
    config: ctx.config,
    log,
    now: ctx.now,
    sip,
    media,
    stations,
    registry,
    cdr,
    hooks,
    intercept: { hangup: [], cancel: [], reinvite: [] },
    registrations,
    ...(inviteAuth ? { inviteAuth } : {}),
    locate: (station) => registrations.locate(station, stations.row(station)?.natCheck ?? 'ip'),
  };
  const plan = new StoreNumberPlan(ctx.store, { logger: log });
  await plan.reload();
  const features = installFeatures(env, () => plan.plan().codes.voicemail ?? undefined);
  // Music on hold, park music and ringback from the media server; hold recall.
  hooks.onMediaIdle = (call) => musicOnHold(env, call);
  hooks.waiting = (leg, sound, why) => hearWhileWaiting(env, leg, sound, why);
  hooks.onHoldChanged = holdRecall(env);
  const trunks = await installTrunks({
    env,
    store: ctx.store,
    sip: trunkSip,
    plan,
    features: features.table,
    log: ctx.log.child({ component: 'trunks' }),
  });
  sip.onInvite(
    createRouter({ env, plan, features: { ...features.table, trunks: trunks.runners } }),
  );

  return {
    name: 'calls',
    env,
    stations,
    plan,
    parks: features.parks,
    conferences: features.conferences,
    hooks,
    trunks,
    clickToCall: (req) => refuseClickToCall(env, req) ?? startClickToCall(env, req),
    flushCdrs: async () => {
      await cdr.flush();
      await trunks.billing.flush();
    },
    async onChange(area) {
      await stations.onChange(area);
      await plan.onChange(area);
      await trunks.onChange(area);
    },
    async stop() {
      await trunks.stop();
      await features.stop();
      for (const call of registry.all()) endCall(env, call, { status: 503, note: 'pbx stopping' });
      await cdr.flush();
    },
  };
}
