import type { Store } from '../src';
import { openTempStore } from './helpers';

describe('MessageRepo', () => {
  let store: Store;
  let done: () => Promise<void>;
  let now = 1_000;

  beforeEach(async () => {
    now = 1_000;
    ({ store, done } = await openTempStore({ clock: () => now }));
  });
  afterEach(() => done());

  it('queues undelivered messages in order per recipient and keeps history per pair', async () => {
    const before = (await store.changes.counters()).messages ?? 0;
    const a = await store.messages.add({ fromTel: '201', toTel: '202', body: 'one' });
    now = 2_000;
    await store.messages.add({ fromTel: '203', toTel: '202', body: 'two' });
    await store.messages.add({ fromTel: '202', toTel: '201', body: 'back', deliveredAt: 2_000 });
    expect((await store.messages.pending('202')).map((m) => m.body)).toEqual(['one', 'two']);
    await store.messages.markDelivered(a.id, 3_000);
    expect((await store.messages.pending()).map((m) => m.body)).toEqual(['two']);
    const pair = await store.messages.list({ ext: '201', peer: '202' });
    expect(pair.map((m) => [m.body, m.deliveredAt])).toEqual([
      ['back', 2_000],
      ['one', 3_000],
    ]);
    expect(pair[1]).toMatchObject({ contentType: 'text/plain', createdAt: 1_000 });
    // Inserts wake the PBX; delivery marks do not.
    expect((await store.changes.counters()).messages).toBe(before + 3);
  });
});
