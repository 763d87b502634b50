import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliFixture, expectFailure } from './helpers';

/** `--db` (and PBX_DB, db.path): a mistyped path fails instead of starting an empty database. */
describe('the database path', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('refuses a path whose folder does not exist, for reads and writes, creating nothing', async () => {
    const missing = join(f.dir, 'no-such-folder', 'deeper');
    const db = join(missing, 'pbx.sqlite');
    const message = `--db ${db}: folder ${missing} does not exist; create it first`;
    expectFailure(await f.raw(['--db', db, 'ext', 'list']), 2, message);
    expectFailure(
      await f.raw(['--db', db, 'ext', 'add', '201', '--password', 'secret1']),
      2,
      message,
    );
    expectFailure(await f.raw(['--db', db, 'config', 'set', 'sip.domain', 'pbx.test']), 2, message);
    expect(existsSync(join(f.dir, 'no-such-folder'))).toBe(false);
    expect(readdirSync(f.dir)).toEqual([]);
  });

  it('names PBX_DB when the environment chose the path', async () => {
    const db = join(f.dir, 'gone', 'pbx.sqlite');
    const r = await f.raw(['ext', 'add', '201', '--password', 'secret1'], { PBX_DB: db });
    expectFailure(
      r,
      2,
      `PBX_DB ${db}: folder ${join(f.dir, 'gone')} does not exist; create it first`,
    );
    expect(existsSync(join(f.dir, 'gone'))).toBe(false);
  });

  it('names db.path when the config file chose it', async () => {
    const db = join(f.dir, 'gone', 'pbx.sqlite');
    const file = join(f.dir, 'pbx.json');
    writeFileSync(file, JSON.stringify({ db: { path: db } }));
    const r = await f.raw(['ext', 'list'], { PBX_CONFIG: file });
    expectFailure(
      r,
      2,
      `db.path ${db}: folder ${join(f.dir, 'gone')} does not exist; create it first`,
    );
  });

  it('refuses a folder given as the database', async () => {
    mkdirSync(join(f.dir, 'data'));
    const r = await f.raw(['--db', join(f.dir, 'data'), 'ext', 'list']);
    expectFailure(r, 2, `--db ${join(f.dir, 'data')}: is a folder; give the database file's path`);
  });

  it('reads only an existing database: a missing file is an error (exit 1), and nothing is created', async () => {
    const db = join(f.dir, 'typo.sqlite');
    for (const args of [
      ['ext', 'list'],
      ['ext', 'show', '201'],
      ['status'],
      ['config', 'list'],
      ['numplan', 'list'],
      ['cdr', 'export'],
      ['ext', 'remove', '201'],
      ['ext', 'set', '201', '--dnd', 'on'],
    ]) {
      expectFailure(
        await f.raw(['--db', db, ...args]),
        1,
        `--db ${db}: no database there; the PBX creates it when it starts, as do commands that add something (e.g. pbx ext add)`,
      );
    }
    expect(readdirSync(f.dir)).toEqual([]);
  });

  it('creates a missing database file in an existing folder for commands that add something', async () => {
    const cases: string[][] = [
      ['ext', 'add', '201', '--password', 'secret1'],
      ['whitelist', 'add', '127.0.0.1'],
      ['config', 'set', 'sip.domain', 'pbx.test'],
      ['block', 'add', '127.0.0.9'],
      ['numplan', 'set', 'dnd', '48'],
      ['numplan', 'clear', 'park'],
      ['group', 'add', '500'],
    ];
    for (const [i, args] of cases.entries()) {
      const db = join(f.dir, `new-${i}.sqlite`);
      const r = await f.raw(['--db', db, ...args]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(existsSync(db)).toBe(true);
    }
    // The new database is then readable.
    expect(
      (await f.raw(['--db', join(f.dir, 'new-0.sqlite'), 'ext', 'list', '--json'])).stdout,
    ).toMatch(/"tel": "201"/);
  });
});

describe('pbx --version', () => {
  it('prints the package version and exits 0', async () => {
    const f = new CliFixture();
    try {
      const { version } = jest.requireActual<{ version: string }>('../package.json');
      for (const flag of ['--version', '-V']) {
        expect(await f.raw([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
      }
      expect(readdirSync(f.dir)).toEqual([]);
    } finally {
      f.cleanup();
    }
  });
});
