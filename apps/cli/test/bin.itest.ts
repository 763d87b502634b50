import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { computeHa1, Store } from '@pbx/store';

const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'apps/cli/bin/pbx.js');

function pbx(
  args: string[],
  env: Record<string, string> = {},
  input?: string | Buffer,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
    // The child may exit before reading everything (oversized input): that is not our error.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

async function ha1Of(db: string, tel: string): Promise<string | undefined> {
  const store = await Store.open({ path: db });
  try {
    return (await store.stations.getCredentials(tel, 'pbx.local'))?.ha1;
  } finally {
    await store.close();
  }
}

/**
 * Runs `pbx args` on a real pseudo-terminal (util-linux `script`), answering each prompt that
 * appears with the next of `answers` once it is shown, and returns everything the terminal
 * displayed and the exit status.
 */
function onTerminal(
  args: string[],
  answers: string[],
): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, BIN, ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  return new Promise((done, fail) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', TERM: 'dumb' },
    });
    let screen = '';
    let prompts = 0;
    const timer = setTimeout(() => {
      child.kill();
      fail(new Error(`no exit within 20 s; screen: ${JSON.stringify(screen)}`));
    }, 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString('utf8');
      // Answer a prompt only once it is displayed, when the CLI has turned echo off.
      const shown = (screen.match(/Password for station \d+: |Retype the password: /g) ?? [])
        .length;
      while (prompts < shown && answers.length > 0) {
        prompts += 1;
        child.stdin.write(`${answers.shift()}\r`);
      }
    });
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, screen });
    });
  });
}

describe('bin/pbx.js (the built command)', () => {
  let dir: string;

  beforeAll(() => {
    // scripts/test.sh builds first; build here too when run on its own.
    if (!existsSync(join(ROOT, 'apps/cli/dist/main.js'))) {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'apps/cli'], {
        cwd: ROOT,
        stdio: 'inherit',
      });
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
    expect(bad).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: --password: must be at least 6 characters\n',
    });
    expect(existsSync(db)).toBe(false);
    expect((await pbx(['--db', db, 'ext', 'add', '201', '--password', 'secret1'])).code).toBe(0);
    const missing = await pbx(['--db', db, 'ext', 'show', '299']);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'error: station 299 not found\n' });
  });

  it('prints its version', async () => {
    const { version } = jest.requireActual<{ version: string }>('../package.json');
    expect(await pbx(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('refuses --db in a missing folder with exit 2 and creates nothing', async () => {
    const db = join(dir, 'missing', 'pbx.sqlite');
    const r = await pbx(['--db', db, 'ext', 'add', '201', '--password', 'secret1']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: --db ${db}: folder ${join(dir, 'missing')} does not exist; create it first\n`,
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reads the password from a pipe with --password-stdin and refuses oversized input', async () => {
    const db = join(dir, 'pbx.sqlite');
    const add = await pbx(['--db', db, 'ext', 'add', '201', '--password-stdin'], {}, 'Piped1!\n');
    expect(add).toEqual({ code: 0, stdout: 'station 201 added (user ID 201)\n', stderr: '' });
    expect(await ha1Of(db, '201')).toBe(computeHa1('201', 'pbx.local', 'Piped1!'));
    const big = await pbx(
      ['--db', db, 'ext', 'set', '201', '--password-stdin'],
      {},
      Buffer.alloc(100_000, 'a'),
    );
    expect(big).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: standard input: more than 4096 bytes; give one password line\n',
    });
    const none = await pbx(['--db', db, 'ext', 'add', '202'], {}, '');
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      'error: a password is required: give --password <pw> or --password-stdin, or run in a terminal to be asked\n',
    );
  });

  it('asks for the password on a terminal without echoing it', async () => {
    const db = join(dir, 'pbx.sqlite');
    const { code, screen } = await onTerminal(
      ['--db', db, 'ext', 'add', '201'],
      ['Typed9!', 'Typed9!'],
    );
    expect(screen).toContain('Password for station 201: ');
    expect(screen).toContain('Retype the password: ');
    expect(screen).toContain('station 201 added (user ID 201)');
    expect(screen).not.toContain('Typed9!');
    expect(code).toBe(0);
    expect(await ha1Of(db, '201')).toBe(computeHa1('201', 'pbx.local', 'Typed9!'));

    const mismatch = await onTerminal(
      ['--db', db, 'ext', 'set', '201', '--password'],
      ['Other88', 'Other89'],
    );
    expect(mismatch.screen).toContain('error: the passwords typed do not match');
    expect(mismatch.screen).not.toMatch(/Other8[89]/);
    expect(mismatch.code).toBe(2);
    expect(await ha1Of(db, '201')).toBe(computeHa1('201', 'pbx.local', 'Typed9!'));
  });
});
