import { Store } from '@pbx/store';
import { CredentialDirectory } from '../../src/registrar/credential-directory';

test('stations come from one list query; credentials are fetched once per station and realm', async () => {
  await using store = await Store.open({ path: ':memory:' });
  await store.stations.create({ tel: '201', password: 'secret201' }, { realm: 'a.local' });
  const repo = {
    list: jest.fn(() => store.stations.list()),
    get: jest.fn((tel: string) => store.stations.get(tel)),
    getCredentials: jest.fn((tel: string, realm: string) =>
      store.stations.getCredentials(tel, realm),
    ),
  };
  let realm = 'a.local';
  const dir = new CredentialDirectory(repo, () => realm);
  await dir.load();
  const first = await dir.lookup('201');
  expect(first?.credentials).toMatchObject({ tel: '201', userId: '201', realm: 'a.local' });
  await dir.lookup('201');
  expect(repo.get).not.toHaveBeenCalled();
  expect(repo.getCredentials).toHaveBeenCalledTimes(1);

  // A new realm derives new credentials.
  realm = 'b.local';
  const other = await dir.lookup('201');
  expect(other?.credentials.realm).toBe('b.local');
  expect(other?.credentials.ha1).not.toBe(first?.credentials.ha1);

  // A station created after the load is found in the database; an unknown one is not cached.
  await store.stations.create({ tel: '202', password: 'secret202' }, { realm: 'b.local' });
  expect((await dir.lookup('202'))?.station.tel).toBe('202');
  expect(await dir.lookup('299')).toBeUndefined();
  expect(await dir.lookup('299')).toBeUndefined();
  expect(repo.get).toHaveBeenCalledTimes(3);
  expect(dir.size).toEqual({ stations: 1, credentials: 2 });

  // Reloading picks up the new station and forgets credentials (they may have changed).
  await dir.load();
  expect(dir.size).toEqual({ stations: 2, credentials: 0 });
});

test('with listCredentials, the load also brings the credentials of the realm in one query', async () => {
  await using store = await Store.open({ path: ':memory:' });
  await store.stations.create({ tel: '201', password: 'secret201' }, { realm: 'a.local' });
  await store.stations.create({ tel: '202', password: 'secret202' }, { realm: 'other.local' });
  const repo = {
    list: () => store.stations.list(),
    get: (tel: string) => store.stations.get(tel),
    getCredentials: jest.fn((tel: string, realm: string) =>
      store.stations.getCredentials(tel, realm),
    ),
    listCredentials: jest.fn((realm: string) => store.stations.listCredentials(realm)),
  };
  const dir = new CredentialDirectory(repo, () => 'a.local');
  await dir.load();
  expect(repo.listCredentials).toHaveBeenCalledWith('a.local');
  expect(dir.size).toEqual({ stations: 2, credentials: 1 });
  // 201's HA1 is for this realm: no query; 202's is derived from its password on first use.
  const a = await dir.lookup('201');
  expect(a?.credentials).toEqual(await store.stations.getCredentials('201', 'a.local'));
  expect(repo.getCredentials).not.toHaveBeenCalled();
  const b = await dir.lookup('202');
  expect(b?.credentials).toEqual(await store.stations.getCredentials('202', 'a.local'));
  expect(repo.getCredentials).toHaveBeenCalledTimes(1);
});

test('cached() answers from memory only: loaded station with credentials of the current realm', async () => {
  await using store = await Store.open({ path: ':memory:' });
  await store.stations.create({ tel: '201', password: 'secret201' }, { realm: 'a.local' });
  let realm = 'a.local';
  const dir = new CredentialDirectory(store.stations, () => realm);
  expect(dir.cached('201')).toBeUndefined();
  await dir.load();
  expect(dir.cached('201')).toEqual(await dir.lookup('201'));
  expect(dir.cached('201')?.credentials.realm).toBe('a.local');
  expect(dir.cached('299')).toBeUndefined();
  // Another realm: not in memory until lookup derives it.
  realm = 'b.local';
  expect(dir.cached('201')).toBeUndefined();
  await dir.lookup('201');
  expect(dir.cached('201')?.credentials.realm).toBe('b.local');
});
