import { readFileSync, statSync } from 'node:fs';
import {
  computeHa1,
  ConflictError,
  LicenceError,
  NotFoundError,
  SecretKeyError,
  Store,
} from '../src';
import { openTempStore } from './helpers';

const realm = 'pbx.local';

describe('StationRepo', () => {
  let store: Store;
  let path: string;
  let done: () => Promise<void>;

  beforeEach(async () => {
    ({ store, path, done } = await openTempStore({ clock: () => 1_700_000_000_000 }));
  });
  afterEach(() => done());

  it('creates a station with OfficeServ defaults and the user ID defaulting to the tel number', async () => {
    const s = await store.stations.create({ tel: '201', password: 'secret1' }, { realm });
    expect(s).toEqual({
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
      useWhitelist: true,
      pickupGroup: 1,
      forwardAll: null,
      forwardBusy: null,
      forwardNoAnswer: null,
      forwardBusyNoAnswer: null,
      forwardNoAnswerTimer: null,
      dnd: false,
      challengeInvites: false,
      srtp: 'policy',
      statusText: '',
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
    });
    expect(s).not.toHaveProperty('password');
  });

  it('stores HA1 and an AES-GCM ciphertext, never the clear password', async () => {
    await store.stations.create({ tel: '201', userId: 'alice', password: 'Pa55w0rd!' }, { realm });
    const row = await store.db.get<{ ha1: string; ha1_realm: string; password_enc: string }>(
      'SELECT ha1, ha1_realm, password_enc FROM stations',
    );
    expect(row?.ha1).toBe(computeHa1('alice', realm, 'Pa55w0rd!'));
    expect(row?.ha1).toMatch(/^[0-9a-f]{32}$/);
    expect(row?.password_enc).toMatch(/^v1:/);
    expect(row?.password_enc).not.toContain('Pa55w0rd!');
    // The clear password appears nowhere in the file.
    await store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    expect(readFileSync(path).includes(Buffer.from('Pa55w0rd!'))).toBe(false);
    expect(statSync(`${path}.key`).mode & 0o777).toBe(0o600);
  });

  it('computes HA1 as in the RFC 2617 example', () => {
    expect(computeHa1('Mufasa', 'testrealm@host.com', 'Circle Of Life')).toBe(
      '939e7578ed9e3c518a452acee763bce9',
    );
  });

  it('refuses a duplicate tel number and a user ID already in use', async () => {
    await store.stations.create({ tel: '201', password: 'secret1' }, { realm });
    await expect(
      store.stations.create({ tel: '201', password: 'secret2' }, { realm }),
    ).rejects.toThrow(new ConflictError('station 201 already exists'));
    await expect(
      store.stations.create({ tel: '202', userId: '201', password: 'secret2' }, { realm }),
    ).rejects.toThrow(/user ID 201 is already used by station 201/);
  });

  it('refuses a station over the licence', async () => {
    await store.stations.create({ tel: '201', password: 'secret1' }, { realm, maxStations: 2 });
    await store.stations.create({ tel: '202', password: 'secret1' }, { realm, maxStations: 2 });
    const err = await store.stations
      .create({ tel: '203', password: 'secret1' }, { realm, maxStations: 2 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LicenceError);
    expect((err as LicenceError).limit).toBe(2);
    expect(await store.stations.count()).toBe(2);
  });

  it('requires the forward-unreachable destination to be a station', async () => {
    await expect(
      store.stations.create(
        { tel: '201', password: 'secret1', forwardUnreachable: '299' },
        { realm },
      ),
    ).rejects.toThrow(new NotFoundError('station', '299'));
    await store.stations.create({ tel: '202', password: 'secret1' }, { realm });
    const s = await store.stations.create(
      { tel: '201', password: 'secret1', forwardUnreachable: '202' },
      { realm },
    );
    expect(s.forwardUnreachable).toBe('202');
    await expect(
      store.stations.update('202', { forwardUnreachable: '999' }, { realm }),
    ).rejects.toThrow(NotFoundError);
  });

  it('updates only the given settings and keeps the rest', async () => {
    await store.stations.create({ tel: '201', password: 'secret1', name: 'Ann' }, { realm });
    const s = await store.stations.update(
      '201',
      {
        toneSource: 'phone',
        dtmfType: 'info',
        natCheck: 'ip-port',
        useWhitelist: false,
        pickupGroup: 4,
        callWaiting: true,
      },
      { realm },
    );
    expect(s).toMatchObject({
      name: 'Ann',
      toneSource: 'phone',
      dtmfType: 'info',
      natCheck: 'ip-port',
      useWhitelist: false,
      pickupGroup: 4,
      callWaiting: true,
    });
    const cleared = await store.stations.update('201', { name: '' }, { realm });
    expect(cleared.name).toBe('');
    await expect(store.stations.update('299', { name: 'x' }, { realm })).rejects.toThrow(
      NotFoundError,
    );
  });

  it('recomputes HA1 on a new password or a new user ID (from the encrypted password)', async () => {
    await store.stations.create({ tel: '201', password: 'secret1' }, { realm });
    await store.stations.update('201', { userId: 'bob' }, { realm });
    expect(await store.stations.getCredentials('201', realm)).toEqual({
      tel: '201',
      userId: 'bob',
      realm,
      ha1: computeHa1('bob', realm, 'secret1'),
    });
    await store.stations.update('201', { password: 'n3wpass' }, { realm });
    expect((await store.stations.getCredentials('201', realm))?.ha1).toBe(
      computeHa1('bob', realm, 'n3wpass'),
    );
  });

  it('derives HA1 for another realm and rehashes after a domain change', async () => {
    await store.stations.create({ tel: '201', password: 'secret1' }, { realm });
    await store.stations.create({ tel: '202', password: 'secret2' }, { realm });
    expect((await store.stations.getCredentials('201', 'office.example'))?.ha1).toBe(
      computeHa1('201', 'office.example', 'secret1'),
    );
    expect(await store.stations.rehash('office.example')).toEqual({ updated: 2, failed: [] });
    const row = await store.db.get<{ ha1: string; ha1_realm: string }>(
      "SELECT ha1, ha1_realm FROM stations WHERE tel = '202'",
    );
    expect(row).toEqual({
      ha1: computeHa1('202', 'office.example', 'secret2'),
      ha1_realm: 'office.example',
    });
    expect(await store.stations.rehash('office.example')).toEqual({ updated: 0, failed: [] });
    expect(await store.stations.getCredentials('999', realm)).toBeUndefined();
  });

  it('cannot decrypt with another installation key', async () => {
    await store.stations.create({ tel: '201', password: 'secret1' }, { realm });
    const stranger = await Store.open({ path, keyPath: `${path}.other-key` });
    try {
      await expect(stranger.stations.getCredentials('201', 'other.realm')).rejects.toThrow(
        SecretKeyError,
      );
      // Same realm needs no decryption.
      expect((await stranger.stations.getCredentials('201', realm))?.ha1).toBe(
        computeHa1('201', realm, 'secret1'),
      );
      expect(await stranger.stations.rehash('other.realm')).toEqual({
        updated: 0,
        failed: ['201'],
      });
    } finally {
      await stranger.close();
    }
  });

  it('lists in numeric order, finds by user ID, and removes with cascades', async () => {
    for (const tel of ['1000', '201', '99'])
      await store.stations.create({ tel, password: 'secret1' }, { realm });
    await store.stations.update('201', { forwardUnreachable: '99' }, { realm });
    await store.stations.update('1000', { forwardUnreachable: '99' }, { realm });
    expect((await store.stations.list()).map((s) => s.tel)).toEqual(['99', '201', '1000']);
    expect((await store.stations.findByUserId('201'))?.tel).toBe('201');
    await store.registrations.upsert({
      tel: '99',
      contact: 'sip:99@127.0.0.1:5070',
      sourceIp: '127.0.0.1',
      sourcePort: 5070,
      protocol: 'udp',
      expiresAt: Date.now() + 60_000,
      callId: 'c',
      cseq: 1,
    });
    const r = await store.stations.remove('99');
    expect(r.clearedForwardFrom).toEqual(['201', '1000']);
    expect(await store.stations.exists('99')).toBe(false);
    expect((await store.stations.get('201'))?.forwardUnreachable).toBeNull();
    expect(await store.registrations.list()).toEqual([]);
    await expect(store.stations.remove('99')).rejects.toThrow(NotFoundError);
  });

  it('enforces the table rules even without the CLI', async () => {
    await expect(
      store.stations.create({ tel: '20a', password: 'secret1' }, { realm }),
    ).rejects.toThrow(/CHECK/);
    await expect(
      store.stations.create({ tel: '201', userId: '  ', password: 'secret1' }, { realm }),
    ).rejects.toThrow(/CHECK/);
    await store.stations.create({ tel: '201', password: 'secret1' }, { realm });
    await expect(
      store.stations.update('201', { toneSource: 'loud' as never }, { realm }),
    ).rejects.toThrow(/CHECK/);
  });
});
