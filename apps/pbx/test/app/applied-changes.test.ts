import { AppliedChanges } from '../../src/applied-changes';

describe('AppliedChanges', () => {
  test('record emits `applied` with a sequence number and keeps the highest counter per area', () => {
    const changes = new AppliedChanges();
    const seen: unknown[] = [];
    changes.on('applied', (c) => seen.push(c));
    changes.record('stations', 3);
    changes.record('stations', 2);
    changes.record('config', 7);
    expect(seen).toEqual([
      { area: 'stations', counter: 3, seq: 1 },
      { area: 'stations', counter: 2, seq: 2 },
      { area: 'config', counter: 7, seq: 3 },
    ]);
    expect(changes.counter('stations')).toBe(3);
    expect(changes.counter('whitelist')).toBeUndefined();
  });

  test('waitFor resolves at once for a counter already applied, later for one still to come', async () => {
    const changes = new AppliedChanges();
    changes.record('stations', 4);
    await expect(changes.waitFor('stations', 4, 10)).resolves.toMatchObject({
      area: 'stations',
      counter: 4,
    });
    const later = changes.waitFor('stations', 6, 1_000);
    changes.record('config', 9);
    changes.record('stations', 5);
    changes.record('stations', 6);
    await expect(later).resolves.toMatchObject({ area: 'stations', counter: 6, seq: 4 });
    expect(changes.listenerCount('applied')).toBe(0);
  });

  test('waitFor rejects when applying failed, and after its deadline', async () => {
    const changes = new AppliedChanges();
    const failing = changes.waitFor('config', 1, 1_000);
    changes.record('config', 1, new Error('bad option'));
    await expect(failing).rejects.toThrow('applying the config change failed');
    expect(changes.counter('config')).toBeUndefined();
    await expect(changes.waitFor('config', 1, 20)).rejects.toThrow('not applied within 20 ms');
    expect(changes.listenerCount('applied')).toBe(0);
  });
});
