import { ConflictError, StoreError, type CallRecord, type CdrWrite, type Store } from '../src';
import * as groupedWrites from '../src/repos/cdr-grouped-writes';
import { openTempStore } from './helpers';

/** The record without its row id, to compare rows written two ways. */
const sansId = <T extends { id: number }>(r: T | undefined): Omit<T, 'id'> | undefined => {
  if (!r) return undefined;
  const { id: _id, ...rest } = r;
  return rest;
};

describe('CdrRepo.writeMany', () => {
  let store: Store;
  let done: () => Promise<void>;
  const now = 1_700_000_000_000;

  beforeEach(async () => {
    ({ store, done } = await openTempStore({ clock: () => now }));
  });
  afterEach(() => done());

  const open = (callRef: string, answerAt = now): CdrWrite => ({
    kind: 'open',
    record: {
      callRef,
      callerTel: '201',
      callerName: 'Alice',
      calleeTel: '202',
      dialled: '202',
      startAt: answerAt - 3_000,
      answerAt,
    },
  });
  const end = (callRef: string, answerAt: number | null = now, at = now + 10_000): CdrWrite => ({
    kind: 'end',
    record: {
      callRef,
      callerTel: '201',
      callerName: 'Alice',
      calleeTel: '202',
      dialled: '202',
      startAt: now - 3_000,
      answerAt,
      at,
      disposition: answerAt === null ? 'busy' : 'answered',
      hangupSide: 'caller',
      sipStatus: answerAt === null ? 486 : 200,
      note: 'n',
    },
  });

  it('writes the same rows as openConnected and record, one row per call', async () => {
    // Each shape: opened then ended in one group, opened only, ended without being opened.
    expect(
      await store.cdrs.writeMany([open('g-1'), end('g-1'), open('g-2'), end('g-3', null)]),
    ).toEqual([undefined, undefined, undefined, undefined]);
    // Ended in a later group: the open row is completed, not duplicated.
    expect(await store.cdrs.writeMany([end('g-2')])).toEqual([undefined]);
    const one = async (w: CdrWrite): Promise<void> => {
      if (w.kind === 'open') await store.cdrs.openConnected(w.record);
      else await store.cdrs.record(w.record);
    };
    for (const w of [open('s-1'), end('s-1'), open('s-2'), end('s-3', null), end('s-2')])
      await one(w);

    expect(await store.cdrs.count()).toBe(6);
    for (const [g, s] of [
      ['g-1', 's-1'],
      ['g-2', 's-2'],
      ['g-3', 's-3'],
    ] as const) {
      const grouped = sansId(await store.cdrs.findByCallRef(g));
      const single = sansId(await store.cdrs.findByCallRef(s));
      expect(grouped).toEqual({ ...single, callRef: g });
    }
    expect(await store.cdrs.findByCallRef('g-1')).toMatchObject({
      disposition: 'answered',
      durationMs: 10_000,
      note: 'n',
    });
    expect(await store.cdrs.findByCallRef('g-3')).toMatchObject({
      disposition: 'busy',
      answerAt: null,
    });
  });

  it('a call opened twice keeps one open row, which its end closes', async () => {
    expect(await store.cdrs.writeMany([open('t-1', now), open('t-1', now + 500)])).toEqual([
      undefined,
      undefined,
    ]);
    expect(await store.cdrs.count()).toBe(1);
    expect((await store.cdrs.findByCallRef('t-1'))?.answerAt).toBe(now + 500);
    await store.cdrs.writeMany([end('t-1', now + 500)]);
    expect(await store.cdrs.count()).toBe(1);
    expect(await store.cdrs.closeInterrupted(now + 60_000)).toBe(0);
  });

  it('a write that cannot be stored fails alone; the rest of the group is committed', async () => {
    const impossible: CdrWrite = {
      kind: 'end',
      record: { callRef: 'bad', callerTel: '201', dialled: '202', disposition: 'answered' },
    };
    // A CHECK the table enforces: an end before the start.
    const backwards: CdrWrite = {
      kind: 'end',
      record: {
        callRef: 'bad-2',
        callerTel: '201',
        dialled: '202',
        startAt: now,
        at: now - 1_000,
        disposition: 'busy',
      },
    };
    const errors = await store.cdrs.writeMany([open('ok-1'), impossible, backwards, end('ok-1')]);
    expect(errors[0]).toBeUndefined();
    expect(errors[1]).toBeInstanceOf(ConflictError);
    expect(errors[2]).toBeInstanceOf(StoreError);
    expect(String(errors[2])).toMatch(/CHECK constraint/);
    expect(errors[3]).toBeUndefined();
    expect(await store.cdrs.findByCallRef('ok-1')).toMatchObject({ disposition: 'answered' });
    expect(await store.cdrs.findByCallRef('bad')).toBeUndefined();
    expect(await store.cdrs.findByCallRef('bad-2')).toBeUndefined();
    expect(await store.cdrs.count()).toBe(1);
  });
});

