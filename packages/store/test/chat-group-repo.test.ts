import { ConflictError, CHAT_GROUP_MEMBER_LIMIT, NotFoundError, type Store } from '../src';
import { openTempStore } from './helpers';

const realm = 'pbx.local';

describe('ChatGroupRepo and group messages', () => {
  let store: Store;
  let done: () => Promise<void>;
  let now = 1_000;

  beforeEach(async () => {
    now = 1_000;
    ({ store, done } = await openTempStore({ clock: () => now }));
    for (const tel of ['201', '202', '203', '204'])
      await store.stations.create({ tel, password: `secret${tel}x` }, { realm });
  });
  afterEach(() => done());

  it('creates a group, lists it per member, renames, adds and removes members', async () => {
    const g = await store.chatGroups.create({
      number: '700',
      name: 'Sales',
      createdBy: '201',
      members: ['202', '201', '202'],
    });
    expect(g).toEqual({
      id: g.id,
      number: '700',
      name: 'Sales',
      createdBy: '201',
      members: ['201', '202'],
      createdAt: 1_000,
      updatedAt: 1_000,
    });
    expect((await store.chatGroups.list({ member: '202' })).map((x) => x.number)).toEqual(['700']);
    expect(await store.chatGroups.list({ member: '203' })).toEqual([]);
    now = 2_000;
    expect((await store.chatGroups.rename(g.id, 'Sales team')).name).toBe('Sales team');
    const added = await store.chatGroups.addMembers(g.id, ['203']);
    expect(added.members).toEqual(['201', '202', '203']);
    await expect(store.chatGroups.addMembers(g.id, ['203'])).rejects.toThrow(ConflictError);
    await expect(store.chatGroups.addMembers(g.id, ['299'])).rejects.toThrow(NotFoundError);
    expect((await store.chatGroups.removeMember(g.id, '202')).members).toEqual(['201', '203']);
    await expect(store.chatGroups.removeMember(g.id, '202')).rejects.toThrow(NotFoundError);
    expect((await store.chatGroups.byNumber('700'))?.updatedAt).toBe(2_000);
    await expect(store.chatGroups.rename(999, 'x')).rejects.toThrow(NotFoundError);
  });

  it('keeps chat group, station and ring group numbers apart', async () => {
    await store.chatGroups.create({ number: '700', name: 'A', createdBy: 'admin', members: [] });
    await expect(
      store.chatGroups.create({ number: '700', name: 'B', createdBy: 'admin', members: [] }),
    ).rejects.toThrow(/already exists/);
    await expect(
      store.chatGroups.create({ number: '201', name: 'B', createdBy: 'admin', members: [] }),
    ).rejects.toThrow(/station 201/);
    await store.ringGroups.create({ number: '500', members: [] });
    await expect(
      store.chatGroups.create({ number: '500', name: 'B', createdBy: 'admin', members: [] }),
    ).rejects.toThrow(/ring group 500/);
    // The other way round, the triggers of migration 0019 refuse it.
    await expect(
      store.stations.create({ tel: '700', password: 'secret70x' }, { realm }),
    ).rejects.toThrow(/chat group/);
    await expect(store.ringGroups.create({ number: '700', members: [] })).rejects.toThrow(
      /chat group/,
    );
    await expect(
      store.chatGroups.create({
        number: '701',
        name: 'Big',
        createdBy: 'admin',
        members: Array.from({ length: CHAT_GROUP_MEMBER_LIMIT + 1 }, (_, i) => String(300 + i)),
      }),
    ).rejects.toThrow(ConflictError);
    expect(await store.chatGroups.numbers()).toEqual(['700']);
  });

  it('queues a group message per other member, in order with one-to-one messages', async () => {
    const g = await store.chatGroups.create({
      number: '700',
      name: 'Sales',
      createdBy: '201',
      members: ['201', '202', '203'],
    });
    const before = (await store.changes.counters()).messages ?? 0;
    await store.messages.add({ fromTel: '201', toTel: '202', body: 'direct one' });
    now = 2_000;
    const gm = await store.messages.addToGroup(
      { fromTel: '201', toTel: '700', body: 'to all', groupId: g.id },
      ['202', '203'],
    );
    expect(gm).toMatchObject({ groupId: g.id, toTel: '700', createdAt: 2_000, deliveredAt: 2_000 });
    await store.messages.add({ fromTel: '203', toTel: '202', body: 'direct two' });
    expect((await store.changes.counters()).messages).toBe(before + 3);

    const q202 = await store.messages.queue('202');
    expect(q202.map((m) => [m.body, m.recipient, m.groupId])).toEqual([
      ['direct one', '202', null],
      ['to all', '202', g.id],
      ['direct two', '202', null],
    ]);
    expect((await store.messages.queue()).map((m) => m.recipient)).toEqual([
      '202',
      '202',
      '203',
      '202',
    ]);
    // The old one-to-one queue is not confused by group rows.
    expect((await store.messages.pending('700')).length).toBe(0);

    await store.messages.markQueuedDelivered(q202[1]!, 3_000);
    expect((await store.messages.queue('202')).map((m) => m.body)).toEqual([
      'direct one',
      'direct two',
    ]);
    expect((await store.messages.queue('203')).map((m) => m.body)).toEqual(['to all']);
    const [entry] = await store.messages.groupHistory(g.id);
    expect(entry).toMatchObject({ body: 'to all', waitingFor: ['203'] });
    // One-to-one history of a station leaves group messages out.
    expect((await store.messages.list({ ext: '201' })).map((m) => m.body)).toEqual(['direct one']);
  });

  it('pages a group history back by message id and deletes it with the group', async () => {
    const g = await store.chatGroups.create({
      number: '700',
      name: 'Sales',
      createdBy: '201',
      members: ['201', '202'],
    });
    for (let i = 1; i <= 5; i++)
      await store.messages.addToGroup(
        { fromTel: '201', toTel: '700', body: `m${i}`, groupId: g.id },
        [],
      );
    const page1 = await store.messages.groupHistory(g.id, { limit: 2 });
    expect(page1.map((m) => m.body)).toEqual(['m5', 'm4']);
    const page2 = await store.messages.groupHistory(g.id, { limit: 2, before: page1[1]!.id });
    expect(page2.map((m) => m.body)).toEqual(['m3', 'm2']);
    await store.chatGroups.remove(g.id);
    expect(await store.messages.groupHistory(g.id)).toEqual([]);
    expect(await store.chatGroups.get(g.id)).toBeUndefined();
  });

  it('forgets a removed station as a member and its waiting deliveries', async () => {
    const g = await store.chatGroups.create({
      number: '700',
      name: 'Sales',
      createdBy: 'admin',
      members: ['201', '202'],
    });
    await store.messages.addToGroup({ fromTel: '201', toTel: '700', body: 'hi', groupId: g.id }, [
      '202',
    ]);
    await store.stations.remove('202');
    expect((await store.chatGroups.get(g.id))?.members).toEqual(['201']);
    expect(await store.messages.queue('202')).toEqual([]);
  });
});
