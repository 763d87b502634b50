import { ConflictError, NotFoundError, type Store } from '../src';
import { openTempStore } from './helpers';

describe('TrunkRepo', () => {
  let store: Store;
  let done: () => Promise<void>;
  let path: string;

  beforeEach(async () => {
    const t = await openTempStore({ clock: () => 5_000 });
    ({ store, done } = t);
    path = (t as unknown as { path?: string }).path ?? '';
  });
  afterEach(() => done());

  it('stores the password encrypted, never in clear, and gives it back to the PBX', async () => {
    const t = await store.trunks.create({
      name: 'itsp',
      host: '127.0.0.10',
      username: '0399990000',
      password: 'pa55-word!',
      realm: 'provider.test',
    });
    expect(t).toMatchObject({ name: 'itsp', port: 5060, transport: 'udp', hasPassword: true });
    expect(JSON.stringify(t)).not.toContain('pa55-word!');
    const row = await store.db.get<{ password_enc: string }>(
      'SELECT password_enc FROM trunks WHERE name = ?',
      ['itsp'],
    );
    expect(row?.password_enc).toMatch(/^v1:/);
    expect(row?.password_enc).not.toContain('pa55');
    expect(await store.trunks.password('itsp')).toBe('pa55-word!');
    void path;
  });

  it('refuses a registering trunk without credentials and accepts an IP trunk', async () => {
    await expect(store.trunks.create({ name: 'a', host: 'sip.example.com' })).rejects.toThrow(
      ConflictError,
    );
    const ip = await store.trunks.create({ name: 'b', host: 'sip.example.com', register: false });
    expect(ip.register).toBe(false);
    await expect(store.trunks.update('b', { register: true })).rejects.toThrow(/username/);
    await expect(store.trunks.create({ name: 'b', host: 'x', register: false })).rejects.toThrow(
      /already exists/,
    );
  });

  it('updates fields, lists, removes with DIDs, routes and status', async () => {
    await store.trunks.create({ name: 'b', host: '127.0.0.5', register: false });
    const u = await store.trunks.update('b', {
      maxChannels: 2,
      codecs: ['PCMA'],
      inboundAddresses: ['127.0.0.6', '10.0.0.0/8'],
    });
    expect(u).toMatchObject({ maxChannels: 2, codecs: ['PCMA'] });
    expect(u.inboundAddresses).toEqual(['127.0.0.6', '10.0.0.0/8']);
    await store.trunks.setDid({ did: '0398720000', trunk: 'b', target: '201' });
    await store.trunks.setRoute({ prefix: '0', trunk: 'b', priority: 1, strip: 0, addPrefix: '' });
    await store.trunks.setStatus({ trunk: 'b', state: 'ip', lastError: '', untilAt: null });
    expect(await store.trunks.dids()).toEqual([{ did: '0398720000', trunk: 'b', target: '201' }]);
    expect(await store.trunks.routes()).toHaveLength(1);
    expect((await store.trunks.statuses())[0]).toMatchObject({ trunk: 'b', state: 'ip' });
    await store.trunks.remove('b');
    expect(await store.trunks.dids()).toEqual([]);
    expect(await store.trunks.routes()).toEqual([]);
    expect(await store.trunks.statuses()).toEqual([]);
    await expect(store.trunks.remove('b')).rejects.toThrow(NotFoundError);
  });

  it('keeps a DID on one trunk and bumps the trunks change area', async () => {
    await store.trunks.create({ name: 'a', host: '127.0.0.5', register: false });
    await store.trunks.create({ name: 'b', host: '127.0.0.6', register: false });
    const before = (await store.changes.counters())['trunks'] ?? 0;
    await store.trunks.setDid({ did: '100', trunk: 'a', target: '' });
    await expect(store.trunks.setDid({ did: '100', trunk: 'b', target: '' })).rejects.toThrow(
      /belongs to trunk a/,
    );
    expect((await store.changes.counters())['trunks']).toBeGreaterThan(before);
  });
});

describe('BillingRepo', () => {
  let store: Store;
  let done: () => Promise<void>;
  beforeEach(async () => {
    ({ store, done } = await openTempStore({ clock: () => 7_000 }));
  });
  afterEach(() => done());

  it('moves a balance only with a ledger row', async () => {
    await store.billing.createAccount({ id: '201', kind: 'prepaid' });
    await store.billing.post('201', 5_000_000, { note: 'top-up' });
    const a = await store.billing.post('201', -1_250_000, { callRef: 'c1', note: 'call' });
    expect(a.balance).toBe(3_750_000);
    expect((await store.billing.ledger('201')).map((l) => l.amount)).toEqual([
      5_000_000, -1_250_000,
    ]);
    await expect(store.billing.post('nobody', 1)).rejects.toThrow(NotFoundError);
  });

  it('replaces the rate table and keeps auth codes unique', async () => {
    await store.billing.replaceRates([
      { prefix: '0', perMinute: 100_000, minSeconds: 0, incrementSeconds: 60, setupFee: 0 },
    ]);
    await store.billing.replaceRates([
      { prefix: '04', perMinute: 300_000, minSeconds: 30, incrementSeconds: 6, setupFee: 10_000 },
    ]);
    expect((await store.billing.rates()).map((r) => r.prefix)).toEqual(['04']);
    await store.billing.addAuthCode({ code: '4321', account: 'sales', note: '' });
    await expect(
      store.billing.addAuthCode({ code: '4321', account: 'x', note: '' }),
    ).rejects.toThrow(ConflictError);
  });
});
