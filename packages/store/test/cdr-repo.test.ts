import { CDR_CSV_COLUMNS, ConflictError, csvLine, NotFoundError, type Store } from '../src';
import { openTempStore } from './helpers';

/** Splits RFC 4180 text into records of fields (handles quoted commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || record.length > 0) throw new Error('CSV does not end with CRLF');
  return records;
}

describe('CdrRepo', () => {
  let store: Store;
  let done: () => Promise<void>;
  let now = 1_700_000_000_000;

  beforeEach(async () => {
    now = 1_700_000_000_000;
    ({ store, done } = await openTempStore({ clock: () => now }));
  });
  afterEach(() => done());

  it('a connected call written open is completed by its end record (one row)', async () => {
    await store.cdrs.openConnected({
      callRef: 'open-1',
      callerTel: '201',
      dialled: '202',
      calleeTel: '202',
      startAt: now - 4_000,
      answerAt: now,
    });
    expect((await store.cdrs.findByCallRef('open-1'))?.disposition).toBeNull();
    now += 10_000;
    const done = await store.cdrs.record({
      callRef: 'open-1',
      callerTel: '201',
      dialled: '202',
      calleeTel: '202',
      startAt: now - 14_000,
      answerAt: now - 10_000,
      disposition: 'answered',
      hangupSide: 'caller',
      sipStatus: 200,
    });
    expect(await store.cdrs.count()).toBe(1);
    expect(done).toMatchObject({ disposition: 'answered', durationMs: 10_000, endReason: null });
  });

  it('closeInterrupted ends records left open by a crash as ended by the restart', async () => {
    await store.cdrs.openConnected({
      callRef: 'cut-1',
      callerTel: '201',
      dialled: '202',
      calleeTel: '202',
      answerAt: now,
    });
    await store.cdrs.record({
      callRef: 'done-1',
      callerTel: '203',
      dialled: '204',
      disposition: 'busy',
      sipStatus: 486,
    });
    now += 60_000;
    expect(await store.cdrs.closeInterrupted(now)).toBe(1);
    expect(await store.cdrs.findByCallRef('cut-1')).toMatchObject({
      disposition: 'answered',
      endAt: now,
      durationMs: 60_000,
      hangupSide: 'system',
      endReason: 'restart',
      note: 'ended by PBX restart',
      sipStatus: 200,
    });
    expect((await store.cdrs.findByCallRef('done-1'))?.endReason).toBeNull();
    expect(await store.cdrs.closeInterrupted(now)).toBe(0);
  });

  it('records an attempt, its answer and its end; duration is talk time', async () => {
    const a = await store.cdrs.start({
      callRef: 'c1',
      callerTel: '201',
      callerName: 'Alice',
      calleeTel: '202',
      dialled: '202',
    });
    expect(a).toEqual({
      id: a.id,
      callRef: 'c1',
      callerTel: '201',
      callerName: 'Alice',
      calleeTel: '202',
      dialled: '202',
      forwardedFrom: null,
      forwardReason: null,
      pickedUpFrom: null,
      transferredBy: null,
      feature: null,
      startAt: now,
      answerAt: null,
      endAt: null,
      disposition: null,
      sipStatus: null,
      hangupSide: null,
      durationMs: null,
      note: '',
      endReason: null,
      trunk: null,
      account: null,
      charge: null,
    });
    now += 3_000;
    const b = await store.cdrs.answer(a.id);
    expect(b).toMatchObject({ answerAt: now, durationMs: null, disposition: null });
    // A repeated 200 keeps the first answer time.
    now += 100;
    expect((await store.cdrs.answer(a.id)).answerAt).toBe(b.answerAt);
    now += 61_900;
    const c = await store.cdrs.end(a.id, {
      disposition: 'answered',
      sipStatus: 200,
      hangupSide: 'callee',
    });
    expect(c).toMatchObject({
      endAt: now,
      disposition: 'answered',
      sipStatus: 200,
      hangupSide: 'callee',
      durationMs: 62_000,
    });
    // A late end (BYE after CANCEL, say) changes nothing.
    now += 5_000;
    expect(await store.cdrs.end(a.id, { disposition: 'failed', sipStatus: 500 })).toEqual(c);
    expect(await store.cdrs.get(a.id)).toEqual(c);
  });

  it('fills in forward, pickup and transfer markers on the way', async () => {
    const a = await store.cdrs.start({
      callRef: 'c2',
      callerTel: '201',
      calleeTel: '203',
      dialled: '202',
      forwardedFrom: '202',
      forwardReason: 'unconditional',
    });
    await store.cdrs.update(a.id, {
      forwardedFrom: '203',
      forwardReason: 'no-answer',
      calleeTel: '204',
    });
    const b = await store.cdrs.answer(a.id, { calleeTel: '205', pickedUpFrom: '204' });
    expect(b).toMatchObject({
      calleeTel: '205',
      pickedUpFrom: '204',
      forwardedFrom: '203',
      forwardReason: 'no-answer',
    });
    const c = await store.cdrs.end(a.id, {
      disposition: 'answered',
      sipStatus: 200,
      hangupSide: 'caller',
      transferredBy: '205',
    });
    expect(c.transferredBy).toBe('205');
    await expect(store.cdrs.update(9999, { note: 'x' })).rejects.toThrow(NotFoundError);
    await expect(store.cdrs.update(a.id, { forwardReason: 'sideways' as never })).rejects.toThrow(
      /CHECK constraint/,
    );
  });

  it('refuses impossible ends: answered without an answer, feature without a feature id', async () => {
    const a = await store.cdrs.start({
      callRef: 'c3',
      callerTel: '201',
      calleeTel: '202',
      dialled: '202',
    });
    await expect(store.cdrs.end(a.id, { disposition: 'answered' })).rejects.toThrow(ConflictError);
    await expect(store.cdrs.end(a.id, { disposition: 'feature' })).rejects.toThrow(
      /names no feature/,
    );
    expect((await store.cdrs.get(a.id))?.disposition).toBeNull();
    await expect(
      store.cdrs.end(a.id, { disposition: 'busy', sipStatus: 486, hangupSide: 'callee' }),
    ).resolves.toMatchObject({
      disposition: 'busy',
      durationMs: null,
    });
  });

  it('writes a finished feature-code attempt in one call', async () => {
    const r = await store.cdrs.record({
      callRef: 'c4',
      callerTel: '201',
      dialled: '601205',
      feature: 'forward.all',
      disposition: 'feature',
      sipStatus: 480,
      hangupSide: 'system',
      note: 'forward-set all 205',
    });
    expect(r).toMatchObject({
      startAt: now,
      endAt: now,
      feature: 'forward.all',
      disposition: 'feature',
      sipStatus: 480,
      calleeTel: null,
      note: 'forward-set all 205',
    });
    await expect(
      store.cdrs.record({ callRef: 'c5', callerTel: '201', dialled: '46', disposition: 'feature' }),
    ).rejects.toThrow(ConflictError);
    expect(await store.cdrs.count()).toBe(1);
    expect((await store.cdrs.findByCallRef('c4'))?.id).toBe(r.id);
    expect(await store.cdrs.findByCallRef('nope')).toBeUndefined();
  });

  describe('listing', () => {
    // 201 → 202 answered; 203 → 202 forwarded to 204 (from 202); 205 → 206 picked up by 201;
    // 206 → 207 transferred by 207 to 208; an hour later 207 → 208 busy.
    beforeEach(async () => {
      const t0 = now;
      await store.cdrs.record({
        callRef: 'a',
        callerTel: '201',
        calleeTel: '202',
        dialled: '202',
        startAt: t0,
        at: t0 + 10_000,
        answerAt: t0 + 1_000,
        disposition: 'answered',
        sipStatus: 200,
        hangupSide: 'caller',
      });
      await store.cdrs.record({
        callRef: 'b',
        callerTel: '203',
        calleeTel: '204',
        dialled: '202',
        forwardedFrom: '202',
        forwardReason: 'unconditional',
        startAt: t0 + 20_000,
        at: t0 + 21_000,
        disposition: 'no-answer',
        sipStatus: 480,
        hangupSide: 'system',
      });
      await store.cdrs.record({
        callRef: 'c',
        callerTel: '205',
        calleeTel: '201',
        dialled: '206',
        pickedUpFrom: '206',
        startAt: t0 + 30_000,
        at: t0 + 40_000,
        answerAt: t0 + 32_000,
        disposition: 'answered',
        sipStatus: 200,
        hangupSide: 'callee',
      });
      await store.cdrs.record({
        callRef: 'd',
        callerTel: '206',
        calleeTel: '208',
        dialled: '207',
        transferredBy: '207',
        startAt: t0 + 50_000,
        at: t0 + 60_000,
        answerAt: t0 + 51_000,
        disposition: 'answered',
        sipStatus: 200,
        hangupSide: 'caller',
      });
      await store.cdrs.record({
        callRef: 'e',
        callerTel: '207',
        calleeTel: '208',
        dialled: '208',
        startAt: t0 + 3_600_000,
        at: t0 + 3_601_000,
        disposition: 'busy',
        sipStatus: 486,
        hangupSide: 'callee',
      });
    });

    const refs = (rs: { callRef: string }[]): string[] => rs.map((r) => r.callRef);

    it('lists oldest first and keeps the newest `limit`', async () => {
      expect(refs(await store.cdrs.list())).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(refs(await store.cdrs.list({ limit: 2 }))).toEqual(['d', 'e']);
      expect(await store.cdrs.count()).toBe(5);
    });

    it('filters by time and by a number in any role', async () => {
      const t0 = now;
      expect(refs(await store.cdrs.list({ since: t0 + 20_000 }))).toEqual(['b', 'c', 'd', 'e']);
      expect(refs(await store.cdrs.list({ since: t0 + 20_000, until: t0 + 50_000 }))).toEqual([
        'b',
        'c',
      ]);
      expect(refs(await store.cdrs.list({ ext: '201' }))).toEqual(['a', 'c']);
      expect(refs(await store.cdrs.list({ ext: '202' }))).toEqual(['a', 'b']);
      expect(refs(await store.cdrs.list({ ext: '206' }))).toEqual(['c', 'd']);
      expect(refs(await store.cdrs.list({ ext: '207' }))).toEqual(['d', 'e']);
      expect(refs(await store.cdrs.list({ ext: '207', since: t0 + 3_000_000 }))).toEqual(['e']);
      expect(refs(await store.cdrs.list({ disposition: 'answered' }))).toEqual(['a', 'c', 'd']);
      expect(refs(await store.cdrs.list({ callRef: 'b' }))).toEqual(['b']);
      expect(await store.cdrs.count({ ext: '208' })).toBe(2);
      expect(await store.cdrs.list({ ext: '299' })).toEqual([]);
    });

    it('pages back with beforeId', async () => {
      const first = await store.cdrs.list({ limit: 2 });
      const second = await store.cdrs.list({ limit: 2, beforeId: first[0]!.id });
      const third = await store.cdrs.list({ limit: 2, beforeId: second[0]!.id });
      expect([refs(third), refs(second), refs(first)]).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    });

    it('iterates every match in pages, oldest first', async () => {
      const seen: string[] = [];
      for await (const r of store.cdrs.iterate({}, 2)) seen.push(r.callRef);
      expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
      const some: string[] = [];
      for await (const r of store.cdrs.iterate({ ext: '208' }, 1)) some.push(r.callRef);
      expect(some).toEqual(['d', 'e']);
    });

    it('uses the indexes for --since and --ext', async () => {
      const plan = await store.db.all<{ detail: string }>(
        `EXPLAIN QUERY PLAN SELECT * FROM cdrs WHERE start_at >= 1 AND
         (caller_tel = '1' OR callee_tel = '1' OR forwarded_from = '1' OR picked_up_from = '1' OR transferred_by = '1')`,
      );
      const text = plan.map((p) => p.detail).join('\n');
      expect(text).toMatch(/cdrs_caller_tel/);
      expect(text).toMatch(/cdrs_callee_tel/);
      expect(text).toMatch(/cdrs_forwarded_from/);
      expect(text).not.toMatch(/SCAN cdrs/);
      const since = await store.db.all<{ detail: string }>(
        'EXPLAIN QUERY PLAN SELECT * FROM cdrs WHERE start_at >= 1',
      );
      expect(since.map((p) => p.detail).join('\n')).toMatch(/cdrs_start_at/);
    });

    it('exports RFC 4180 CSV with a header row, oldest first', async () => {
      let out = '';
      const n = await store.cdrs.exportCsv({ ext: '201' }, (s) => (out += s));
      expect(n).toBe(2);
      const rows = parseCsv(out);
      expect(rows[0]).toEqual([...CDR_CSV_COLUMNS]);
      expect(rows).toHaveLength(3);
      const rec = Object.fromEntries(CDR_CSV_COLUMNS.map((c, i) => [c, rows[1]![i]]));
      expect(rec).toMatchObject({
        call_ref: 'a',
        start: '2023-11-14T22:13:20.000Z',
        answer: '2023-11-14T22:13:21.000Z',
        end: '2023-11-14T22:13:30.000Z',
        duration_s: '9',
        caller: '201',
        callee: '202',
        disposition: 'answered',
        sip_status: '200',
        hangup_side: 'caller',
        forwarded_from: '',
      });
      expect(rows[2]![CDR_CSV_COLUMNS.indexOf('picked_up_from')]).toBe('206');
    });
  });

  it('quotes fields with commas, quotes and line breaks (caller names come from SIP)', async () => {
    await store.cdrs.record({
      callRef: 'q',
      callerTel: '201',
      callerName: 'Smith, "Bob"\r\nSales',
      dialled: '202',
      disposition: 'rejected',
      note: 'plain',
    });
    let out = '';
    await store.cdrs.exportCsv({}, (s) => (out += s));
    expect(out).toContain(',"Smith, ""Bob""\r\nSales",');
    const rows = parseCsv(out);
    expect(rows[1]![CDR_CSV_COLUMNS.indexOf('caller_name')]).toBe('Smith, "Bob"\r\nSales');
    expect(rows[1]![CDR_CSV_COLUMNS.indexOf('note')]).toBe('plain');
    expect(csvLine(['a', '', 'b"c'])).toBe('a,,"b""c"\r\n');
  });

  it('exports in chunks, waiting on the writer', async () => {
    for (let i = 0; i < 1_203; i++) {
      await store.cdrs.record({
        callRef: `r${i}`,
        callerTel: '201',
        dialled: '202',
        disposition: 'cancelled',
        sipStatus: 487,
      });
    }
    const chunks: string[] = [];
    const n = await store.cdrs.exportCsv({}, async (s) => {
      await new Promise((resolve) => setImmediate(resolve));
      chunks.push(s);
    });
    expect(n).toBe(1_203);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.join('').split('\r\n')).toHaveLength(1_203 + 2);
  });

  it('prunes records started before a time and does not bump a change counter', async () => {
    const before = await store.changes.counters();
    await store.cdrs.record({
      callRef: 'old',
      callerTel: '201',
      dialled: '202',
      disposition: 'failed',
      startAt: now - 10,
      at: now - 5,
    });
    await store.cdrs.record({
      callRef: 'new',
      callerTel: '201',
      dialled: '202',
      disposition: 'failed',
    });
    expect(await store.cdrs.prune(now)).toBe(1);
    expect((await store.cdrs.list()).map((r) => r.callRef)).toEqual(['new']);
    expect(await store.changes.counters()).toEqual(before);
  });
});
