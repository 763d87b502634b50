import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classify, defaultCodes } from '@pbx/dialplan';
import { Store } from '@pbx/store';
import { planFromOverrides, StoreNumberPlan } from '../../src/persistence';

const realm = 'pbx.local';

describe('planFromOverrides', () => {
  it('puts stored codes and unassignments over the defaults, ignoring unknown ids', () => {
    const plan = planFromOverrides({
      dnd: '48',
      conference: null,
      'pickup.myGroup': '15',
      'voicemail.future': '17',
    });
    expect(plan.codes).toEqual({
      ...defaultCodes(),
      dnd: '48',
      conference: null,
      'pickup.myGroup': '15',
    });
    // The trunk access code and the auth feature code have defaults too (9 and 16).
    expect(plan).toMatchObject({ trunkPrefix: '9', authCode: '16' });
    expect(planFromOverrides({ trunk: '0', authCode: null })).toEqual({
      codes: defaultCodes(),
      trunkPrefix: '0',
    });
    expect(planFromOverrides({}, '8').trunkPrefix).toBe('8');
  });
});

describe('StoreNumberPlan', () => {
  let dir: string;
  let store: Store;
  let plan: StoreNumberPlan;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pbx-persist-'));
    store = await Store.open({ path: join(dir, 'pbx.sqlite') });
    for (const tel of ['201', '202', '203'])
      await store.stations.create({ tel, password: `secret${tel}` }, { realm });
    plan = new StoreNumberPlan(store);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const classifyWith = (digits: string) =>
    classify(digits, {
      codes: plan.plan().codes,
      isStation: (n) => ['201', '202', '203'].includes(n),
      isGroup: plan.isGroup,
    });

  it('holds the defaults and no groups before and after the first load of an empty database', async () => {
    expect(plan.plan().codes).toEqual(defaultCodes());
    await plan.load();
    expect(plan.plan().codes).toEqual(defaultCodes());
    expect(plan.groups()).toEqual([]);
    expect(classifyWith('401')).toEqual({ kind: 'feature', feature: 'dnd', code: '40', arg: '1' });
  });

  it('reads stored codes and ring groups, and classifies with them', async () => {
    await store.numberPlan.set('dnd', '48');
    await store.numberPlan.set('pickup.myGroup', '15');
    await store.ringGroups.create({ number: '500', name: 'Sales', members: ['202', '201'] });
    await plan.load();
    expect(plan.plan().codes).toMatchObject({ dnd: '48', 'pickup.myGroup': '15' });
    expect(plan.group('500')).toEqual({ number: '500', name: 'Sales', members: ['202', '201'] });
    expect(plan.group('501')).toBeUndefined();
    expect(classifyWith('481')).toEqual({ kind: 'feature', feature: 'dnd', code: '48', arg: '1' });
    expect(classifyWith('401')).toEqual({ kind: 'unknown' });
    expect(classifyWith('15')).toEqual({ kind: 'feature', feature: 'pickup.myGroup', code: '15' });
    expect(classifyWith('500')).toEqual({ kind: 'group', number: '500' });
  });

  it('reloads on numplan and groups changes only', async () => {
    await plan.load();
    await store.numberPlan.set('conference', null);
    await plan.onChange('stations');
    expect(plan.plan().codes.conference).toBe('46');
    await plan.onChange('numplan');
    expect(plan.plan().codes.conference).toBeNull();
    await store.ringGroups.create({ number: '500', members: ['201'] });
    await plan.onChange('groups');
    expect(plan.group('500')?.members).toEqual(['201']);
    await store.stations.remove('201');
    await plan.reload();
    expect(plan.group('500')?.members).toEqual([]);
    await store.ringGroups.remove('500');
    await plan.onChange('groups');
    expect(plan.isGroup('500')).toBe(false);
  });

  it('watches the store: a CLI write reaches the plan through the change watcher', async () => {
    await plan.load();
    const watcher = await store.watch({ intervalMs: 10 });
    try {
      const reloaded = new Promise<void>((resolve) => {
        watcher.on('change', (area) => {
          void plan.onChange(area).then(() => {
            if (plan.isGroup('500')) resolve();
          });
        });
      });
      await store.ringGroups.create({ number: '500', members: ['203'] });
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no reload')), 2_000).unref(),
      );
      await Promise.race([reloaded, timeout]);
      expect(plan.group('500')?.members).toEqual(['203']);
    } finally {
      await watcher.stop();
    }
  });
});
