import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeHa1, Store } from '@pbx/store';
import { CliFixture } from './helpers';

describe('pbx backup / pbx restore', () => {
  let f: CliFixture;
  beforeEach(() => {
    f = new CliFixture();
  });
  afterEach(() => f.cleanup());

  it('backs up while another connection writes, with the key and a warning; restore brings it back', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1', '--name', 'Front desk');
    await f.ok('ext', 'add', '202', '--password', 'secret2');
    // Another connection (as the running PBX would be) keeps writing during the backup.
    const live = await Store.open({ path: f.db });
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++)
        await live.cdrs.record({
          callRef: `c${i}`,
          callerTel: '201',
          dialled: '202',
          disposition: 'busy',
          sipStatus: 486,
        });
    })();
    const file = join(f.dir, 'copy.sqlite');
    const r = await f.pbx('backup', file);
    writing = false;
    await writer;
    await live.close();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /backup written to .*copy\.sqlite \(schema \d+, 2 stations, \d+ call records\)/,
    );
    expect(r.stderr).toMatch(
      /warning: .*copy\.sqlite\.key holds the key that decrypts the station passwords/,
    );
    expect(readFileSync(`${file}.key`, 'utf8')).toBe(readFileSync(`${f.db}.key`, 'utf8'));
    expect(statSync(`${file}.key`).mode & 0o777).toBe(0o600);

    // Change the live database, then restore the backup over it.
    await f.ok('ext', 'remove', '202');
    await f.ok('ext', 'add', '203', '--password', 'secret3');
    const restored = await f.pbx('restore', file);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('2 stations');
    expect(restored.stdout).toContain('pbx.sqlite.before-restore');
    const tels = (await f.json<Array<{ tel: string }>>('ext', 'list')).map((s) => s.tel);
    expect(tels).toEqual(['201', '202']);
    // The passwords still decrypt with the restored key: the digest check data is intact.
    const store = await f.store();
    try {
      // Another realm makes it decrypt the stored password with the restored key.
      expect((await store.stations.getCredentials('201', 'other.invalid'))?.ha1).toBe(
        computeHa1('201', 'other.invalid', 'secret1'),
      );
    } finally {
      await store.close();
    }
    expect(existsSync(`${f.db}.before-restore`)).toBe(true);
  });

  it.each([
    [['backup'], 2, /missing required argument/],
    [['backup', '/no/such/folder/x.sqlite'], 2, /folder \/no\/such\/folder does not exist/],
    [['restore', '/no/such/file.sqlite'], 1, /no such file/],
  ])('pbx %j fails clearly', async (args, code, message) => {
    const r = await f.pbx(...args);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('backup refuses to overwrite without --force, and the database itself', async () => {
    const file = join(f.dir, 'exists.sqlite');
    writeFileSync(file, 'x');
    const r = await f.pbx('backup', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already exists; give --force/);
    expect((await f.pbx('backup', file, '--force')).code).toBe(0);
    const self = await f.pbx('backup', f.db);
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/is the database itself/);
  });

  it('restore refuses a file that is not a database, a damaged one, a newer schema, or no key', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    const junk = join(f.dir, 'junk.sqlite');
    writeFileSync(junk, 'this is not a database at all, just text '.repeat(200));
    writeFileSync(`${junk}.key`, 'x');
    const a = await f.pbx('restore', junk);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(
      /restore refused: .*junk\.sqlite: (not a usable SQLite database|cannot open)/,
    );

    const good = join(f.dir, 'good.sqlite');
    expect((await f.pbx('backup', good)).code).toBe(0);
    // A newer schema than this version knows.
    const newer = join(f.dir, 'newer.sqlite');
    expect((await f.pbx('backup', newer)).code).toBe(0);
    const s = await Store.open({ path: newer });
    await s.db.run(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 'x')",
    );
    await s.close();
    const b = await f.pbx('restore', newer);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/schema version 9999 is newer than this PBX knows/);

    // Damaged: a page of the file overwritten with garbage.
    const damaged = join(f.dir, 'damaged.sqlite');
    expect((await f.pbx('backup', damaged)).code).toBe(0);
    const bytes = readFileSync(damaged);
    bytes.fill(0x41, 4096 * 2, 4096 * 3);
    writeFileSync(damaged, bytes);
    const c = await f.pbx('restore', damaged);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(
      /restore refused: .*(integrity check failed|not a usable SQLite database)/,
    );

    // No key beside the backup.
    const keyless = join(f.dir, 'keyless.sqlite');
    expect((await f.pbx('backup', keyless)).code).toBe(0);
    rmSync(`${keyless}.key`);
    const d = await f.pbx('restore', keyless);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/password key is missing/);
    // Nothing was replaced by the refused restores.
    expect((await f.json<Array<{ tel: string }>>('ext', 'list')).map((x) => x.tel)).toEqual([
      '201',
    ]);
  });
});
