/**
 * The trunk tests' world: a PBX with short registration back-off, Kamailio as the provider
 * (helpers/kamailio.ts) and two sipp gateways behind it, all on 127.0.0.x; the main trunk
 * registered over TCP with digest; the call records and the `pbx` CLI.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PbxConfig } from '@pbx/config';
import type { CallRecord } from '@pbx/store';
import { startCallsPbx, waitFor, type CallsPbx, type CallsPbxOptions } from './calls-harness';
import { startKamailio, type Kamailio } from './kamailio';
import { freePort, scenario, startSippUas, type SippPeer } from './sipp';

export const KAM_IP = '127.0.0.10';
export const GW_A_IP = '127.0.0.11';
export const GW_B_IP = '127.0.0.12';
export const PSTN_IP = '127.0.0.13';
export const USER = '0399990000';
export const PASSWORD = 'Tr7nk-pass';
export const NUMBER = '0398722900';
const CLI = join(__dirname, '..', '..', '..', 'cli', 'bin', 'pbx.js');

export interface World extends AsyncDisposable {
  h: CallsPbx;
  kam: Kamailio;
  gwA: SippPeer;
  gwB: SippPeer;
}

export async function world(
  gwAScenario = 'uas-gateway-answer.xml',
  gwBScenario = 'uas-gateway-answer.xml',
  overrides: (c: PbxConfig) => void = () => undefined,
  /** More of the PBX's test options (media for ringback, voice mail). */
  options: Omit<CallsPbxOptions, 'overrides'> = {},
): Promise<World> {
  const h = await startCallsPbx({
    ...options,
    overrides: (c) => {
      c.trunks.registerRetryMin = 0.3;
      c.trunks.registerRetryMax = 1;
      c.trunks.inviteTimeout = 5;
      overrides(c);
    },
  });
  const gwAPort = await freePort('udp', GW_A_IP);
  const gwBPort = await freePort('udp', GW_B_IP);
  const kam = await startKamailio({
    ip: KAM_IP,
    pbxIp: '127.0.0.1',
    user: USER,
    password: PASSWORD,
    gatewayA: `sip:${GW_A_IP}:${gwAPort}`,
    gatewayB: `sip:${GW_B_IP}:${gwBPort}`,
  });
  const gw = (ip: string, port: number, name: string) =>
    startSippUas({
      scenario: scenario(name),
      localIp: ip,
      localPort: port,
      timeoutMs: 40_000,
      traceMessages: true,
      keys: { gw: 'gw' },
    });
  const gwA = await gw(GW_A_IP, gwAPort, gwAScenario);
  const gwB = await gw(GW_B_IP, gwBPort, gwBScenario);
  return {
    h,
    kam,
    gwA,
    gwB,
    async [Symbol.asyncDispose]() {
      await gwA.stop();
      await gwB.stop();
      await h[Symbol.asyncDispose]();
      await kam.stop();
    },
  };
}

/** The registering main trunk to the world's Kamailio: TCP, digest, realm checked. */
export function mainTrunkFields(w: World) {
  return {
    name: 'main',
    host: KAM_IP,
    port: w.kam.port,
    transport: 'tcp' as const,
    username: USER,
    password: PASSWORD,
    realm: 'itsp.test',
  };
}

/** Adds the main trunk ({@link mainTrunkFields}) and waits until it is registered. */
export async function mainTrunk(w: World, extra: Record<string, unknown> = {}): Promise<void> {
  const store = w.h.pbx.ctx.store;
  await store.trunks.create({ ...mainTrunkFields(w), ...extra });
  await w.h.pbx.changeApplied('trunks');
  await waitFor(
    'trunk main registered',
    async () =>
      (await store.trunks.statuses()).some((s) => s.trunk === 'main' && s.state === 'registered'),
    20_000,
  ).catch(async (err: unknown) => {
    throw new Error(
      `${String(err)}\nstatus: ${JSON.stringify(await store.trunks.statuses())}\nkamailio:\n${w.kam.log().slice(-3000)}`,
    );
  });
}

export async function records(h: CallsPbx): Promise<CallRecord[]> {
  await h.settle();
  return h.pbx.ctx.store.cdrs.list();
}

export async function pbxCli(h: CallsPbx, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    CLI,
    '--db',
    h.pbx.dbPath,
    ...args,
  ]);
  return stdout;
}
