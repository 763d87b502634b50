import { join } from 'node:path';
import { appliedMigrations, Store } from '../src';
import { tempDir } from './helpers';

const realm = 'pbx.local';

/** Upgrades in place from the levels before issue 4's tables (0003 number plan, 0004 groups, 0005 CDRs). */
describe('upgrade to the number plan, ring group and call record tables', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('upgrades a level-2 database in place, keeping stations, forwards and counters', async () => {
    const path = join(t.dir, 'pbx.sqlite');
    const old = await Store.open({ path, upTo: 2 });
    await old.stations.create(
      { tel: '201', password: 'secret1', name: 'Alice', pickupGroup: 2 },
      { realm },
    );
    await old.stations.create(
      { tel: '202', password: 'secret2', forwardAll: '201', forwardNoAnswerTimer: 20, dnd: true },
      { realm },
    );
    await old.whitelist.add('127.0.0.0/8');
    const oldCounters = await old.changes.counters();
    expect(Object.keys(oldCounters).sort()).toEqual(['blocks', 'config', 'stations', 'whitelist']);
    await expect(old.db.all('SELECT * FROM number_plan')).rejects.toThrow(/no such table/);
    await old.close();

    const store = await Store.open({ path });
    try {
      expect(store.migration.applied.map((m) => [m.version, m.name])).toEqual(
        expect.arrayContaining([
          [3, 'number_plan'],
          [4, 'ring_groups'],
          [5, 'call_records'],
        ]),
      );
      expect((await store.stations.get('201'))?.name).toBe('Alice');
      expect(await store.stations.get('202')).toMatchObject({
        forwardAll: '201',
        forwardNoAnswerTimer: 20,
        dnd: true,
      });
      expect((await store.stations.getCredentials('201', realm))?.ha1).toMatch(/^[0-9a-f]{32}$/);
      const counters = await store.changes.counters();
      expect(counters).toMatchObject({ ...oldCounters, numplan: 0, groups: 0 });

      // The new tables work against the old rows.
      await store.numberPlan.set('dnd', '48');
      const g = await store.ringGroups.create({
        number: '500',
        name: 'Desk',
        members: ['202', '201'],
      });
      expect(g.members).toEqual(['202', '201']);
      const cdr = await store.cdrs.start({
        callRef: 'x',
        callerTel: '201',
        calleeTel: '202',
        dialled: '202',
      });
      expect(cdr.id).toBeGreaterThan(0);
      await expect(
        store.stations.create({ tel: '500', password: 'secret5' }, { realm }),
      ).rejects.toThrow(/ring group/);
    } finally {
      await store.close();
    }
  });

  it('upgrades a level-3 database keeping its number plan', async () => {
    const path = join(t.dir, 'pbx.sqlite');
    const old = await Store.open({ path, upTo: 3 });
    await old.numberPlan.set('pickup.myGroup', '15');
    await old.numberPlan.set('conference', null);
    await old.stations.create({ tel: '201', password: 'secret1' }, { realm });
    await old.close();

    const store = await Store.open({ path });
    try {
      expect(store.migration.applied.map((m) => m.version)).toEqual(expect.arrayContaining([4, 5]));
      expect(store.migration.applied.map((m) => m.version)).not.toContain(3);
      expect(await store.numberPlan.overrides()).toEqual({
        'pickup.myGroup': '15',
        conference: null,
      });
      expect((await store.changes.counters()).numplan).toBe(2);
      expect((await appliedMigrations(store.db)).map((m) => m.version).slice(0, 5)).toEqual([
        1, 2, 3, 4, 5,
      ]);
    } finally {
      await store.close();
    }
  });
});
