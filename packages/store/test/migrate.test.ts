import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  appliedMigrations,
  Database,
  findMigrationsDir,
  listMigrations,
  migrate,
  MigrationError,
  Store,
} from '../src';
import { tempDir } from './helpers';

const REPO_MIGRATIONS = resolve(__dirname, '../../../migrations');

describe('findMigrationsDir', () => {
  it('finds the repository migrations folder from src and from dist', () => {
    expect(findMigrationsDir(resolve(__dirname, '../src'))).toBe(REPO_MIGRATIONS);
    expect(findMigrationsDir(resolve(__dirname, '../dist/repos'))).toBe(REPO_MIGRATIONS);
    expect(findMigrationsDir()).toBe(REPO_MIGRATIONS);
  });
});

describe('listMigrations', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('lists the repository files in order starting at 0001_init', () => {
    const files = listMigrations(REPO_MIGRATIONS);
    expect(files[0]).toMatchObject({ version: 1, name: 'init' });
    expect(files[1]).toMatchObject({ version: 2, name: 'station_forward' });
    expect(files.map((f) => f.version)).toEqual(
      [...files.map((f) => f.version)].sort((a, b) => a - b),
    );
  });

  it('rejects badly named and duplicate files', () => {
    writeFileSync(join(t.dir, '1_init.sql'), '');
    expect(() => listMigrations(t.dir)).toThrow(/NNNN_name\.sql/);
    const d2 = join(t.dir, 'dup');
    mkdirSync(d2);
    writeFileSync(join(d2, '0001_a.sql'), '');
    writeFileSync(join(d2, '0001_b.sql'), '');
    expect(() => listMigrations(d2)).toThrow(/two migrations have version 1/);
  });
});

