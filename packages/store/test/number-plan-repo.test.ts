import { ConflictError, type Store } from '../src';
import { openTempStore } from './helpers';

describe('NumberPlanRepo', () => {
  let store: Store;
  let done: () => Promise<void>;
  let now = 5_000;

  beforeEach(async () => {
    now = 5_000;
    ({ store, done } = await openTempStore({ clock: () => now }));
  });
  afterEach(() => done());

  it('starts empty: every feature uses its default until a row is stored', async () => {
    expect(await store.numberPlan.list()).toEqual([]);
    expect(await store.numberPlan.overrides()).toEqual({});
    expect(await store.numberPlan.get('dnd')).toBeUndefined();
  });

  it('stores a code, replaces it, unassigns with null and resets to the default', async () => {
    expect(await store.numberPlan.set('dnd', '48')).toEqual({
      feature: 'dnd',
      code: '48',
      updatedAt: 5_000,
    });
    now = 6_000;
    expect(await store.numberPlan.set('dnd', '49')).toEqual({
      feature: 'dnd',
      code: '49',
      updatedAt: 6_000,
    });
    await store.numberPlan.set('pickup.myGroup', '*15');
    await store.numberPlan.set('conference', null);
    expect(await store.numberPlan.overrides()).toEqual({
      dnd: '49',
      'pickup.myGroup': '*15',
      conference: null,
    });
    expect(await store.numberPlan.reset('dnd')).toBe(true);
    expect(await store.numberPlan.reset('dnd')).toBe(false);
    expect(await store.numberPlan.overrides()).toEqual({
      'pickup.myGroup': '*15',
      conference: null,
    });
  });

  it('refuses two stored features with one code, naming the holder; several may be unassigned', async () => {
    await store.numberPlan.set('dnd', '48');
    await expect(store.numberPlan.set('conference', '48')).rejects.toThrow(ConflictError);
    await expect(store.numberPlan.set('conference', '48')).rejects.toThrow(
      'code 48 is already used by dnd',
    );
    await store.numberPlan.set('conference', null);
    await store.numberPlan.set('park', null);
    expect(await store.numberPlan.overrides()).toEqual({ dnd: '48', conference: null, park: null });
  });

  it('leaves code syntax to the table as a last line of defence', async () => {
    await expect(store.numberPlan.set('dnd', '4a')).rejects.toThrow(/CHECK constraint failed/);
    await expect(store.numberPlan.set('dnd', '123456789')).rejects.toThrow(
      /CHECK constraint failed/,
    );
    await expect(store.numberPlan.set('dnd', '')).rejects.toThrow(/CHECK constraint failed/);
    expect(await store.numberPlan.list()).toEqual([]);
  });

  it('bumps the numplan change counter on every write', async () => {
    const before = (await store.changes.counters()).numplan;
    expect(before).toBe(0);
    await store.numberPlan.set('dnd', '48');
    await store.numberPlan.set('dnd', null);
    await store.numberPlan.reset('dnd');
    expect((await store.changes.counters()).numplan).toBe(3);
  });
});
