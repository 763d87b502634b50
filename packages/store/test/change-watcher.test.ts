import { ChangeWatcher, Store } from '../src';
import { openTempStore } from './helpers';

describe('ChangeWatcher', () => {
  let store: Store;
  let path: string;
  let done: () => Promise<void>;

  beforeEach(async () => {
    ({ store, path, done } = await openTempStore());
  });
  afterEach(() => done());

  it('reports each area changed since the last poll, once', async () => {
    const watcher = new ChangeWatcher(store.db, { intervalMs: 60_000 });
    const seen: string[] = [];
    watcher.on('change', (area) => seen.push(area));
    await watcher.start();
    await watcher.poll();
    expect(seen).toEqual([]);
    await store.whitelist.add('127.0.0.1');
    await store.whitelist.add('127.0.0.2');
    await store.options.set('sip.expireTime', 100);
    await watcher.poll();
    expect(seen.sort()).toEqual(['config', 'whitelist']);
    await watcher.poll();
    expect(seen).toHaveLength(2);
    await watcher.stop();
  });

  it('sees a write made by another process (connection) within a second', async () => {
    const watcher = await store.watch({ intervalMs: 50 });
    const cli = await Store.open({ path });
    try {
      const changed = new Promise<string>((resolve) =>
        watcher.once('change', (area) => resolve(area)),
      );
      const t0 = Date.now();
      await cli.stations.create({ tel: '201', password: 'secret1' }, { realm: 'pbx.local' });
      const timeout = new Promise<string>((_, reject) =>
        setTimeout(() => reject(new Error('no change seen')), 1000).unref(),
      );
      expect(await Promise.race([changed, timeout])).toBe('stations');
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      await watcher.stop();
      await cli.close();
    }
  });
});
