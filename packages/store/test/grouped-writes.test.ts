import { join } from 'node:path';
import { Database, StoreError } from '../src';
import { tempDir } from './helpers';

describe('Database: cached statements and grouped writes', () => {
  let dir: string;
  let cleanup: () => void;
  let db: Database;
  const file = (): string => join(dir, 'g.sqlite');

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    db = await Database.open(file());
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)');
  });

  afterEach(async () => {
    if (!db.isClosed) await db.close();
    cleanup();
  });

  it('runs the same statement many times, concurrently, with fresh parameters each time', async () => {
    const sql = 'INSERT INTO t (v) VALUES (?)';
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => db.run(sql, [`v${i}`])));
    expect(results.map((r) => r.changes)).toEqual(Array(50).fill(1));
    expect(new Set(results.map((r) => r.lastId)).size).toBe(50);
    const rows = await Promise.all(
      Array.from({ length: 50 }, (_, i) => db.all('SELECT v FROM t WHERE v = ?', [`v${i}`])),
    );
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 50 }, (_, i) => ({ v: `v${i}` })));
  });

  it('reports a statement that does not compile on every call, not once', async () => {
    for (let i = 0; i < 2; i++) {
      const err = await db.all('SELECT nope FROM t').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).message).toMatch(/no such column/);
    }
  });

  it('groups concurrent writes into one transaction and resolves each with its own rows', async () => {
    const sql = 'INSERT INTO t (v) VALUES (?) RETURNING id, v';
    const got = await Promise.all(
      ['a', 'b', 'c', 'd'].map((v) => db.allGrouped<{ id: number; v: string }>(sql, [v])),
    );
    expect(got.map((r) => r[0]?.v)).toEqual(['a', 'b', 'c', 'd']);
    expect(new Set(got.map((r) => r[0]?.id)).size).toBe(4);
    // Committed when resolved: another connection sees every row.
    const other = await Database.open(file());
    try {
      expect(await other.all('SELECT v FROM t ORDER BY v')).toEqual(
        ['a', 'b', 'c', 'd'].map((v) => ({ v })),
      );
    } finally {
      await other.close();
    }
  });

  it('rejects only the write that fails; the others of its group are committed', async () => {
    await db.run('INSERT INTO t (v) VALUES (?)', ['taken']);
    const sql = 'INSERT INTO t (v) VALUES (?) RETURNING v';
    const results = await Promise.allSettled(
      ['x', 'taken', 'y'].map((v) => db.allGrouped(sql, [v])),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const err = (results[1] as PromiseRejectedResult).reason as StoreError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.code).toBe('SQLITE_CONSTRAINT');
    expect(await db.all('SELECT v FROM t ORDER BY v')).toEqual(
      ['taken', 'x', 'y'].map((v) => ({ v })),
    );
  });

  it('rejects every write of a group that cannot be written (read-only)', async () => {
    await db.exec('PRAGMA query_only = 1');
    const results = await Promise.allSettled(
      ['p', 'q'].map((v) => db.allGrouped('INSERT INTO t (v) VALUES (?)', [v])),
    );
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await db.exec('PRAGMA query_only = 0');
    expect(await db.all('SELECT v FROM t')).toEqual([]);
  });

  it('forms the next group from writes made while one commits', async () => {
    const sql = 'INSERT INTO t (v) VALUES (?)';
    const first = db.allGrouped(sql, ['1']);
    await new Promise((r) => setImmediate(r));
    // The first group is committing now; these wait and go together next.
    const later = Promise.all([db.allGrouped(sql, ['2']), db.allGrouped(sql, ['3'])]);
    await Promise.all([first, later]);
    expect(await db.all('SELECT v FROM t ORDER BY v')).toEqual(['1', '2', '3'].map((v) => ({ v })));
  });

  it('closes with cached statements prepared', async () => {
    await db.run('INSERT INTO t (v) VALUES (?)', ['z']);
    await db.all('SELECT * FROM t');
    await db.close();
    expect(db.isClosed).toBe(true);
  });
});
