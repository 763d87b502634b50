import { join } from 'node:path';
import { Database, StoreError } from '../src';
import { tempDir } from './helpers';

describe('Database', () => {
  let dir: string;
  let cleanup: () => void;
  let db: Database;

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    db = await Database.open(join(dir, 'sub', 'x.sqlite'), { busyTimeoutMs: 1234 });
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  });

  afterEach(async () => {
    await db.close();
    cleanup();
  });

  it('opens in WAL mode with foreign keys on and the busy timeout set', async () => {
    expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
    expect(await db.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });
    expect(await db.get('PRAGMA busy_timeout')).toEqual({ timeout: 1234 });
  });

  it('runs, gets and lists with positional and named parameters', async () => {
    const r = await db.run('INSERT INTO t (v) VALUES (?)', ['a']);
    expect(r).toEqual({ changes: 1, lastId: 1 });
    await db.run('INSERT INTO t (v) VALUES ($v)', { $v: 'b' });
    expect(await db.get('SELECT v FROM t WHERE id = ?', [2])).toEqual({ v: 'b' });
    expect(await db.get('SELECT v FROM t WHERE id = 99')).toBeUndefined();
    expect(await db.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('wraps SQLite errors in StoreError with the code', async () => {
    const err = await db.run('INSERT INTO t (v) VALUES (NULL)').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('SQLITE_CONSTRAINT');
    expect((err as StoreError).message).toMatch(/NOT NULL/);
  });

  it('commits a transaction and rolls it back when the function throws', async () => {
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (v) VALUES (?)', ['kept']);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (v) VALUES (?)', ['lost']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'kept' }]);
  });

  it('serialises concurrent transactions so they do not interleave', async () => {
    const order: string[] = [];
    const slow = (name: string) =>
      db.transaction(async (tx) => {
        order.push(`${name}:begin`);
        await tx.run('INSERT INTO t (v) VALUES (?)', [name]);
        await new Promise((r) => setTimeout(r, 20));
        await tx.run('INSERT INTO t (v) VALUES (?)', [name]);
        order.push(`${name}:end`);
      });
    await Promise.all([slow('a'), slow('b'), slow('c')]);
    expect(order).toEqual(['a:begin', 'a:end', 'b:begin', 'b:end', 'c:begin', 'c:end']);
    const rows = await db.all<{ v: string }>('SELECT v FROM t ORDER BY id');
    expect(rows.map((r) => r.v).join('')).toBe('aabbcc');
  });

  it('keeps a plain write issued during a transaction out of it (it survives a rollback)', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let begun: () => void = () => undefined;
    const inside = new Promise<void>((r) => (begun = r));
    const tx = db.transaction(async (q) => {
      await q.run('INSERT INTO t (v) VALUES (?)', ['in-tx']);
      begun();
      await gate;
      throw new Error('rollback');
    });
    // Once the transaction has begun (and written), write outside it.
    await inside;
    const outside = db.run('INSERT INTO t (v) VALUES (?)', ['outside']);
    release();
    await expect(tx).rejects.toThrow('rollback');
    await outside;
    expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'outside' }]);
  });

  it('refuses use of a transaction handle after the transaction', async () => {
    let saved: Parameters<Parameters<Database['transaction']>[0]>[0] | undefined;
    await db.transaction(async (tx) => {
      saved = tx;
    });
    await expect(saved!.run('INSERT INTO t (v) VALUES (?)', ['x'])).rejects.toThrow(
      /after the transaction/,
    );
  });

  it('refuses statements after close', async () => {
    const other = await Database.open(join(dir, 'y.sqlite'));
    await other.close();
    await expect(other.get('SELECT 1')).rejects.toThrow(/closed/);
    await other.close();
  });

  it('sees the writes of a second connection to the same file', async () => {
    const second = await Database.open(db.path);
    try {
      await second.run('INSERT INTO t (v) VALUES (?)', ['from-second']);
      expect(await db.get('SELECT v FROM t')).toEqual({ v: 'from-second' });
    } finally {
      await second.close();
    }
  });
});
