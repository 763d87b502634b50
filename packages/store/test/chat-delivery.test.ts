import type { Store } from '../src';
import { deliveryState } from '../src';
import { openTempStore } from './helpers';

describe('chat group deliveries and the chatgroups change area (migration 0020)', () => {
  let store: Store;
  let done: () => Promise<void>;
  let now = 1_000;

  beforeEach(async () => {
    now = 1_000;
    ({ store, done } = await openTempStore({ clock: () => now }));
    for (const tel of ['201', '202', '203', '204'])
      await store.stations.create({ tel, password: `secret${tel}x` }, { realm: 'pbx.local' });
  });
  afterEach(() => done());

  it('a delivery is delivered, failed (an error answer) or waiting (untried, offline 480)', () => {
    expect(deliveryState({ delivered_at: 5, last_status: 200 })).toBe('delivered');
    expect(deliveryState({ delivered_at: null, last_status: null })).toBe('waiting');
    expect(deliveryState({ delivered_at: null, last_status: 480 })).toBe('waiting');
    expect(deliveryState({ delivered_at: null, last_status: 486 })).toBe('failed');
    expect(deliveryState({ delivered_at: null, last_status: 503 })).toBe('failed');
  });

  it('records attempts per member; history lists every member’s copy', async () => {
    const g = await store.chatGroups.create({
      number: '700',
      name: 'Sales',
      createdBy: '201',
      members: ['201', '202', '203', '204'],
    });
    const m = await store.messages.addToGroup(
      { fromTel: '201', toTel: '700', body: 'hi', groupId: g.id },
      ['202', '203', '204'],
    );
    const queued = await store.messages.queue();
    const of = (tel: string) => queued.find((q) => q.recipient === tel)!;
    now = 2_000;
    await store.messages.markQueuedDelivered(of('202'), now, 202);
    now = 3_000;
    expect(await store.messages.recordAttempt(of('204'), 486, now)).toEqual({
      tel: '204',
      state: 'failed',
      status: 486,
      at: 3_000,
    });
    // An attempt after delivery changes nothing (a late failure from a second contact).
    await store.messages.recordAttempt(of('202'), 408, 4_000);
    const [entry] = await store.messages.groupHistory(g.id);
    expect(entry).toMatchObject({ id: m.id, waitingFor: ['203', '204'] });
    expect(entry!.deliveries).toEqual([
      { tel: '202', state: 'delivered', status: 202, at: 2_000 },
      { tel: '203', state: 'waiting', status: null, at: null },
      { tel: '204', state: 'failed', status: 486, at: 3_000 },
    ]);
  });

  it('every write to groups and members moves the chatgroups counter', async () => {
    const counter = async () => (await store.changes.counters()).chatgroups ?? -1;
    const c0 = await counter();
    expect(c0).toBeGreaterThanOrEqual(0);
    const g = await store.chatGroups.create({
      number: '700',
      name: 'Sales',
      createdBy: 'admin',
      members: ['201'],
    });
    const c1 = await counter();
    expect(c1).toBeGreaterThan(c0);
    await store.chatGroups.rename(g.id, 'Team');
    const c2 = await counter();
    expect(c2).toBeGreaterThan(c1);
    await store.chatGroups.addMembers(g.id, ['202']);
    const c3 = await counter();
    expect(c3).toBeGreaterThan(c2);
    await store.chatGroups.removeMember(g.id, '202');
    const c4 = await counter();
    expect(c4).toBeGreaterThan(c3);
    // A station deleted leaves its groups (cascade): the consoles must hear of that too.
    await store.chatGroups.addMembers(g.id, ['203']);
    const c5 = await counter();
    await store.stations.remove('203');
    expect(await counter()).toBeGreaterThan(c5);
    await store.chatGroups.remove(g.id);
    expect(await counter()).toBeGreaterThan(c5 + 1);
  });
});
