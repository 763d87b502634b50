import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Store, type Station } from '@pbx/store';
import {
  SqliteStationStore,
  forwardOf,
  settingsFromStation,
  stationPatchFromSettings,
} from '../../src/persistence';
import {
  FEATURE_HANDLERS,
  MemoryCallStore,
  MemoryConferenceStore,
  MemoryParkStore,
  type FeatureContext,
} from '../../src/state/features';
import { callRef, legId } from '../../src/state/ids';
import type { StationLeg } from '../../src/state/station-state';

const realm = 'pbx.local';

function station(over: Partial<Station> = {}): Station {
  return {
    tel: '201',
    userId: '201',
    name: '',
    toneSource: 'system',
    callWaiting: false,
    forwardUnreachable: null,
    dtmfType: 'rfc2833',
    insertTrunkPort: '',
    insertTrunkType: 'none',
    natCheck: 'ip',
    srtp: 'policy',
    challengeInvites: false,
    statusText: '',
    useWhitelist: true,
    pickupGroup: 1,
    forwardAll: null,
    forwardBusy: null,
    forwardNoAnswer: null,
    forwardBusyNoAnswer: null,
    forwardNoAnswerTimer: null,
    dnd: false,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

describe('station settings mapping', () => {
  it('reads the row: timer default, pickup group 0 is none, unreachable target', () => {
    expect(settingsFromStation(station({ forwardUnreachable: '205', pickupGroup: 0 }), 15)).toEqual(
      {
        dnd: false,
        forward: null,
        unreachableTarget: '205',
        noAnswerMs: 15_000,
        pickupGroup: null,
      },
    );
    expect(
      settingsFromStation(station({ forwardNoAnswerTimer: 7.5, pickupGroup: 3, dnd: true }), 15),
    ).toMatchObject({
      dnd: true,
      noAnswerMs: 7_500,
      pickupGroup: '3',
    });
  });

  it('takes the one forward set; of several (old data) the strongest', () => {
    expect(forwardOf(station({ forwardBusy: '202' }))).toEqual({ type: 'busy', target: '202' });
    expect(forwardOf(station({ forwardNoAnswer: '203' }))).toEqual({
      type: 'noAnswer',
      target: '203',
    });
    expect(
      forwardOf(
        station({ forwardBusy: '202', forwardNoAnswer: '203', forwardBusyNoAnswer: '204' }),
      ),
    ).toEqual({
      type: 'busyNoAnswer',
      target: '204',
    });
    expect(forwardOf(station({ forwardAll: '205', forwardBusy: '202' }))).toEqual({
      type: 'all',
      target: '205',
    });
  });

  it('writes DND and exactly one forward column, nothing the administrator owns', () => {
    const settings = settingsFromStation(
      station({ forwardUnreachable: '209', forwardNoAnswerTimer: 20 }),
      15,
    );
    expect(
      stationPatchFromSettings({
        ...settings,
        dnd: true,
        forward: { type: 'noAnswer', target: '202' },
      }),
    ).toEqual({
      dnd: true,
      forwardAll: null,
      forwardBusy: null,
      forwardNoAnswer: '202',
      forwardBusyNoAnswer: null,
    });
    expect(stationPatchFromSettings({ ...settings, forward: null })).toEqual({
      dnd: false,
      forwardAll: null,
      forwardBusy: null,
      forwardNoAnswer: null,
      forwardBusyNoAnswer: null,
    });
  });
});

describe('SqliteStationStore', () => {
  let dir: string;
  let store: Store;
  let timer = 15;
  let stations: SqliteStationStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pbx-persist-'));
    store = await Store.open({ path: join(dir, 'pbx.sqlite') });
    timer = 15;
    for (const tel of ['201', '202', '203'])
      await store.stations.create({ tel, password: `secret${tel}` }, { realm });
    await store.stations.update('203', { pickupGroup: 2, forwardNoAnswerTimer: 25 }, { realm });
    stations = new SqliteStationStore(store, {
      defaultNoAnswerSeconds: () => timer,
      realm: () => realm,
    });
    await stations.load();
  });
  afterEach(async () => {
    await stations.flush();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ctx = (caller: string): FeatureContext => ({
    caller: { station: caller },
    stations,
    calls: new MemoryCallStore(),
    parks: new MemoryParkStore(60_000),
    conferences: new MemoryConferenceStore(),
    now: 1_000,
    parkRecallMs: 60_000,
  });

  const leg = (n: number): StationLeg => ({
    legId: legId(`leg-${n}`),
    callRef: callRef(`call-${n}`),
    direction: 'inbound',
    state: 'early',
    since: n,
    peer: { number: '202' },
    dialog: { callId: `cid-${n}@127.0.0.1` },
  });

  it('loads every station unregistered with its settings', async () => {
    expect((await stations.list()).map((s) => s.number).sort()).toEqual(['201', '202', '203']);
    expect(stations.peek('201')).toMatchObject({
      registered: false,
      legs: [],
      settings: { noAnswerMs: 15_000, pickupGroup: '1' },
    });
    expect(stations.peek('203')?.settings).toMatchObject({ noAnswerMs: 25_000, pickupGroup: '2' });
    expect(stations.has('202')).toBe(true);
    expect(stations.has('299')).toBe(false);
    expect(stations.row('201')?.userId).toBe('201');
  });

  it('stores what feature codes change, before dispatch returns', async () => {
    const r = await FEATURE_HANDLERS['forward.busy'].run(ctx('201'), '202');
    expect(r).toMatchObject({ reply: 480, effect: 'forward-set' });
    expect(await store.stations.get('201')).toMatchObject({
      forwardBusy: '202',
      forwardAll: null,
      dnd: false,
    });
    await FEATURE_HANDLERS['forward.all'].run(ctx('201'), '203');
    expect(await store.stations.get('201')).toMatchObject({ forwardAll: '203', forwardBusy: null });
    await FEATURE_HANDLERS.dnd.run(ctx('201'), '1');
    expect(await store.stations.get('201')).toMatchObject({ dnd: true, forwardAll: '203' });
    await FEATURE_HANDLERS['forward.clear'].run(ctx('201'), undefined);
    expect(await store.stations.get('201')).toMatchObject({
      dnd: true,
      forwardAll: null,
      forwardBusy: null,
      forwardNoAnswer: null,
      forwardBusyNoAnswer: null,
    });
    expect(stations.row('201')?.dnd).toBe(true);
  });

  it('changes nothing in the database on a refused code', async () => {
    const before = await store.stations.get('201');
    expect(await FEATURE_HANDLERS['forward.all'].run(ctx('201'), '299')).toMatchObject({
      effect: 'none',
      note: 'unknown-station',
    });
    expect(await FEATURE_HANDLERS.dnd.run(ctx('201'), '7')).toMatchObject({
      effect: 'none',
      note: 'bad-argument',
    });
    expect(await store.stations.get('201')).toEqual(before);
  });

  it('picks up CLI changes on reload, keeping registration and live legs', async () => {
    stations.apply('202', { type: 'registration', registered: true });
    stations.apply('202', { type: 'legAdded', leg: leg(1) });
    await store.stations.update(
      '202',
      { dnd: true, forwardNoAnswer: '201', forwardNoAnswerTimer: 9 },
      { realm },
    );
    await store.stations.create({ tel: '204', password: 'secret204' }, { realm });
    await stations.onChange('stations');
    expect(stations.peek('202')).toMatchObject({
      registered: true,
      legs: [{ legId: 'leg-1' }],
      settings: { dnd: true, forward: { type: 'noAnswer', target: '201' }, noAnswerMs: 9_000 },
    });
    expect(stations.peek('204')).toMatchObject({ registered: false });
    // Areas that are not about stations do not reload.
    await store.stations.update('202', { dnd: false }, { realm });
    await stations.onChange('whitelist');
    expect(stations.peek('202')?.settings.dnd).toBe(true);
  });

  it('follows the default no-answer time when the config changes', async () => {
    timer = 30;
    await stations.onChange('config');
    expect(stations.peek('201')?.settings.noAnswerMs).toBe(30_000);
    expect(stations.peek('203')?.settings.noAnswerMs).toBe(25_000);
  });

  it('drops removed stations once their calls are over', async () => {
    stations.apply('202', { type: 'legAdded', leg: leg(2) });
    await store.stations.remove('202');
    await store.stations.remove('203');
    await stations.load();
    expect(stations.peek('203')).toBeUndefined();
    expect(stations.has('203')).toBe(false);
    expect(stations.peek('202')?.legs).toHaveLength(1);
    stations.apply('202', { type: 'legRemoved', legId: legId('leg-2') });
    await stations.load();
    expect(stations.peek('202')).toBeUndefined();
    expect(stations.apply('202', { type: 'dndSet', on: true })).toBeUndefined();
  });

  it('does not let a reload undo a write still in flight', async () => {
    // Writes wait until released, so the reload reads the old row.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slowStore = {
      stations: {
        list: () => store.stations.list(),
        update: async (...args: Parameters<Store['stations']['update']>) => {
          await held;
          return store.stations.update(...args);
        },
      },
    } as unknown as Store;
    const slow = new SqliteStationStore(slowStore, {
      defaultNoAnswerSeconds: () => 15,
      realm: () => realm,
    });
    await slow.load();
    slow.apply('201', { type: 'dndSet', on: true });
    await slow.load();
    expect((await store.stations.get('201'))?.dnd).toBe(false);
    expect(slow.peek('201')?.settings.dnd).toBe(true);
    release();
    await slow.flush();
    expect((await store.stations.get('201'))?.dnd).toBe(true);
    await slow.load();
    expect(slow.peek('201')?.settings.dnd).toBe(true);
  });

  it('reports effects to listeners, and logs a failed write without throwing', async () => {
    const seen: string[] = [];
    stations.onStationEffect((tel, effect) => seen.push(`${tel}:${effect.type}`));
    stations.apply('201', { type: 'legAdded', leg: leg(3) });
    await stations.dispatch('201', { type: 'dndSet', on: true });
    expect(seen).toEqual(['201:presenceChanged', '201:persistSettings']);

    const errors: unknown[] = [];
    const logger = {
      error: (o: unknown) => errors.push(o),
      debug: () => undefined,
    } as unknown as Logger;
    const failing = new SqliteStationStore(store, {
      defaultNoAnswerSeconds: () => 15,
      realm: () => realm,
      logger,
    });
    await failing.load();
    await store.stations.remove('202');
    // 202 is gone from the table but still live here: the write fails, the live state keeps it.
    const s = await failing.dispatch('202', { type: 'dndSet', on: true });
    expect(s.settings.dnd).toBe(true);
    expect(errors).toHaveLength(1);
  });
});