describe('migrate', () => {
  let t: ReturnType<typeof tempDir>;
  let db: Database;
  beforeEach(async () => {
    t = tempDir();
    db = await Database.open(join(t.dir, 'pbx.sqlite'));
  });
  afterEach(async () => {
    await db.close();
    t.cleanup();
  });

  it('applies every migration once and records it; a second run does nothing', async () => {
    const first = await migrate(db);
    const all = listMigrations(REPO_MIGRATIONS);
    expect(first.applied.map((m) => m.version)).toEqual(all.map((m) => m.version));
    expect(first.version).toBe(all.at(-1)?.version);
    const second = await migrate(db);
    expect(second.applied).toEqual([]);
    expect(second.version).toBe(first.version);
    const rows = await appliedMigrations(db);
    expect(rows.map((r) => [r.version, r.name])).toEqual(all.map((m) => [m.version, m.name]));
    expect(rows.every((r) => !Number.isNaN(Date.parse(r.appliedAt)))).toBe(true);
  });

  it('stops at upTo', async () => {
    const r = await migrate(db, { upTo: 1 });
    expect(r.version).toBe(1);
    const cols = await db.all<{ name: string }>('PRAGMA table_info(stations)');
    expect(cols.map((c) => c.name)).not.toContain('dnd');
  });

  it('applies a failing migration not at all and records nothing for it', async () => {
    const dir = join(t.dir, 'm');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(
      join(dir, '0002_b.sql'),
      'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);',
    );
    const err = await migrate(db, { dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toMatch(/migration 2_b failed: .*nowhere/);
    expect((await appliedMigrations(db)).map((r) => r.version)).toEqual([1]);
    expect(await db.get("SELECT name FROM sqlite_master WHERE name = 'b'")).toBeUndefined();
  });

  it('refuses a database newer than the program', async () => {
    const dir = join(t.dir, 'm');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (x INTEGER);');
    await migrate(db, { dir });
    await db.run("INSERT INTO schema_migrations VALUES (7, 'future', '2030-01-01T00:00:00Z')");
    await expect(migrate(db, { dir })).rejects.toThrow(
      /version 7 is newer than this program knows \(1\)/,
    );
  });

  it('is safe when two connections migrate the same file at once', async () => {
    const other = await Database.open(db.path);
    try {
      const [a, b] = await Promise.all([migrate(db), migrate(other)]);
      const total = listMigrations(REPO_MIGRATIONS).length;
      expect(a.applied.length + b.applied.length).toBe(total);
      expect((await appliedMigrations(db)).length).toBe(total);
    } finally {
      await other.close();
    }
  });
});

describe('upgrade in place', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('upgrades a database made by migration 1 with nothing lost', async () => {
    const path = join(t.dir, 'old.sqlite');
    // A database as version 1 of the program left it.
    const old = await Store.open({ path, upTo: 1 });
    expect(old.migration.version).toBe(1);
    await old.db.run(
      `INSERT INTO stations (tel, user_id, ha1, ha1_realm, password_enc, name, tone_source, call_waiting,
         forward_unreachable, dtmf_type, insert_trunk_port, insert_trunk_type, nat_check, use_whitelist,
         pickup_group, created_at, updated_at)
       VALUES ('201', 'u201', '0123456789abcdef0123456789abcdef', 'pbx.local', 'v1:x', 'Reception', 'phone', 1,
         NULL, 'info', '802', 'incoming', 'ip-port', 0, 3, 1000, 2000)`,
    );
    await old.db.run(
      `INSERT INTO stations (tel, user_id, ha1, ha1_realm, password_enc, forward_unreachable, created_at, updated_at)
       VALUES ('202', '202', 'fedcba9876543210fedcba9876543210', 'pbx.local', 'v1:y', '201', 1000, 1000)`,
    );
    await old.registrations.upsert({
      tel: '201',
      contact: 'sip:201@127.0.0.5:5062',
      sourceIp: '127.0.0.5',
      sourcePort: 5062,
      protocol: 'udp',
      userAgent: 'Old Phone 1.0',
      expiresAt: 9_999_999_999_999,
      callId: 'abc',
      cseq: 7,
    });
    await old.whitelist.add('192.168.1.255', 'office');
    await old.accessLog.add({
      at: 5000,
      ip: '127.0.0.9',
      callerId: '299',
      reason: 'SIP REGISTER IP/TELNO Invalid',
    });
    await old.blocks.block({
      ip: '127.0.0.9',
      blockedUntil: 9_999_999_999_999,
      reason: 'retry limit',
      failures: 3,
    });
    await old.options.set('sip.expireTime', 300);
    await old.close();

    // Keep a copy of the old file and upgrade the copy, as an installer would.
    const copy = join(t.dir, 'copy.sqlite');
    copyFileSync(path, copy);
    copyFileSync(`${path}.key`, `${copy}.key`);
    const store = await Store.open({ path: copy });
    try {
      const later = listMigrations(REPO_MIGRATIONS).filter((m) => m.version > 1);
      expect(store.migration.applied.map((m) => m.version)).toEqual(later.map((m) => m.version));
      const s201 = await store.stations.get('201');
      expect(s201).toEqual({
        tel: '201',
        userId: 'u201',
        name: 'Reception',
        toneSource: 'phone',
        callWaiting: true,
        forwardUnreachable: null,
        dtmfType: 'info',
        insertTrunkPort: '802',
        insertTrunkType: 'incoming',
        natCheck: 'ip-port',
        useWhitelist: false,
        pickupGroup: 3,
        forwardAll: null,
        forwardBusy: null,
        forwardNoAnswer: null,
        forwardBusyNoAnswer: null,
        forwardNoAnswerTimer: null,
        dnd: false,
        challengeInvites: false,
        srtp: 'policy',
        statusText: '',
        createdAt: 1000,
        updatedAt: 2000,
      });
      expect((await store.stations.get('202'))?.forwardUnreachable).toBe('201');
      expect(await store.stations.getCredentials('201', 'pbx.local')).toEqual({
        tel: '201',
        userId: 'u201',
        realm: 'pbx.local',
        ha1: '0123456789abcdef0123456789abcdef',
      });
      const regs = await store.registrations.list();
      expect(regs).toHaveLength(1);
      expect(regs[0]).toMatchObject({ tel: '201', userAgent: 'Old Phone 1.0', cseq: 7 });
      expect((await store.whitelist.list()).map((w) => [w.cidr, w.note])).toEqual([
        ['192.168.1.0/24', 'office'],
      ]);
      expect(await store.accessLog.list()).toMatchObject([{ at: 5000, callerId: '299' }]);
      expect(await store.blocks.get('127.0.0.9', 0)).toMatchObject({ failures: 3 });
      expect(await store.options.all()).toEqual({ 'sip.expireTime': 300 });
      // The new columns work on the upgraded rows.
      const updated = await store.stations.update(
        '201',
        { forwardAll: '202', dnd: true },
        { realm: 'pbx.local' },
      );
      expect(updated).toMatchObject({ forwardAll: '202', dnd: true, name: 'Reception' });
    } finally {
      await store.close();
    }
  });
});
