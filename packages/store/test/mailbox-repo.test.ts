import { NotFoundError, type Store } from '../src';
import { openTempStore } from './helpers';

describe('MailboxRepo', () => {
  let store: Store;
  let done: () => Promise<void>;

  beforeEach(async () => {
    ({ store, done } = await openTempStore({ clock: () => 7_000 }));
    await store.stations.create({ tel: '201', password: 'secret201' }, { realm: 'pbx.local' });
  });
  afterEach(() => done());

  it('sets counts and the unsolicited option independently, bumping the mailboxes counter', async () => {
    const before = (await store.changes.counters()).mailboxes ?? 0;
    expect(await store.mailboxes.get('201')).toBeUndefined();
    expect(await store.mailboxes.setCounts('201', 2, 1)).toEqual({
      tel: '201',
      newMessages: 2,
      oldMessages: 1,
      unsolicited: false,
      updatedAt: 7_000,
    });
    expect(await store.mailboxes.setUnsolicited('201', true)).toMatchObject({
      newMessages: 2,
      unsolicited: true,
    });
    expect(await store.mailboxes.list()).toHaveLength(1);
    expect((await store.changes.counters()).mailboxes).toBe(before + 2);
  });

  it('refuses unknown stations and bad counts; a removed station takes its mailbox along', async () => {
    await expect(store.mailboxes.setCounts('299', 1, 0)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.mailboxes.setCounts('201', -1, 0)).rejects.toBeInstanceOf(RangeError);
    await store.mailboxes.setCounts('201', 1, 0);
    await store.stations.remove('201');
    expect(await store.mailboxes.list()).toEqual([]);
  });
});
