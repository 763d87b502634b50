/**
 * Trunks against real peers: Kamailio as the provider's registrar (digest) and record-routing
 * proxy (407 on INVITE), sipp UAS as its PSTN gateways, sipp UAC as a PSTN caller, sipp phones as
 * stations; everything on 127.0.0.x. Asserts what the wire shows, the call records in SQLite,
 * and `pbx trunk list`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CallRecord } from '@pbx/store';
import {
  expectPhoneOk,
  findReceived,
  headerOf,
  startCallsPbx,
  waitFor,
  type CallsPbx,
} from '../helpers/calls-harness';
import { startKamailio, type Kamailio } from '../helpers/kamailio';
import { freePort, runSipp, scenario, startSippUas, type SippPeer } from '../helpers/sipp';

jest.setTimeout(90_000);

const KAM_IP = '127.0.0.10';
const GW_A_IP = '127.0.0.11';
const GW_B_IP = '127.0.0.12';
const PSTN_IP = '127.0.0.13';
const USER = '0399990000';
const PASSWORD = 'Tr7nk-pass';
const NUMBER = '0398722900';
const CLI = join(__dirname, '..', '..', '..', 'cli', 'bin', 'pbx.js');

interface World extends AsyncDisposable {
  h: CallsPbx;
  kam: Kamailio;
  gwA: SippPeer;
  gwB: SippPeer;
}

async function world(
  gwAScenario = 'uas-gateway-answer.xml',
  gwBScenario = 'uas-gateway-answer.xml',
  overrides: (c: import('@pbx/config').PbxConfig) => void = () => undefined,
): Promise<World> {
  const h = await startCallsPbx({
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

/** Adds the registering main trunk (TCP, digest, realm checked) and waits until it is registered. */
async function mainTrunk(w: World, extra: Record<string, unknown> = {}): Promise<void> {
  const store = w.h.pbx.ctx.store;
  await store.trunks.create({
    name: 'main',
    host: KAM_IP,
    port: w.kam.port,
    transport: 'tcp',
    username: USER,
    password: PASSWORD,
    realm: 'itsp.test',
    ...extra,
  });
  await w.h.pbx.changeApplied('trunks');
  await waitFor(
    'trunk main registered',
    async () => (await store.trunks.statuses()).some((s) => s.trunk === 'main' && s.state === 'registered'),
    10_000,
  ).catch(async (err: unknown) => {
    throw new Error(
      `${String(err)}\nstatus: ${JSON.stringify(await store.trunks.statuses())}\nkamailio:\n${w.kam.log().slice(-3000)}`,
    );
  });
}

async function records(h: CallsPbx): Promise<CallRecord[]> {
  await h.settle();
  return h.pbx.ctx.store.cdrs.list();
}

async function pbxCli(h: CallsPbx, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, '--db', h.pbx.dbPath, ...args]);
  return stdout;
}

describe('trunk registration', () => {
  it('registers over TCP with digest, the provider accepts it, and pbx trunk list says so', async () => {
    await using w = await world();
    await mainTrunk(w);
    const regs = w.kam.requests().filter((l) => l.startsWith('REQ REGISTER'));
    // First without credentials (401), then with the digest for the account, over TCP.
    expect(regs[0]).toMatch(/from 127\.0\.0\.1:\d+\/tcp au=<null>/);
    expect(regs[1]).toContain(`/tcp au=${USER}`);
    const list = await pbxCli(w.h, 'trunk', 'list');
    expect(list).toMatch(/│ main\s+│ 127\.0\.0\.10:\d+\/tcp\s+│ 0399990000 │ registered \((\d+h )?\d+m( \d+s)? left\)\s+│ -/);
  });
});
