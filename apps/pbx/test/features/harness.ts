/**
 * The call engine with every feature runner, on a fake SIP port (fake-sip-port.ts), a fake
 * registrar and a real SQLite store in a temporary directory. Timers run on jest's fake clock
 * (the engine's `now` reads Date.now, which jest fakes too), so no-answer, ringing timeout, park
 * recall and ring-group batches are stepped with `jest.advanceTimersByTime`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig, type PbxConfig } from '@pbx/config';
import { Store, type NatCheck, type StationSettings } from '@pbx/store';
import type { CallEnv } from '../../src/engine/call-env';
import { CallRegistry } from '../../src/engine/call-registry';
import { createRouter } from '../../src/engine/call-router';
import { CdrWriter, type CallRecordInput, type CdrSink } from '../../src/engine/cdr-writer';
import { LiveStations } from '../../src/engine/live-stations';
import { MemoryNumberPlan } from '../../src/engine/number-plan';
import type { InviteTarget, RegistrationLookup } from '../../src/engine/registration-lookup';
import { installFeatures, type InstalledFeatures } from '../../src/features';
import { FakeSipPort } from './fake-sip-port';
import { noMedia } from '../../src/engine/media-port';

/** Registrations the test sets directly: station → registered or not. */
export class FakeRegistrations implements RegistrationLookup {
  private readonly registered = new Set<string>();
  private readonly listeners: Array<(tel: string) => void> = [];

  set(tel: string, on: boolean): void {
    if (on) this.registered.add(tel);
    else this.registered.delete(tel);
    for (const l of this.listeners) l(tel);
  }
  isRegistered(tel: string): boolean {
    return this.registered.has(tel);
  }
  locate(tel: string, _natCheck: NatCheck): InviteTarget | undefined {
    return this.registered.has(tel)
      ? { uri: `sip:${tel}@127.0.0.1:${5000 + Number(tel.slice(-2))}` }
      : undefined;
  }
  locateAll(tel: string, natCheck: NatCheck): InviteTarget[] {
    const t = this.locate(tel, natCheck);
    return t ? [t] : [];
  }
  matchesSource(tel: string): boolean {
    return this.registered.has(tel);
  }
  onChange(listener: (tel: string) => void): void {
    this.listeners.push(listener);
  }
}

/** Call records kept in memory. */
class RecordedCdrs implements CdrSink {
  readonly records: CallRecordInput[] = [];
  async write(record: CallRecordInput): Promise<void> {
    this.records.push(record);
  }
}

export interface EngineHarness {
  readonly sip: FakeSipPort;
  readonly env: CallEnv;
  readonly config: PbxConfig;
  readonly plan: MemoryNumberPlan;
  readonly registrations: FakeRegistrations;
  readonly features: InstalledFeatures;
  readonly cdrs: CallRecordInput[];
  readonly store: Store;
  /** Adds registered stations with settings. */
  stations(tels: string[], settings?: Partial<StationSettings>): Promise<void>;
  /** Lets pending promise chains and database writes run (real I/O, fake timers). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** What jest must leave real: the event loop turns and the clock `until` measures with. */
export const REAL = [
  'nextTick',
  'queueMicrotask',
  'setImmediate',
  'performance',
  'hrtime',
] as const;

const turn = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

/** Runs the event loop a few turns: promise chains, then I/O callbacks (setImmediate is real). */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await turn();
}

/**
 * Turns the event loop until `cond` holds (SQLite reads and writes finish in real time), at most
 * `withinMs` of real time.
 */
export async function until(what: string, cond: () => boolean, withinMs = 2_000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await turn();
  }
  await settle();
}

export async function startEngine(): Promise<EngineHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'pbx-engine-'));
  const store = await Store.open({ path: join(dir, 'pbx.sqlite') });
  const config = loadConfig({ env: {} });
  const log = pino({ level: process.env.PBX_TEST_LOG ?? 'silent' });
  const registrations = new FakeRegistrations();
  const stations = new LiveStations(store, () => config, registrations, log);
  const registry = new CallRegistry(stations, () => Date.now());
  const sink = new RecordedCdrs();
  const cdr = new CdrWriter(sink, log);
  const sip = new FakeSipPort();
  const env: CallEnv = {
    config,
    log,
    now: () => Date.now(),
    sip,
    media: noMedia('no media server in engine unit tests'),
    stations,
    registry,
    cdr,
    hooks: {},
    intercept: { hangup: [], cancel: [], reinvite: [] },
    registrations,
    locate: (station) => registrations.locate(station, stations.row(station)?.natCheck ?? 'ip'),
  };
  const plan = new MemoryNumberPlan();
  const features = installFeatures(env);
  sip.onInvite(createRouter({ env, plan, features: features.table }));
  return {
    sip,
    env,
    config,
    plan,
    registrations,
    features,
    cdrs: sink.records,
    store,
    async stations(tels, settings = {}) {
      for (const tel of tels) {
        await store.stations.create(
          { tel, password: `secret${tel}`, useWhitelist: false, name: `Phone ${tel}`, ...settings },
          { realm: config.sip.domain },
        );
        registrations.set(tel, true);
      }
      await stations.load();
    },
    settle: () => settle(),
    async close() {
      await features.stop();
      await stations.flush();
      await cdr.flush();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
