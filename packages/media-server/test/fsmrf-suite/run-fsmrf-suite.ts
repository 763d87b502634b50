/**
 * Runs the tape tests shipped in node_modules/drachtio-fsmrf/test, unmodified, against embedded
 * servers: two sip-servers (drachtio-uac, drachtio-sut) and three media servers (freeswitch-uac,
 * freeswitch-sut, and one with the custom profile name). Only what ran Docker is replaced:
 * docker_start.js / docker_stop.js become no-ops, and config/test.json points at local ports.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSipServer } from '@pbx/sip-server';
import type { SipServer } from '@pbx/sip-server';
import { startMediaServer } from '../../src';
import type { MediaServerHandle } from '../../src';

const ROOT = path.resolve(__dirname, '../../../..');
const FSMRF = path.join(ROOT, 'node_modules/drachtio-fsmrf');

export const FSMRF_TAPE_FILES = ['mediaserver.js', 'endpoint.js', 'conference.js'] as const;

export interface TapResult {
  file: string;
  passed: number;
  failed: number;
  failures: string[];
  outputTail: string;
}

export interface FsmrfSuite {
  dir: string;
  runFile(file: string, timeoutMs?: number): Promise<TapResult>;
  dispose(): Promise<void>;
}

export async function prepareFsmrfSuite(): Promise<FsmrfSuite> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsmrf-suite-'));
  fs.cpSync(path.join(FSMRF, 'test'), path.join(dir, 'test'), { recursive: true });
  fs.symlinkSync(path.join(FSMRF, 'lib'), path.join(dir, 'lib'));
  fs.writeFileSync(
    path.join(dir, 'index.js'),
    `module.exports = require(${JSON.stringify(FSMRF)});\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'test/docker_start.js'),
    "require('tape')('embedded servers are up', (t) => { t.pass('embedded servers started by the harness'); t.end(); });\n",
  );
  fs.writeFileSync(
    path.join(dir, 'test/docker_stop.js'),
    "require('tape')('embedded servers stay up', (t) => { t.pass('stopped by the harness'); t.end(); });\n",
  );
  // clear-module is a devDependency of fsmrf not installed here; mediaserver.js only uses it to
  // forget a module that does not exist.
  fs.mkdirSync(path.join(dir, 'node_modules/clear-module'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'node_modules/clear-module/index.js'),
    'module.exports = () => undefined;\n',
  );

  const sounds = path.join(dir, 'test/sounds/en/us/callie');
  const sipServers: SipServer[] = [];
  const media: MediaServerHandle[] = [];
  const sip = async (): Promise<SipServer> => {
    const s = await startSipServer({
      sip: { host: '127.0.0.1', port: 0 },
      control: { host: '127.0.0.1', port: 0, secret: 'cymru' },
    });
    sipServers.push(s);
    return s;
  };
  let rtpBase = 34000 + (process.pid % 20) * 300;
  const ms = async (profile?: string): Promise<MediaServerHandle> => {
    const m = await startMediaServer({
      sip: { host: '127.0.0.1', port: 0 },
      esl: { host: '127.0.0.1', port: 0 },
      rtp: { portMin: rtpBase, portMax: rtpBase + 99 },
      soundsDir: sounds,
      recordingsDir: dir,
      profile,
    });
    rtpBase += 100;
    media.push(m);
    return m;
  };
  const uacSip = await sip();
  const sutSip = await sip();
  const uacMs = await ms();
  const sutMs = await ms();
  const customMs = await ms('custom_drachtio_mrf');
  const fs1 = (
    m: MediaServerHandle,
    extra: Record<string, string> = {},
  ): Record<string, unknown> => ({
    address: '127.0.0.1',
    port: m.esl.port,
    secret: 'ClueCon',
    listenAddress: '127.0.0.1',
    ...extra,
  });
  const drachtio = (s: SipServer): Record<string, unknown> => ({
    host: '127.0.0.1',
    port: s.control.port,
    secret: 'cymru',
  });
  const sutUdp = sutSip.sipAddresses.find((a) => a.protocol === 'udp')!;
  const config = {
    logger: { level: 'fatal' },
    'drachtio-uac': drachtio(uacSip),
    'freeswitch-uac': fs1(uacMs),
    'drachtio-sut': drachtio(sutSip),
    'freeswitch-sut': fs1(sutMs),
    'freeswitch-uac-fail': { address: '127.0.0.1', port: 1, secret: 'ClueCon' },
    'freeswitch-custom-profile-uac': fs1(customMs, { profile: 'custom_drachtio_mrf' }),
    'call-generator': {
      uri: `sip:127.0.0.1:${sutUdp.port}`,
      drachtio: drachtio(uacSip),
      freeswitch: fs1(uacMs),
    },
  };
  fs.mkdirSync(path.join(dir, 'config'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config/test.json'), JSON.stringify(config, null, 2));

  return {
    dir,
    runFile: (file, timeoutMs = 120_000) =>
      new Promise<TapResult>((resolve) => {
        const child = spawn(process.execPath, [path.join(dir, 'test', file)], {
          cwd: dir,
          env: {
            ...process.env,
            NODE_ENV: 'test',
            NODE_CONFIG_DIR: path.join(dir, 'config'),
            NODE_PATH: path.join(ROOT, 'node_modules'),
          },
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        }, timeoutMs);
        child.on('close', () => {
          clearTimeout(timer);
          resolve(parseTap(file, out));
        });
      }),
    dispose: async () => {
      for (const m of media) await m.close();
      for (const s of sipServers) await s.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function parseTap(file: string, out: string): TapResult {
  const lines = out.split('\n');
  const passed = lines.filter((l) => /^ok \d+/.test(l)).length;
  const failures = lines
    .filter((l) => /^not ok \d+/.test(l))
    .map((l) => l.replace(/^not ok \d+\s*/, ''));
  return {
    file,
    passed,
    failed: failures.length,
    failures,
    outputTail: lines.slice(-40).join('\n'),
  };
}
