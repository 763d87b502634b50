/**
 * The trunk module: the live trunk directory, registrations with the providers, the outgoing
 * and incoming trunk call runners and billing, installed on the call engine. Returns the
 * runners the router dispatches to (engine/call-features.ts `TrunkRunners`).
 */
import type { Logger } from 'pino';
import { tlsEnabled } from '@pbx/config';
import type { Store } from '@pbx/store';
import type { CallEnv } from '../engine/call-env';
import type { CallFeatures, TrunkRunners } from '../engine/call-features';
import type { NumberPlanSource } from '../engine/number-plan';
import { endCall } from '../engine/call-setup';
import { Billing } from './billing';
import { TrunkDirectory } from './directory';
import { FlatFeeSchedule } from './flat-fees';
import { incomingTrunkCall } from './incoming-call';
import { startTrunkCall } from './outgoing-call';
import { RegistrationClient } from './registration-client';
import type { TrunkSipPort } from './sip-port';

export interface TrunkModule {
  readonly runners: TrunkRunners;
  readonly directory: TrunkDirectory;
  readonly registrations: RegistrationClient;
  readonly billing: Billing;
  onChange(area: string): Promise<void>;
  /** Stops registering and unregisters the trunks (a bounded wait). */
  stop(): Promise<void>;
}

export async function installTrunks(deps: {
  readonly env: CallEnv;
  readonly store: Store;
  readonly sip: TrunkSipPort;
  readonly plan: NumberPlanSource;
  readonly features: Pick<CallFeatures, 'stationCall' | 'groupCall'>;
  readonly log: Logger;
}): Promise<TrunkModule> {
  const { env, store, log } = deps;
  const directory = new TrunkDirectory(store, log);
  await directory.load();
  // Like drachtio, the SIP server sends TLS only from a TLS listener of its own.
  const checkTls = (): void => {
    const tls = directory.all().filter((t) => t.transport === 'tls');
    if (tls.length > 0 && !tlsEnabled(env.config))
      log.warn(
        { trunks: tls.map((t) => t.name) },
        'TLS trunks need the PBX to listen on TLS too (sip.tlsCert and sip.tlsKey)',
      );
  };
  checkTls();
  const billing = new Billing(env, store, log);
  const previous = env.hooks.onRecord;
  env.hooks.onRecord = (call) => {
    previous?.(call);
    billing.onRecord(call);
  };
  const registrations = new RegistrationClient({
    store,
    directory,
    sip: deps.sip,
    log,
    now: env.now,
    backOff: () => ({
      retryMinMs: env.config.trunks.registerRetryMin * 1000,
      retryMaxMs: env.config.trunks.registerRetryMax * 1000,
    }),
  });
  registrations.sync();
  const flatFees = new FlatFeeSchedule({ store, now: env.now, log });
  flatFees.start();
  const outsideDigits = (n: string): string | undefined => {
    const prefix = deps.plan.plan().trunkPrefix;
    return prefix && n.startsWith(prefix) && n.length > prefix.length
      ? n.slice(prefix.length)
      : undefined;
  };
  env.hooks.isOutside = (n) => outsideDigits(n) !== undefined;
  env.hooks.forwardOutside = (call, number, diversion) => {
    const invite = call.aLeg.invite;
    const digits = outsideDigits(number);
    if (!invite || digits === undefined) {
      endCall(env, call, { status: 404, note: 'forward outside: no trunk' });
      return;
    }
    startTrunkCall(
      { env, directory, billing },
      { invite, caller: call.record.caller, digits, diversion, call },
    );
  };
  env.hooks.transferOutside = (call, number, sdp, side) => {
    const digits = outsideDigits(number);
    if (digits === undefined) {
      side.failed({ status: 404, note: 'transfer outside: no trunk' });
      return;
    }
    startTrunkCall(
      { env, directory, billing },
      { caller: call.record.caller, digits, call, sdp, side },
    );
  };
  const runners: TrunkRunners = {
    incoming: (invite) =>
      incomingTrunkCall({ env, directory, plan: deps.plan, features: deps.features }, invite),
    outgoing: (invite, caller, c) => {
      startTrunkCall(
        { env, directory, billing },
        { invite, caller, digits: c.digits, ...(c.authCode ? { authCode: c.authCode } : {}) },
      );
    },
    isAuthCode: (code) => directory.isAuthCode(code),
  };
  return {
    runners,
    directory,
    registrations,
    billing,
    async onChange(area) {
      if (area !== 'trunks') return;
      await directory.load();
      checkTls();
      registrations.sync();
    },
    async stop() {
      await flatFees.stop();
      await registrations.stop();
    },
  };
}

export type { TrunkSipPort } from './sip-port';
