/**
 * `npm start` runs apps/pbx/dist/main.js: it starts on embedded defaults with SQLite where PBX_DB
 * says, stops cleanly on SIGTERM, and a bad configuration value stops start-up with exit 2 and a
 * message naming the key. Runs the built file (npm test builds first).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { waitForOutput } from '../../../../packages/sip-server/test/helpers/child-output';
import {
  hasOpenssl,
  makeCa,
  makeCert,
} from '../../../../packages/sip-server/test/transport/test-certs';
import { childPbxEnv } from '../helpers/child-pbx-env';
import { freePort } from '../helpers/sipp';

const MAIN = path.resolve(__dirname, '../../dist/main.js');
const ROOT = path.resolve(__dirname, '../../../..');

/** Resolves with everything the process and its descendants wrote once `pattern` appears; rejects after `withinMs`. */
function outputUntil(
  child: ChildProcessWithoutNullStreams,
  pattern: RegExp,
  withinMs: number,
): Promise<string> {
  let out = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${String(pattern)} within ${withinMs} ms: ${out}`)),
      withinMs,
    );
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  });
}

/** Resolves once every process holding the child's stdout (npm, the shell, node) has exited. */
function stdoutClosed(child: ChildProcessWithoutNullStreams, withinMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (child.stdout.readableEnded) return resolve();
    const timer = setTimeout(
      () => reject(new Error(`the PBX still runs ${withinMs} ms after the stop`)),
      withinMs,
    );
    child.stdout.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Whether `pid` still runs (an exited process its new parent has not reaped yet counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ...": Z is a zombie.
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** True when UDP and TCP `port` on 127.0.0.1 can be bound (nobody holds it). */
async function portFree(port: number): Promise<boolean> {
  const udp = await new Promise<boolean>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  const tcp = await new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  return udp && tcp;
}

/** The first frame an Event Socket listener at `hostPort` sends. */
function eslGreeting(hostPort: string): Promise<string> {
  const [host, port] = [
    hostPort.slice(0, hostPort.lastIndexOf(':')),
    Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no greeting from ${hostPort}`));
    }, 5_000);
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(text);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('pbx main', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pbx-main-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts on embedded defaults, creates its database and stops on SIGTERM', async () => {
    const db = path.join(dir, 'data', 'pbx.sqlite');
    const { env } = await childPbxEnv(db);
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      // The output ends early when the PBX exits instead of starting.
      const out = await waitForOutput(child.stdout, '"msg":"pbx started"', 15_000);
      expect(existsSync(db)).toBe(true);
      expect(out).not.toMatch(/"secret":"(?!\*\*\*)/);
      expect(out).not.toMatch(/"eslPassword":"(?!\*\*\*)/);
      // The embedded media server came up with it: its Event Socket greets like FreeSWITCH's.
      const mediaLine = out.split('\n').find((l) => l.includes('"msg":"media server started"'));
      expect(mediaLine).toBeDefined();
      const esl = (JSON.parse(mediaLine!) as { esl: string }).esl;
      expect(await eslGreeting(esl)).toMatch(/^Content-Type: auth\/request/);
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => resolve(code)),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  /** The serial number of the certificate a TLS server at 127.0.0.1:`port` presents. */
  function servedSerial(port: number, ca: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(ca) }, () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.end();
        resolve(serial);
      });
      socket.setTimeout(5_000, () => {
        socket.destroy();
        reject(new Error(`no TLS handshake on ${port}`));
      });
      socket.on('error', reject);
    });
  }

  (hasOpenssl() ? it : it.skip)(
    'SIGHUP reads the TLS certificate files again and the PBX goes on (no restart)',
    async () => {
      const certs = path.join(dir, 'certs');
      const ca = makeCa(dir, 'pbx');
      const first = makeCert(dir, 'first', '127.0.0.1', ca);
      const second = makeCert(dir, 'second', '127.0.0.1', ca);
      // The PBX watches the certificate directory; the new pair waits outside it until the test
      // puts it in place, and the watcher is left no time of its own before the signal.
      spawnSync('mkdir', ['-p', certs]);
      const certFile = path.join(certs, 'cert.pem');
      const keyFile = path.join(certs, 'key.pem');
      const copy = (from: string, to: string): void => {
        expect(spawnSync('cp', [from, to]).status).toBe(0);
      };
      copy(first.certFile, certFile);
      copy(first.keyFile, keyFile);
      const tlsPort = await freePort('tcp');
      const { env } = await childPbxEnv(path.join(dir, 'pbx.sqlite'), {
        extra: {
          PBX_SIP_TLS_PORT: String(tlsPort),
          PBX_SIP_TLS_CERT: certFile,
          PBX_SIP_TLS_KEY: keyFile,
        },
      });
      const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      // The PBX's own line (the SIP server logs one of its own too).
      const reloads = (): number =>
        out
          .split('\n')
          .filter((l) => l.includes('"component":"tls"') && l.includes('certificate reloaded'))
          .length;
      const until = async (what: string, done: () => boolean | Promise<boolean>): Promise<void> => {
        const deadline = Date.now() + 15_000;
        while (!(await done())) {
          if (Date.now() > deadline || child.exitCode !== null)
            throw new Error(`no ${what} (exit ${String(child.exitCode)}): ${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      try {
        await until('start', () => out.includes('"msg":"pbx started"'));
        const before = await servedSerial(tlsPort, ca.certFile);
        // Without any file change a SIGHUP alone reloads: the signal, not the watcher.
        child.kill('SIGHUP');
        await until('reload on SIGHUP', () => reloads() === 1);
        expect(await servedSerial(tlsPort, ca.certFile)).toBe(before);
        // A renewed pair: after the signal new connections get it.
        copy(second.certFile, certFile);
        copy(second.keyFile, keyFile);
        child.kill('SIGHUP');
        await until(
          'the renewed certificate served',
          async () => (await servedSerial(tlsPort, ca.certFile)) !== before,
        );
        expect(alive(child.pid!)).toBe(true);
        const exited = new Promise<number | null>((resolve) =>
          child.on('exit', (code) => resolve(code)),
        );
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
    60_000,
  );

  it.each([
    ['PBX_SIP_PORT', 'abc', 'sip.port'],
    ['PBX_SECURITY_COMM_EXCLUSIVE', 'sometimes', 'security.commExclusive'],
  ])('refuses %s=%s at start-up naming %s', (name, value, key) => {
    const r = spawnSync(process.execPath, [MAIN], {
      encoding: 'utf8',
      timeout: 15_000,
      env: { ...process.env, PBX_DB: path.join(dir, 'pbx.sqlite'), [name]: value },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(key);
  });

  // `npm start` as a user runs it (--ignore-scripts only skips the prestart build, which the test
  // run has done): stopping npm must stop the PBX and free its port. npm is its own process group
  // (detached), like a shell job; Ctrl-C sends SIGINT to the whole group.
  it.each([
    ['SIGTERM to npm', (npm: number) => process.kill(npm, 'SIGTERM')],
    ['SIGINT to the process group (Ctrl-C)', (npm: number) => process.kill(-npm, 'SIGINT')],
    ['SIGKILL to npm (nothing passed on)', (npm: number) => process.kill(npm, 'SIGKILL')],
  ])(
    'npm start: %s stops the PBX and frees its port',
    async (_what, stopNpm) => {
      const { env, sipPort } = await childPbxEnv(path.join(dir, 'pbx.sqlite'));
      const npm = spawn('npm', ['start', '--ignore-scripts', '--silent'], {
        cwd: ROOT,
        env,
        detached: true,
      });
      let pbxPid: number | undefined;
      try {
        // npm, then node loading every module: about 2 s idle, over 20 s once seen on a 2-core
        // machine with the whole suite and a busy loop beside it.
        const out = await outputUntil(npm, /"msg":"pbx started"/, 45_000);
        pbxPid = Number(/"pid":(\d+)[^\n]*"msg":"pbx started"/.exec(out)?.[1]);
        expect(pbxPid).toBeGreaterThan(0);
        expect(pbxPid).not.toBe(npm.pid);
        expect(await portFree(sipPort)).toBe(false);

        const closed = stdoutClosed(npm, 10_000);
        stopNpm(npm.pid!);
        await closed;
        expect(alive(pbxPid)).toBe(false);
        expect(await portFree(sipPort)).toBe(true);
      } finally {
        if (pbxPid && alive(pbxPid)) process.kill(pbxPid, 'SIGKILL');
        if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
        // A PBX that never said it started has no pid here: the group npm leads (detached) is
        // ours, and nothing of it may outlive the test.
        try {
          process.kill(-npm.pid!, 'SIGKILL');
        } catch {
          // The group is gone already.
        }
      }
    },
    90_000,
  );
});
