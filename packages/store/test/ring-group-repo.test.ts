import { ConflictError, NotFoundError, RING_GROUP_MEMBER_LIMIT, type Store } from '../src';
import { openTempStore } from './helpers';

const realm = 'pbx.local';

describe('RingGroupRepo', () => {
  let store: Store;
  let done: () => Promise<void>;
  let now = 1_000;

  beforeEach(async () => {
    now = 1_000;
    ({ store, done } = await openTempStore({ clock: () => now }));
    for (let i = 1; i <= 12; i++) {
      await store.stations.create({ tel: String(200 + i), password: `secret${i}x` }, { realm });
    }
  });
  afterEach(() => done());

  it('creates a group with ordered members and reads it back', async () => {
    const g = await store.ringGroups.create({
      number: '500',
      name: 'Sales',
      members: ['203', '201', '202'],
    });
    expect(g).toEqual({
      number: '500',
      name: 'Sales',
      members: ['203', '201', '202'],
      voicemail: null,
      voicemailAfter: null,
      createdAt: 1_000,
      updatedAt: 1_000,
    });
    expect(await store.ringGroups.get('500')).toEqual(g);
    expect(await store.ringGroups.exists('500')).toBe(true);
    expect(await store.ringGroups.exists('501')).toBe(false);
    expect(await store.ringGroups.get('501')).toBeUndefined();
  });

  it('lists groups in numeric order with members in ring order', async () => {
    await store.ringGroups.create({ number: '1000', members: ['205'] });
    await store.ringGroups.create({ number: '501', name: 'Support', members: ['202', '201'] });
    await store.ringGroups.create({ number: '500' });
    const list = await store.ringGroups.list();
    expect(list.map((g) => [g.number, g.name, g.members])).toEqual([
      ['500', '', []],
      ['501', 'Support', ['202', '201']],
      ['1000', '', ['205']],
    ]);
    expect(await store.ringGroups.numbers()).toEqual(['500', '501', '1000']);
    expect(await store.ringGroups.groupsOf('201')).toEqual(['501']);
  });

  it('refuses a duplicate group, a station number, unknown or repeated members and an 11th member', async () => {
    await store.ringGroups.create({ number: '500' });
    await expect(store.ringGroups.create({ number: '500' })).rejects.toThrow(
      'ring group 500 already exists',
    );
    await expect(store.ringGroups.create({ number: '201' })).rejects.toThrow(
      'ring group 201 is the same number as station 201',
    );
    await expect(
      store.ringGroups.create({ number: '501', members: ['201', '299'] }),
    ).rejects.toThrow(NotFoundError);
    await expect(
      store.ringGroups.create({ number: '501', members: ['201', '201'] }),
    ).rejects.toThrow('station 201 is listed twice for ring group 501');
    const eleven = Array.from({ length: 11 }, (_, i) => String(201 + i));
    await expect(store.ringGroups.create({ number: '501', members: eleven })).rejects.toThrow(
      /would have 11 members; at most 10/,
    );
    expect(await store.ringGroups.numbers()).toEqual(['500']);
    // Ten is allowed.
    const ten = await store.ringGroups.create({
      number: '502',
      members: eleven.slice(0, RING_GROUP_MEMBER_LIMIT),
    });
    expect(ten.members).toHaveLength(10);
  });

  it('updates the name, replaces, appends and removes members', async () => {
    await store.ringGroups.create({ number: '500', name: 'Sales', members: ['201', '202'] });
    now = 2_000;
    expect(await store.ringGroups.update('500', { name: 'Front' })).toMatchObject({
      name: 'Front',
      members: ['201', '202'],
      updatedAt: 2_000,
    });
    expect((await store.ringGroups.update('500', { add: ['205', '203'] })).members).toEqual([
      '201',
      '202',
      '205',
      '203',
    ]);
    expect((await store.ringGroups.update('500', { remove: ['202'] })).members).toEqual([
      '201',
      '205',
      '203',
    ]);
    expect((await store.ringGroups.update('500', { members: ['203', '201'] })).members).toEqual([
      '203',
      '201',
    ]);
    expect(
      (await store.ringGroups.update('500', { members: ['204'], add: ['201'], remove: ['204'] }))
        .members,
    ).toEqual(['201']);
    expect(await store.ringGroups.get('500')).toMatchObject({ name: 'Front', members: ['201'] });
  });

  it('refuses bad updates without changing anything', async () => {
    await store.ringGroups.create({ number: '500', members: ['201', '202'] });
    await expect(store.ringGroups.update('599', { name: 'x' })).rejects.toThrow(
      'ring group 599 not found',
    );
    await expect(store.ringGroups.update('500', { add: ['201'] })).rejects.toThrow(
      'station 201 is already a member of ring group 500',
    );
    await expect(store.ringGroups.update('500', { remove: ['205'] })).rejects.toThrow(
      'member 205 of ring group 500 not found',
    );
    await expect(store.ringGroups.update('500', { add: ['299'] })).rejects.toThrow(
      'station 299 not found',
    );
    const nine = Array.from({ length: 9 }, (_, i) => String(203 + i));
    await expect(store.ringGroups.update('500', { add: nine })).rejects.toThrow(ConflictError);
    expect((await store.ringGroups.get('500'))?.members).toEqual(['201', '202']);
  });

  it('removes a group; removing a station takes it out of every group', async () => {
    await store.ringGroups.create({ number: '500', members: ['201', '202', '203'] });
    await store.ringGroups.create({ number: '501', members: ['202'] });
    await store.stations.remove('202');
    expect((await store.ringGroups.get('500'))?.members).toEqual(['201', '203']);
    expect((await store.ringGroups.get('501'))?.members).toEqual([]);
    expect((await store.ringGroups.remove('500')).members).toEqual(['201', '203']);
    expect(await store.ringGroups.numbers()).toEqual(['501']);
    await expect(store.ringGroups.remove('500')).rejects.toThrow(NotFoundError);
  });

  it('keeps stations and groups apart at the table level too', async () => {
    await store.ringGroups.create({ number: '500' });
    await expect(
      store.stations.create({ tel: '500', password: 'secret9x' }, { realm }),
    ).rejects.toThrow(/station number is a ring group number/);
    await expect(
      store.db.run("INSERT INTO ring_groups (number, created_at, updated_at) VALUES ('201', 0, 0)"),
    ).rejects.toThrow(/ring group number is a station number/);
    const eleven = Array.from({ length: 11 }, (_, i) => String(201 + i));
    await expect(
      store.db.transaction(async (tx) => {
        for (const [i, tel] of eleven.entries()) {
          await tx.run(
            'INSERT INTO ring_group_members (group_number, tel, position) VALUES (?, ?, ?)',
            ['500', tel, i],
          );
        }
      }),
    ).rejects.toThrow(/at most 10 SIP members/);
  });

  it('bumps the groups change counter on group and member writes, including cascades', async () => {
    const count = async (): Promise<number> => (await store.changes.counters()).groups ?? -1;
    expect(await count()).toBe(0);
    await store.ringGroups.create({ number: '500', members: ['201'] });
    const afterCreate = await count();
    expect(afterCreate).toBeGreaterThan(0);
    await store.ringGroups.update('500', { name: 'x' });
    const afterName = await count();
    expect(afterName).toBeGreaterThan(afterCreate);
    await store.stations.remove('201');
    const afterCascade = await count();
    expect(afterCascade).toBeGreaterThan(afterName);
    await store.ringGroups.remove('500');
    expect(await count()).toBeGreaterThan(afterCascade);
  });
});