/** A small seeded PRNG (mulberry32), so the mixes below are the same at every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('CdrRepo.writeMany in large batches', () => {
  const now = 1_700_000_000_000;
  let grouped: Store;
  let single: Store;
  let done: Array<() => Promise<void>>;

  beforeEach(async () => {
    const a = await openTempStore({ clock: () => now });
    const b = await openTempStore({ clock: () => now });
    grouped = a.store;
    single = b.store;
    done = [a.done, b.done];
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    for (const d of done) await d();
  });

  /** Every field an open writes set, so a column left out of the grouped statements shows. */
  const open = (callRef: string, n: number): CdrWrite => ({
    kind: 'open',
    record: {
      callRef,
      callerTel: `2${n % 100}`,
      callerName: n % 7 === 0 ? `Caller \ud800 ${n}` : `Caller ${n}`,
      calleeTel: n % 5 === 0 ? null : `3${n % 50}`,
      dialled: `3${n % 50}`,
      forwardedFrom: n % 3 === 0 ? `4${n % 10}` : null,
      forwardReason: n % 3 === 0 ? 'no-answer' : null,
      feature: n % 11 === 0 ? 'pickup' : null,
      note: n % 2 === 0 ? `open ${n}` : '',
      startAt: now + n * 10,
      answerAt: now + n * 10 + 2_000,
    },
  });
  /** Every field an end writes set (or left null), as `record` takes them. */
  const end = (callRef: string, n: number): CdrWrite => {
    const answered = n % 4 !== 0;
    return {
      kind: 'end',
      record: {
        callRef,
        callerTel: `2${n % 100}`,
        callerName: `Ender ${n}`,
        calleeTel: `3${n % 50}`,
        dialled: `3${n % 50}`,
        forwardedFrom: n % 6 === 0 ? `4${n % 10}` : null,
        forwardReason: n % 6 === 0 ? 'user-busy' : null,
        pickedUpFrom: n % 9 === 0 ? `5${n % 10}` : null,
        transferredBy: n % 13 === 0 ? `6${n % 10}` : null,
        feature: n % 17 === 0 ? 'park' : null,
        note: `end ${n}`,
        startAt: now + n * 10,
        answerAt: answered ? now + n * 10 + 1_000 : null,
        at: now + n * 10 + 5_000 + (n % 3),
        disposition: answered ? 'answered' : n % 8 === 0 ? 'no-answer' : 'busy',
        sipStatus: answered ? 200 : 486,
        hangupSide: n % 2 === 0 ? 'caller' : 'callee',
        trunk: n % 10 === 0 ? 'itsp' : null,
        account: n % 10 === 0 ? `2${n % 100}` : null,
        charge: n % 10 === 0 ? n * 1_000 : null,
      },
    };
  };

  /** Writes `w` the one-by-one way; the error that kept it out, or undefined. */
  const one = async (store: Store, w: CdrWrite): Promise<unknown> => {
    try {
      if (w.kind === 'open') await store.cdrs.openConnected(w.record);
      else await store.cdrs.record(w.record);
      return undefined;
    } catch (err) {
      return err;
    }
  };

  /** The same rows before the batch in both stores: open calls, and calls with two open rows. */
  const arrange = async (): Promise<void> => {
    for (const store of [grouped, single]) {
      for (let i = 0; i < 100; i++)
        await store.cdrs.openConnected(open(`p-${i}`, i).record as never);
      for (let i = 0; i < 20; i++) {
        // `start` opens a row unconditionally: two open rows for one call. Their columns an
        // open does not write are set, to be kept by an open and overwritten by an end.
        for (let k = 0; k < 2; k++) {
          const { id } = await store.cdrs.start({
            callRef: `m-${i}`,
            callerTel: '201',
            dialled: `2${k}`,
          });
          await store.cdrs.update(id, {
            pickedUpFrom: `5${k}`,
            transferredBy: `6${k}`,
            trunk: 'old',
            account: `a${i}`,
            charge: i,
          });
        }
      }
      await store.cdrs.writeMany([end('x-0', 1)]);
    }
  };

  /** 2,000 writes: new calls opened, ended in the batch or not, calls of `arrange` ended,
   * opened again, ended twice, ended without an open row, opened again after their end. */
  const mix = (count: number, seed: number): CdrWrite[] => {
    const rnd = prng(seed);
    const writes: CdrWrite[] = [];
    const openCalls: string[] = Array.from({ length: 100 }, (_, i) => `p-${i}`);
    for (let i = 0; i < 20; i++) openCalls.push(`m-${i}`);
    const ended: string[] = ['x-0'];
    let next = 0;
    const pick = (list: string[], remove: boolean): string => {
      const at = Math.floor(rnd() * list.length);
      const ref = list[at]!;
      if (remove) list.splice(at, 1);
      return ref;
    };
    while (writes.length < count) {
      const r = rnd();
      const n = writes.length;
      if (r < 0.35 || openCalls.length === 0) {
        const ref = `c-${next++}`;
        writes.push(open(ref, n));
        openCalls.push(ref);
      } else if (r < 0.7) {
        const ref = pick(openCalls, true);
        writes.push(end(ref, n));
        ended.push(ref);
      } else if (r < 0.8) {
        writes.push(open(pick(openCalls, false), n));
      } else if (r < 0.88) {
        writes.push(end(`u-${next++}`, n));
      } else if (r < 0.94) {
        // A call ended before gets a new record (opened again, or ended again).
        const ref = pick(ended, false);
        if (rnd() < 0.5) {
          writes.push(open(ref, n));
          if (!openCalls.includes(ref)) openCalls.push(ref);
        } else writes.push(end(ref, n));
      } else {
        const ref = `c-${next++}`;
        writes.push(open(ref, n), end(ref, n + 1));
        ended.push(ref);
      }
    }
    return writes;
  };

  const rows = async (store: Store) => store.cdrs.list({ limit: 1_000_000 });

  it('2,000 mixed writes leave the rows, ids included, the one-by-one path leaves', async () => {
    await arrange();
    const writeChunks = jest.spyOn(groupedWrites, 'writeChunks');
    const writes = mix(2_000, 42);
    const batches = [writes.slice(0, 1_300), writes.slice(1_300)];
    for (const batch of batches) {
      expect(await grouped.cdrs.writeMany(batch)).toEqual(batch.map(() => undefined));
      for (const w of batch) expect(await one(single, w)).toBeUndefined();
    }
    // The grouped statements wrote them (no batch went the one-by-one way).
    expect(writeChunks).toHaveBeenCalledTimes(2);
    for (const r of writeChunks.mock.results) await expect(r.value).resolves.toBeUndefined();

    const want = await rows(single);
    expect(want.length).toBeGreaterThan(1_000);
    expect(await rows(grouped)).toEqual(want);
    // The mix has what makes the order matter: a call with several records (ended, then opened
    // or ended again), a call with two open rows whose older one was written after the newer
    // one closed, batches that took more than the chunks their size needs.
    const perCall = new Map<string, CallRecord[]>();
    for (const r of want) perCall.set(r.callRef, [...(perCall.get(r.callRef) ?? []), r]);
    const several = [...perCall.entries()].filter(
      ([ref, rs]) => !ref.startsWith('m-') && rs.length > 1,
    );
    expect(several.length).toBeGreaterThan(10);
    // `arrange` dialled 20 and 21; the batch's writes dial 3x.
    const olderOpenWritten = [...perCall.entries()].filter(
      ([ref, rs]) => ref.startsWith('m-') && rs[0]!.dialled.startsWith('3'),
    );
    expect(olderOpenWritten.length).toBeGreaterThan(0);
    expect(writeChunks.mock.calls[0]![1].chunks.length).toBeGreaterThan(3);
  });

  it('a bad write in a large batch fails alone: the batch is written one by one', async () => {
    await arrange();
    const writeChunks = jest.spyOn(groupedWrites, 'writeChunks');
    const writes = mix(1_000, 7);
    // An end before its start (a CHECK), and an open with a reason the table refuses whose end
    // follows: without its open, that end inserts its own row where it stands.
    const backwards = end('bad-1', 3);
    if (backwards.kind === 'end') backwards.record.at = now - 1;
    const badOpen = open('bad-2', 4);
    if (badOpen.kind === 'open') badOpen.record.forwardReason = 'nonsense' as never;
    writes.splice(300, 0, backwards);
    writes.splice(600, 0, badOpen);
    writes.splice(800, 0, end('bad-2', 5));

    const errors = await grouped.cdrs.writeMany(writes);
    const want = [];
    for (const w of writes) want.push(await one(single, w));
    expect(writeChunks).toHaveBeenCalledTimes(1);
    await expect(writeChunks.mock.results[0]!.value).rejects.toThrow(/CHECK constraint/);

    expect(errors.flatMap((e, i) => (e === undefined ? [] : [i]))).toEqual([300, 600]);
    expect(errors[300]).toBeInstanceOf(StoreError);
    expect(String(errors[600])).toMatch(/CHECK constraint/);
    expect(want.flatMap((e, i) => (e === undefined ? [] : [i]))).toEqual([300, 600]);
    expect(await rows(grouped)).toEqual(await rows(single));
    expect(await grouped.cdrs.findByCallRef('bad-1')).toBeUndefined();
    expect(await grouped.cdrs.findByCallRef('bad-2')).toMatchObject({ note: 'end 5' });
  });

  it('a number JSON cannot carry sends the batch the one-by-one way, with the same rows', async () => {
    const writeChunks = jest.spyOn(groupedWrites, 'writeChunks');
    const odd = end('inf-1', 8);
    if (odd.kind === 'end') odd.record.charge = Number.POSITIVE_INFINITY;
    const writes = [open('inf-0', 1), odd, end('inf-0', 2)];
    expect(await grouped.cdrs.writeMany(writes)).toEqual([undefined, undefined, undefined]);
    for (const w of writes) expect(await one(single, w)).toBeUndefined();
    expect(writeChunks).not.toHaveBeenCalled();
    expect(await rows(grouped)).toEqual(await rows(single));
    expect((await grouped.cdrs.findByCallRef('inf-1'))?.charge).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('planChunks', () => {
  const w = (callRef: string, open: boolean): groupedWrites.GroupedWrite => ({
    callRef,
    open,
    columns: Object.fromEntries(
      groupedWrites.WRITE_COLUMNS.slice(0, open ? 10 : undefined).map((c) => [c, '1']),
    ),
  });
  const chunksOf = (writes: Array<groupedWrites.GroupedWrite | undefined>): number[][] =>
    groupedWrites.planChunks(writes)!.chunks;

  it('opens of new calls and ends of older ones: one chunk per 512 writes', () => {
    const writes = Array.from({ length: 1_200 }, (_, i) => w(`c-${i}`, i % 2 === 0));
    expect(chunksOf(writes).map((c) => c.length)).toEqual([512, 512, 176]);
  });

  it('a call opened and ended in the batch: the end in the next chunk', () => {
    const writes: groupedWrites.GroupedWrite[] = [];
    for (let i = 0; i < 300; i++) writes.push(w(`c-${i}`, true), w(`c-${i}`, false));
    const chunks = chunksOf(writes);
    expect(chunks.map((c) => c.length)).toEqual([300, 300]);
    expect(chunks[0]!.every((i) => writes[i]!.open)).toBe(true);
  });

  it('a write that may insert never goes before an earlier one that may', () => {
    // b ended, then a new call c, then b again (may insert: after the end), then d.
    const writes = [
      w('a', true),
      w('b', false),
      w('c', true),
      w('b', true),
      w('a', false),
      w('d', true),
      undefined,
    ];
    expect(chunksOf(writes)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
  });

  it('leaves out a batch whose values JSON would change, or not the columns it knows', () => {
    const b = w('b', false);
    expect(groupedWrites.planChunks([w('a', true), b])).toBeDefined();
    const withColumns = (columns: object) => [
      w('a', true),
      { ...b, columns: { ...b.columns, ...columns } },
    ];
    expect(groupedWrites.planChunks(withColumns({ charge: NaN }))).toBeUndefined();
    expect(groupedWrites.planChunks(withColumns({ charge: undefined }))).toBeUndefined();
    expect(groupedWrites.planChunks(withColumns({ end_reason: 'restart' }))).toBeUndefined();
    expect(groupedWrites.planChunks([w('a\ud800', true)])).toBeUndefined();
    // A lone surrogate elsewhere is stored as binding stores it (U+FFFD), without a detour.
    const name = groupedWrites.planChunks([{ ...b, columns: { ...b.columns, note: 'x\udc00' } }]);
    expect(name?.rows[0]).toContain('x\ufffd');
  });
});
