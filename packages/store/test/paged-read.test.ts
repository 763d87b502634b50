import { PAGE_ROWS, readPaged } from '../src/paged-read';
import type { Store } from '../src';
import { openTempStore } from './helpers';

describe('readPaged', () => {
  const rows = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const pagesOf = (source: string[]) => {
    const calls: Array<string | undefined> = [];
    const page = (after: string | undefined, limit: number): Promise<string[]> => {
      calls.push(after);
      const from = after === undefined ? 0 : source.indexOf(after) + 1;
      return Promise.resolve(source.slice(from, from + limit));
    };
    return { calls, page };
  };

  it('reads page after page from the last row of the one before, mapping every row once', async () => {
    const { calls, page } = pagesOf(rows);
    expect(await readPaged(page, (r) => r.toUpperCase(), 3)).toEqual(
      rows.map((r) => r.toUpperCase()),
    );
    expect(calls).toEqual([undefined, 'c', 'f']);
  });

  it('stops at a short page, asking once more only when the last page was full', async () => {
    const six = pagesOf(rows.slice(0, 6));
    expect(await readPaged(six.page, (r) => r, 3)).toEqual(rows.slice(0, 6));
    expect(six.calls).toEqual([undefined, 'c', 'f']);
    const none = pagesOf([]);
    expect(await readPaged(none.page, (r) => r, 3)).toEqual([]);
    expect(none.calls).toEqual([undefined]);
  });
});

describe('large start-up reads, a page at a time', () => {
  let store: Store;
  let done: () => Promise<void>;
  // Over two pages, tel numbers of several lengths created out of order, so the (length, tel)
  // order differs from both creation order and text order at the page boundaries.
  const count = PAGE_ROWS * 2 + 103;
  const tels = Array.from({ length: count }, (_, i) => String((i * 7919) % 100_000));

  beforeAll(async () => {
    ({ store, done } = await openTempStore());
    for (const tel of new Set(tels))
      await store.stations.create({ tel, password: `pw-${tel}` }, { realm: 'pbx.local' });
    await store.voicemail.setBox(tels[PAGE_ROWS]!, { enabled: false });
  }, 60_000);
  afterAll(() => done());

  const ordered = [...new Set(tels)].sort((a, b) => a.length - b.length || (a < b ? -1 : 1));

  it('lists every station once, in (length, tel) order', async () => {
    expect(ordered.length).toBe(count);
    expect((await store.stations.list()).map((s) => s.tel)).toEqual(ordered);
  });

  it("reads every station's credentials for the realm once, and none for another realm", async () => {
    const creds = await store.stations.listCredentials('pbx.local');
    expect(creds.map((c) => c.tel).sort()).toEqual([...ordered].sort());
    expect(creds.every((c) => /^[0-9a-f]{32}$/.test(c.ha1) && c.realm === 'pbx.local')).toBe(true);
    expect(await store.stations.listCredentials('other.realm')).toEqual([]);
  });

  it("reads every station's voice mail box once, in order, with the one changed box as stored", async () => {
    const boxes = await store.voicemail.boxes();
    expect(boxes.map((b) => b.tel)).toEqual(ordered);
    expect(boxes.filter((b) => !b.enabled).map((b) => b.tel)).toEqual([tels[PAGE_ROWS]]);
  });
});
