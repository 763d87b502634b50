import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'apps/cli/bin/pbx.js');

function pbx(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

describe('bin/pbx.js (the built command)', () => {
  let dir: string;

  beforeAll(() => {
    // scripts/test.sh builds first; build here too when run on its own.
    if (!existsSync(join(ROOT, 'apps/cli/dist/main.js'))) {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'apps/cli'], { cwd: ROOT, stdio: 'inherit' });
    }
  }, 120_000);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pbx-bin-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds and lists a station with exit status 0, using PBX_DB', async () => {
    const env = { PBX_DB: join(dir, 'pbx.sqlite') };
    const add = await pbx(['ext', 'add', '201', '--password', 'secret1'], env);
    expect(add).toEqual({ code: 0, stdout: 'station 201 added (user ID 201)\n', stderr: '' });
    const list = await pbx(['ext', 'list', '--json'], env);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { tel: string }[]).map((s) => s.tel)).toEqual(['201']);
    expect(existsSync(join(dir, 'pbx.sqlite.key'))).toBe(true);
  });

  it('exits 2 with one error line and no stack trace on bad input, 1 on not found', async () => {
    const db = join(dir, 'pbx.sqlite');
    const bad = await pbx(['--db', db, 'ext', 'add', '201', '--password', 'short']);
    expect(bad).toEqual({ code: 2, stdout: '', stderr: 'error: --password: must be at least 6 characters\n' });
    const missing = await pbx(['--db', db, 'ext', 'show', '299']);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'error: station 299 not found\n' });
  });
});
