/**
 * `npm start` runs apps/pbx/dist/main.js: it starts on embedded defaults with SQLite where PBX_DB
 * says, stops cleanly on SIGTERM, and a bad configuration value stops start-up with exit 2 and a
 * message naming the key. Runs the built file (npm test builds first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/sipp';

const MAIN = path.resolve(__dirname, '../../dist/main.js');

describe('pbx main', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pbx-main-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts on embedded defaults, creates its database and stops on SIGTERM', async () => {
    const db = path.join(dir, 'data', 'pbx.sqlite');
    const env = { ...process.env, PBX_DB: db, PBX_SIP_HOST: '127.0.0.1', PBX_SIP_PORT: String(await freePort('both')), PBX_CONTROL_PORT: String(await freePort('tcp')), LOG_LEVEL: 'info' };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not started: ${out}`)), 15_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('"msg":"pbx started"')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(existsSync(db)).toBe(true);
      expect(out).not.toMatch(/"secret":"(?!\*\*\*)/);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

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
});
