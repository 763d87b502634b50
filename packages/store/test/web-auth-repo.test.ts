import { NotFoundError, verifyWebPassword, type Store } from '../src';
import { openTempStore } from './helpers';

describe('WebAuthRepo', () => {
  let store: Store;
  let done: () => Promise<void>;

  beforeEach(async () => {
    ({ store, done } = await openTempStore());
  });
  afterEach(() => done());

  it('stores the admin password as a salted hash and verifies it', async () => {
    expect(await store.webAuth.hasAdmin()).toBe(false);
    expect(await store.webAuth.verifyAdmin('admin', 'anything')).toBe(false);
    await store.webAuth.setAdminPassword('s3cret-pw');
    expect(await store.webAuth.hasAdmin()).toBe(true);
    expect(await store.webAuth.verifyAdmin('admin', 's3cret-pw')).toBe(true);
    expect(await store.webAuth.verifyAdmin('admin', 's3cret-pX')).toBe(false);
    const row = await store.db.get<{ password_hash: string }>('SELECT * FROM web_admins');
    expect(row?.password_hash).toMatch(/^scrypt\$/);
    expect(row?.password_hash).not.toContain('s3cret');
    await store.webAuth.setAdminPassword('other-pw');
    expect(await store.webAuth.verifyAdmin('admin', 's3cret-pw')).toBe(false);
    expect(await store.webAuth.verifyAdmin('admin', 'other-pw')).toBe(true);
  });

  it('keeps a CTI password per station, apart from the SIP password, gone with the station', async () => {
    await store.stations.create({ tel: '201', password: 'sipPass1' }, { realm: 'pbx.local' });
    await expect(store.webAuth.setCtiPassword('299', 'whatever')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(await store.webAuth.verifyCti('201', 'sipPass1')).toBe(false);
    await store.webAuth.setCtiPassword('201', 'cti-pass');
    expect(await store.webAuth.hasCtiPassword('201')).toBe(true);
    expect(await store.webAuth.verifyCti('201', 'cti-pass')).toBe(true);
    expect(await store.webAuth.verifyCti('201', 'sipPass1')).toBe(false);
    await store.stations.remove('201');
    expect(await store.webAuth.hasCtiPassword('201')).toBe(false);
  });

  it('refuses malformed stored hashes instead of throwing', async () => {
    expect(await verifyWebPassword('x', 'plain')).toBe(false);
    expect(await verifyWebPassword('x', 'scrypt$1$8$1$AAAA$AAAA')).toBe(false);
    expect(await verifyWebPassword('x', 'scrypt$99999999$8$1$AAAA$AAAA')).toBe(false);
    const key32 = Buffer.alloc(32).toString('base64');
    expect(await verifyWebPassword('x', `scrypt$3$8$1$AAAA$${key32}`)).toBe(false);
  });
});
