/**
 * Stands in for drachtio-srf's test/sipp.js in the copied suite: the same API
 * (`require('./sipp')(network)` → `{ sippUac(file), sippUas(file, containerName), output() }`),
 * but sipp runs locally on 127.0.0.1 instead of in `docker run`.
 *
 * run-srf-suite.ts transpiles this file into the copied test folder as `sipp.js` (next to a
 * transpiled copy of ../helpers/sipp.ts) and passes the address table in SRF_SUITE_PEERS.
 */
import { readFile } from 'node:fs/promises';

import { describeSippResult, runSipp } from '../helpers/sipp';
import type { ShimPeers } from './testbed';

function peers(): ShimPeers {
  const raw = process.env.SRF_SUITE_PEERS;
  if (!raw) throw new Error('SRF_SUITE_PEERS is not set: run this suite through run-srf-suite.ts');
  return JSON.parse(raw) as ShimPeers;
}

let collected = '';
let callIndex = 1;

function record(text: string): void {
  // Like the original: keep ASCII only, the test prints it when something failed.
  collected += text.replace(/\P{ASCII}/gu, '');
}

function splitHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(value);
  return match ? { host: match[1] as string, port: Number(match[2]) } : undefined;
}

async function run(args: Parameters<typeof runSipp>[0]): Promise<void> {
  const result = await runSipp(args);
  record(result.stdout);
  record(result.stderr);
  if (result.code === 0 && !result.killed) return;
  record(`\n${describeSippResult(result)}\n`);
  process.stderr.write(`sipp failed: ${describeSippResult(result)}\n`);
  // The original rejects with the exit code.
  throw result.code ?? -1;
}

/**
 * Waits (up to 3 s) until an application routes the method of the scenario's first request: the
 * test starts its application and sipp together, and a busy machine can make the application
 * route later than sipp's 250 ms start-up pause (see run-srf-suite.ts). Goes on regardless.
 */
async function whenRouted(table: ShimPeers, scenario: string): Promise<void> {
  if (!table.routedUrl) return;
  const text = await readFile(scenario, 'latin1').catch(() => '');
  const method = /<send[^>]*>\s*<!\[CDATA\[\s*([A-Z]+)\s+sip/.exec(text)?.[1];
  if (!method || method === 'ACK' || method === 'CANCEL') return;
  await fetch(`${table.routedUrl}?method=${method}&within=3000`).catch(() => undefined);
}

const api = {
  output: (): string => collected,

  /** Runs a UAC scenario once against the server under test. */
  async sippUac(file: string): Promise<void> {
    const table = peers();
    collected = '';
    await whenRouted(table, `${table.scenarioDir}/${file}`);
    return run({
      scenario: `${table.scenarioDir}/${file}`,
      target: table.sut,
      calls: 1,
      timeoutMs: table.timeoutMs,
      extraArgs: ['-sleep', '250ms', '-cid_str', `%u-%p@%s-${callIndex++}`],
    });
  },

  /**
   * Runs a UAS scenario once as the peer the test named. The runner has already replaced the
   * container name in the test with `127.0.0.1:<port>`; a bare name is looked up in the table.
   */
  sippUas(file: string, containerName: string): Promise<void> {
    const table = peers();
    const address = splitHostPort(containerName) ?? splitHostPort(table.named[containerName] ?? '');
    if (!address)
      return Promise.reject(new Error(`no local address for sipp peer ${containerName}`));
    return run({
      scenario: `${table.scenarioDir}/${file}`,
      localIp: address.host,
      localPort: address.port,
      calls: 1,
      timeoutMs: table.timeoutMs,
    });
  },
};

export = (_network: string): typeof api => api;
