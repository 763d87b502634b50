import { ConflictError, StoreError, type CdrWrite, type Store } from '../src';
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
