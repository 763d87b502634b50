import { Database, Store, type RegistrationInput } from '../src';
import { openTempStore } from './helpers';

const realm = 'pbx.local';

/** Grouped registration upserts: results, per-row failures, whole-group failures, restarts. */
describe('RegistrationRepo grouped upserts', () => {
  let store: Store;
  let path: string;
  let done: () => Promise<void>;
  const now = 1_000_000;

  const reg = (i: number, over: Partial<RegistrationInput> = {}): RegistrationInput => ({
    tel: String(201 + (i % 3)),
    contact: `sip:${i}@127.0.0.10:${5000 + i}`,
    sourceIp: '127.0.0.10',
    sourcePort: 5000 + i,
    protocol: 'udp',
    userAgent: `Phone/${i}`,
    expiresAt: now + 600_000,
    callId: `call-${i}`,
    cseq: i + 1,
    extra: { n: i },
    ...over,
  });

  beforeEach(async () => {
    ({ store, path, done } = await openTempStore({ clock: () => now }));
    for (const tel of ['201', '202', '203'])
      await store.stations.create({ tel, password: `pw${tel}` }, { realm });
  });
  afterEach(() => done());

  it('writes a burst in one group and resolves each with its own committed row', async () => {
    // 150 rows: one statement, its rows as one JSON parameter.
    const inputs = Array.from({ length: 150 }, (_, i) => reg(i));
    const got = await Promise.all(inputs.map((r) => store.registrations.upsert(r)));
    expect(new Set(got.map((r) => r.id)).size).toBe(150);
    got.forEach((r, i) =>
      expect(r).toEqual({
        ...inputs[i],
        id: r.id,
        registeredAt: now,
        updatedAt: now,
      }),
    );
    // Committed when resolved: another connection sees every row with the ids returned.
    const other = await Database.open(path);
    try {
      const rows = await other.all<{ id: number; contact: string; cseq: number }>(
        'SELECT id, contact, cseq FROM registrations ORDER BY id',
      );
      expect(rows).toHaveLength(150);
      const byContact = new Map(rows.map((r) => [r.contact, r]));
      got.forEach((r) =>
        expect(byContact.get(r.contact)).toEqual({
          id: r.id,
          contact: r.contact,
          cseq: r.cseq,
        }),
      );
    } finally {
      await other.close();
    }
  });

  it('refreshes keep the id and first registration time, also twice in one group', async () => {
    const first = await store.registrations.upsert(reg(1));
    const [a, b, c] = await Promise.all([
      store.registrations.upsert(reg(1, { cseq: 10, sourcePort: 6001 })),
      store.registrations.upsert(reg(2)),
      store.registrations.upsert(reg(1, { cseq: 11, sourcePort: 6002 })),
    ]);
    expect([a.id, c.id]).toEqual([first.id, first.id]);
    expect(b.id).not.toBe(first.id);
    expect([a.registeredAt, c.registeredAt]).toEqual([now, now]);
    const stored = await store.registrations.get('202', reg(1).contact);
    expect(stored).toMatchObject({ id: first.id, cseq: 11, sourcePort: 6002 });
  });

  it('rejects only the rows that fail; the rest of their statement is committed', async () => {
    // 70 rows in one statement; rows 5 and 66 name no station.
    const inputs = Array.from({ length: 70 }, (_, i) =>
      i === 5 || i === 66 ? reg(i, { tel: '999' }) : reg(i),
    );
    const settled = await Promise.allSettled(inputs.map((r) => store.registrations.upsert(r)));
    const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : []));
    expect(failed).toEqual([5, 66]);
    for (const i of failed)
      expect((settled[i] as PromiseRejectedResult).reason).toMatchObject({
        message: expect.stringMatching(/FOREIGN KEY/) as unknown,
      });
    const contacts = new Set((await store.registrations.list()).map((r) => r.contact));
    expect(contacts.size).toBe(68);
    inputs.forEach((r, i) => expect(contacts.has(r.contact)).toBe(!failed.includes(i)));
  });

  it('rejects every upsert of a group that cannot take the write lock, and stores none', async () => {
    await store.close();
    store = await Store.open({ path, clock: () => now, busyTimeoutMs: 0 });
    const locker = await Database.open(path, { busyTimeoutMs: 0 });
    try {
      await locker.exec('BEGIN IMMEDIATE');
      const settled = await Promise.allSettled(
        [0, 1, 2].map((i) => store.registrations.upsert(reg(i))),
      );
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect((settled[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' });
      // Alone (no BEGIN): the statement itself cannot write.
      await expect(store.registrations.upsert(reg(3))).rejects.toMatchObject({
        code: 'SQLITE_BUSY',
      });
      await locker.exec('ROLLBACK');
    } finally {
      await locker.close();
    }
    expect(await store.registrations.list()).toEqual([]);
    // The lock gone, the next group is written.
    await Promise.all([0, 1].map((i) => store.registrations.upsert(reg(i))));
    expect(await store.registrations.list()).toHaveLength(2);
  });

  it('a restart restores every acknowledged binding, exactly as acknowledged', async () => {
    const acknowledged = await Promise.all(
      Array.from({ length: 40 }, (_, i) => store.registrations.upsert(reg(i))),
    );
    // Refreshed in a second group while the first restart-relevant state is in place.
    acknowledged.push(
      ...(await Promise.all([0, 1].map((i) => store.registrations.upsert(reg(i, { cseq: 99 }))))),
    );
    await store.close();
    store = await Store.open({ path, clock: () => now });
    const restored = new Map((await store.registrations.list()).map((r) => [r.contact, r]));
    expect(restored.size).toBe(40);
    // The latest acknowledgement of each contact is what was restored.
    const latest = new Map(acknowledged.map((r) => [r.contact, r]));
    for (const [contact, r] of latest) expect(restored.get(contact)).toEqual(r);
  });

  it('upsertBinding writes a kept binding as it is and resolves with what the database decided', async () => {
    const first = await store.registrations.upsert(reg(0));
    // A binding as the registrar keeps it: its own id and times are not written.
    const binding = { ...first, id: 0, registeredAt: 1, updatedAt: 2, cseq: 9, extra: { n: 9 } };
    const inGroup = Array.from({ length: 5 }, (_, i) => reg(i + 1));
    const [got] = await Promise.all([
      store.registrations.upsertBinding(binding),
      ...inGroup.map((r) => store.registrations.upsert(r)),
    ]);
    expect(got).toEqual({ id: first.id, registeredAt: now, updatedAt: now });
    expect(await store.registrations.get(first.tel, first.contact)).toEqual({
      ...first,
      cseq: 9,
      extra: { n: 9 },
    });
    const fresh = await store.registrations.upsertBinding({
      ...binding,
      contact: 'sip:new@127.0.0.10',
    });
    expect(fresh.id).not.toBe(first.id);
    expect((await store.registrations.get(first.tel, 'sip:new@127.0.0.10'))?.id).toBe(fresh.id);
  });

  it('stores each value with its column type, also past one statement of rows', async () => {
    // 600 rows: statements of 512 and 88.
    const inputs = Array.from({ length: 600 }, (_, i) =>
      reg(i, { userAgent: `Phone "${i}" ü`, extra: { n: i, s: 'a"b\\c', big: 2 ** 40 } }),
    );
    await Promise.all(inputs.map((r) => store.registrations.upsert(r)));
    const other = await Database.open(path);
    try {
      const types = await other.all(
        `SELECT DISTINCT typeof(tel) t, typeof(source_port) p, typeof(expires_at) e, typeof(cseq) c,
           typeof(extra) x, typeof(registered_at) r, typeof(updated_at) u FROM registrations`,
      );
      expect(types).toEqual([
        {
          t: 'text',
          p: 'integer',
          e: 'integer',
          c: 'integer',
          x: 'text',
          r: 'integer',
          u: 'integer',
        },
      ]);
      const rows = await other.all<{ contact: string; user_agent: string; extra: string }>(
        'SELECT contact, user_agent, extra FROM registrations',
      );
      expect(rows).toHaveLength(600);
      const byContact = new Map(inputs.map((r) => [r.contact, r]));
      for (const row of rows) {
        const r = byContact.get(row.contact)!;
        expect(row.user_agent).toBe(r.userAgent);
        expect(row.extra).toBe(JSON.stringify(r.extra));
      }
    } finally {
      await other.close();
    }
  });
});
