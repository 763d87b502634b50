/**
 * The registrar's decisions on plain requests, over an in-memory store, with a hand-written
 * digest client (RFC 2617 formulas computed here, not with the code under test).
 */
import { createHash } from 'node:crypto';
import pino from 'pino';
import { Store } from '@pbx/store';
import { WhitelistCache } from '../../src/registrar/access-checks';
import { BindingTable } from '../../src/registrar/bindings';
import { CommExclusive } from '../../src/registrar/comm-exclusive';
import { NonceService } from '../../src/registrar/nonce';
import { REASON, REFUSALS } from '../../src/registrar/refusals';
import {
  Registrar,
  type RegisterOutcome,
  type RegisterRequest,
  type RegistrarSettings,
} from '../../src/registrar/registrar';
import { CredentialDirectory } from '../../src/registrar/credential-directory';
import { bindingLookup } from '../../src/registrar/registration-lookup';

const REALM = 'pbx.local';
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

interface Harness {
  store: Store;
  registrar: Registrar;
  bindings: BindingTable;
  whitelist: WhitelistCache;
  settings: RegistrarSettings & { retryLimit: number };
  clock: { now: number };
  directory: CredentialDirectory;
}

async function harness(): Promise<Harness> {
  const clock = { now: 1_800_000_000_000 };
  const store = await Store.open({ path: ':memory:', clock: () => clock.now });
  const settings = {
    realm: REALM,
    expireTime: 600,
    natRegExpireTime: 60,
    maxStations: 128,
    commExclusive: 'response' as 'response' | 'no-response',
    retryLimit: 3,
  };
  const log = pino({ level: 'silent' });
  const comm = new CommExclusive({
    blocks: store.blocks,
    accessLog: store.accessLog,
    settings: () => ({
      mode: settings.commExclusive,
      retryLimit: settings.retryLimit,
      blockMs: 10_000,
    }),
    log,
  });
  const bindings = new BindingTable();
  const whitelist = new WhitelistCache(store.whitelist);
  await whitelist.load();
  const directory = new CredentialDirectory(store.stations, () => settings.realm);
  const registrar = new Registrar({
    registrations: store.registrations,
    accessLog: store.accessLog,
    directory,
    whitelist,
    comm,
    nonces: new NonceService({ ttlMs: 300_000 }),
    bindings,
    settings: () => settings,
    log,
    now: () => clock.now,
  });
  for (const tel of ['201', '202', '203']) {
    await store.stations.create(
      { tel, password: `secret${tel}`, useWhitelist: false },
      { realm: REALM },
    );
  }
  await store.stations.create(
    { tel: '210', userId: 'alice', password: 'secret210', useWhitelist: true },
    { realm: REALM },
  );
  return { store, registrar, bindings, whitelist, settings, clock, directory };
}

let callSeq = 0;

/** A phone at `ip:port` registering `tel` (Contact on the same address unless given). */
function request(
  tel: string,
  o: Partial<RegisterRequest> & { ip?: string; port?: number } = {},
): RegisterRequest {
  const ip = o.ip ?? '10.0.0.5';
  const port = o.port ?? 5062;
  return {
    requestUri: `sip:${REALM}`,
    to: `<sip:${tel}@${REALM}>`,
    callId: o.callId ?? `call-${++callSeq}`,
    cseq: 1,
    contact: `<sip:${tel}@${ip}:${port}>`,
    expires: '3600',
    authorization: undefined,
    via: `SIP/2.0/UDP ${ip}:${port};branch=z9hG4bK${callSeq}`,
    userAgent: 'TestPhone/1.0',
    source: { ip, port, protocol: 'udp' },
    ...o,
  };
}

function challengeOf(out: RegisterOutcome): Record<string, string> {
  if (out.kind !== 'reply' || out.status !== 401)
    throw new Error(`expected 401, got ${JSON.stringify(out)}`);
  const h = out.headers['WWW-Authenticate']!;
  return Object.fromEntries(
    [...h.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1]!, m[2] ?? m[3]!]),
  );
}

function authorize(
  ch: Record<string, string>,
  user: string,
  password: string,
  nc = 1,
  realm = ch.realm!,
): string {
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ncText = nc.toString(16).padStart(8, '0');
  const uri = `sip:${REALM}`;
  const response = md5(`${ha1}:${ch.nonce}:${ncText}:abcdef:auth:${md5(`REGISTER:${uri}`)}`);
  return `Digest username="${user}", realm="${realm}", nonce="${ch.nonce}", uri="${uri}", response="${response}", algorithm=MD5, cnonce="abcdef", qop=auth, nc=${ncText}, opaque="${ch.opaque}"`;
}

/** Challenge, then answer; returns the second outcome. */
async function register(
  h: Harness,
  tel: string,
  password: string,
  o: Partial<RegisterRequest> & { ip?: string; port?: number; user?: string } = {},
): Promise<RegisterOutcome> {
  const first = request(tel, o);
  const ch = challengeOf(await h.registrar.handle(first));
  return h.registrar.handle({
    ...first,
    cseq: 2,
    authorization: authorize(ch, o.user ?? tel, password),
  });
}

const status = (o: RegisterOutcome): number | 'drop' => (o.kind === 'drop' ? 'drop' : o.status);

describe('Registrar', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.store.close();
  });

  test('challenge, then 200 with the Contact and the expiry capped to the SIP expire time', async () => {
    const ch = challengeOf(await h.registrar.handle(request('201')));
    expect(ch).toMatchObject({ realm: REALM, algorithm: 'MD5', qop: 'auth' });
    expect(ch.stale).toBeUndefined();
    const out = await register(h, '201', 'secret201');
    expect(out).toMatchObject({ kind: 'reply', status: 200 });
    if (out.kind !== 'reply') return;
    expect(out.headers.Contact).toBe('<sip:201@10.0.0.5:5062>;expires=600');
    expect(out.headers.Expires).toBe('600');
    const [row] = await h.store.registrations.listByTel('201');
    expect(row).toMatchObject({
      contact: 'sip:201@10.0.0.5:5062',
      sourceIp: '10.0.0.5',
      sourcePort: 5062,
      protocol: 'udp',
      userAgent: 'TestPhone/1.0',
      expiresAt: h.clock.now + 600_000,
      extra: { natted: false, requestedExpires: 3600, grantedExpires: 600, contactParams: '' },
    });
    expect(h.bindings.isRegistered('201', h.clock.now)).toBe(true);
  });

  test('the binding kept in memory is the stored row once answered; a refresh keeps its id', async () => {
    const kept = () => h.bindings.get('201', 'sip:201@10.0.0.5:5062');
    expect(await register(h, '201', 'secret201')).toMatchObject({ status: 200 });
    const [row] = await h.store.registrations.listByTel('201');
    expect(row!.id).toBeGreaterThan(0);
    expect(kept()).toEqual(row);
    const first = kept()!;
    h.clock.now += 5_000;
    expect(await register(h, '201', 'secret201')).toMatchObject({ status: 200 });
    expect(kept()).not.toBe(first);
    expect(kept()).toEqual((await h.store.registrations.listByTel('201'))[0]);
    expect(kept()).toMatchObject({
      id: first.id,
      registeredAt: first.registeredAt,
      updatedAt: h.clock.now,
    });
  });

  test('a binding whose write fails is not answered: the failure reaches the SIP port', async () => {
    // The station is known to the directory but gone from the database when its rows are
    // written (the CLI removed it meanwhile), beside a registration that is written fine.
    await h.directory.load();
    await h.store.stations.remove('202');
    const [ok, failed] = await Promise.allSettled([
      register(h, '201', 'secret201'),
      register(h, '202', 'secret202'),
    ]);
    expect(ok).toMatchObject({ status: 'fulfilled', value: { kind: 'reply', status: 200 } });
    expect(failed).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/FOREIGN KEY/) as unknown },
    });
    expect((await h.store.registrations.list()).map((r) => r.tel)).toEqual(['201']);
  });

  test('a shorter request is granted as asked; the Contact expires parameter wins over Expires', async () => {
    const out = await register(h, '201', 'secret201', {
      contact: '<sip:201@10.0.0.5:5062>;expires=30;+sip.instance="<urn:x>"',
    });
    expect(out).toMatchObject({
      status: 200,
      headers: { Contact: '<sip:201@10.0.0.5:5062>;+sip.instance="<urn:x>";expires=30' },
    });
  });

  test('behind NAT (Contact address differs from the source): NAT Reg Expire Time', async () => {
    const out = await register(h, '201', 'secret201', {
      contact: '<sip:201@192.168.1.20:5060>',
      via: 'SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bKx;rport',
      source: { ip: '203.0.113.9', port: 40001, protocol: 'udp' },
    });
    expect(out).toMatchObject({ status: 200, headers: { Expires: '60' } });
    expect((await h.store.registrations.listByTel('201'))[0]).toMatchObject({
      sourceIp: '203.0.113.9',
      sourcePort: 40001,
      extra: { natted: true },
    });
  });

  test.each([
    ['unknown station', '299', '299', 'secret299', REFUSALS['unknown-station'].reason],
    ['wrong user ID', '210', '210', 'secret210', REFUSALS['wrong-user-id'].reason],
    ['bad password', '201', '201', 'secret202', REFUSALS['bad-password'].reason],
  ])(
    '%s → 403 after the challenge, written to the access log',
    async (_what, tel, user, password, reason) => {
      const out = await register(h, tel, password, { user });
      expect(status(out)).toBe(403);
      expect(await h.store.accessLog.list()).toEqual([
        expect.objectContaining({ ip: '10.0.0.5', port: 5062, callerId: tel, reason }),
      ]);
    },
  );

  test('digest uri other than the Request-URI → 400 Digest URI Mismatch, logged, counted', async () => {
    const first = request('201');
    const ch = challengeOf(await h.registrar.handle(first));
    // Credentials computed for sip:<realm> sent with another Request-URI (a replayed answer).
    const out = await h.registrar.handle({
      ...first,
      requestUri: 'sip:elsewhere.invalid',
      cseq: 2,
      authorization: authorize(ch, '201', 'secret201'),
    });
    expect(out).toMatchObject({ kind: 'reply', status: 400, phrase: 'Digest URI Mismatch' });
    expect((await h.store.accessLog.list()).map((e) => e.reason)).toEqual([
      REFUSALS['digest-uri-mismatch'].reason,
    ]);
    expect(h.bindings.isRegistered('201', h.clock.now)).toBe(false);
    // Case and angle brackets do not matter: the same URI written otherwise is accepted.
    const again = request('201', { requestUri: `SIP:${REALM.toUpperCase()}` });
    const ch2 = challengeOf(await h.registrar.handle(again));
    expect(
      status(
        await h.registrar.handle({
          ...again,
          cseq: 2,
          authorization: authorize(ch2, '201', 'secret201'),
        }),
      ),
    ).toBe(200);
  });

  test('the white list: refused until the address is listed', async () => {
    expect(status(await register(h, '210', 'secret210', { user: 'alice' }))).toBe(403);
    expect((await h.store.accessLog.list()).map((e) => e.reason)).toEqual([
      REFUSALS['not-whitelisted'].reason,
    ]);
    await h.store.whitelist.add('10.0.0.255');
    await h.whitelist.load();
    expect(status(await register(h, '210', 'secret210', { user: 'alice' }))).toBe(200);
  });

  test('nonce replay is challenged again; a stale nonce is challenged with stale=true', async () => {
    const first = request('201');
    const ch = challengeOf(await h.registrar.handle(first));
    const answer = { ...first, cseq: 2, authorization: authorize(ch, '201', 'secret201') };
    expect(status(await h.registrar.handle(answer))).toBe(200);
    expect(challengeOf(await h.registrar.handle({ ...answer, cseq: 3 })).stale).toBeUndefined();
    // The next count on the same nonce is fine.
    expect(
      status(
        await h.registrar.handle({
          ...answer,
          cseq: 4,
          authorization: authorize(ch, '201', 'secret201', 2),
        }),
      ),
    ).toBe(200);
    h.clock.now += 300_001;
    expect(
      challengeOf(
        await h.registrar.handle({
          ...answer,
          cseq: 5,
          authorization: authorize(ch, '201', 'secret201', 3),
        }),
      ).stale,
    ).toBe('true');
    // None of these was a failure.
    expect(await h.store.accessLog.count()).toBe(0);
  });

  test('a foreign realm or a forged nonce gets a new challenge, not a refusal', async () => {
    const first = request('201');
    const ch = challengeOf(await h.registrar.handle(first));
    expect(
      status(
        await h.registrar.handle({
          ...first,
          authorization: authorize(ch, '201', 'secret201', 1, 'other.realm'),
        }),
      ),
    ).toBe(401);
    expect(
      status(
        await h.registrar.handle({
          ...first,
          authorization: authorize({ ...ch, nonce: 'x'.repeat(40) }, '201', 'secret201'),
        }),
      ),
    ).toBe(401);
    expect(status(await h.registrar.handle({ ...first, authorization: 'Digest garbage' }))).toBe(
      401,
    );
    expect(await h.store.accessLog.count()).toBe(0);
  });

  test('licence full: a further station is refused (not counted as a failure), registered ones refresh', async () => {
    h.settings.maxStations = 1;
    h.settings.retryLimit = 1;
    expect(status(await register(h, '201', 'secret201'))).toBe(200);
    const out = await register(h, '202', 'secret202');
    expect(out).toMatchObject({ status: 403, phrase: 'Licence Full' });
    expect(status(await register(h, '201', 'secret201'))).toBe(200);
    // Once 201's binding expires, 202 may register.
    h.clock.now += 601_000;
    expect(status(await register(h, '202', 'secret202'))).toBe(200);
    expect((await h.store.accessLog.list()).map((e) => e.reason)).toEqual([
      REFUSALS['licence-full'].reason,
    ]);
  });

  test('un-register: expires=0 removes one contact, Contact: * all of them', async () => {
    await register(h, '201', 'secret201', { port: 5062 });
    await register(h, '201', 'secret201', { port: 5064 });
    expect(h.bindings.live('201', h.clock.now)).toHaveLength(2);
    const one = await register(h, '201', 'secret201', { port: 5062, expires: '0' });
    expect(one).toMatchObject({
      status: 200,
      headers: { Contact: '<sip:201@10.0.0.5:5064>;expires=600' },
    });
    expect((await h.store.registrations.listByTel('201')).map((r) => r.contact)).toEqual([
      'sip:201@10.0.0.5:5064',
    ]);
    const all = await register(h, '201', 'secret201', { contact: '*', expires: '0' });
    expect(all).toMatchObject({ status: 200 });
    if (all.kind === 'reply') expect(all.headers.Contact).toBeUndefined();
    expect(await h.store.registrations.listByTel('201')).toEqual([]);
    expect(h.bindings.size).toEqual({ stations: 0, bindings: 0 });
  });

  test('a REGISTER without Contact lists the bindings; a new Contact under the same Call-ID replaces the old', async () => {
    await register(h, '201', 'secret201', { port: 5062, callId: 'phone-1' });
    const query = await register(h, '201', 'secret201', { contact: undefined, callId: 'phone-1' });
    expect(query).toMatchObject({
      status: 200,
      headers: { Contact: '<sip:201@10.0.0.5:5062>;expires=600' },
    });
    await register(h, '201', 'secret201', { port: 5070, callId: 'phone-1' });
    expect((await h.store.registrations.listByTel('201')).map((r) => r.contact)).toEqual([
      'sip:201@10.0.0.5:5070',
    ]);
  });

  test('Comm Exclusive: the failure at the retry limit blocks; response mode answers 403 without a challenge', async () => {
    for (let i = 0; i < 2; i++) expect(status(await register(h, '201', 'wrongpw'))).toBe(403);
    expect(status(await register(h, '201', 'wrongpw'))).toBe(403);
    expect(await h.store.blocks.isBlocked('10.0.0.5')).toBe(true);
    expect(status(await h.registrar.handle(request('201')))).toBe(403);
    // Another address still works.
    expect(status(await register(h, '202', 'secret202', { ip: '10.0.0.6' }))).toBe(200);
    const reasons = (await h.store.accessLog.list()).map((e) => e.reason);
    expect(reasons.slice(-1)).toEqual([REASON.blocked(3)]);
  });

  test('Comm Exclusive no-response: the tripping failure and every later request are dropped', async () => {
    h.settings.commExclusive = 'no-response';
    h.settings.retryLimit = 2;
    expect(status(await register(h, '201', 'wrongpw'))).toBe(403);
    expect(status(await register(h, '201', 'wrongpw'))).toBe('drop');
    expect(status(await h.registrar.handle(request('201')))).toBe('drop');
    h.clock.now += 10_001;
    expect(status(await register(h, '201', 'secret201'))).toBe(200);
  });

  test('events: bound on registration, unbound on un-registration', async () => {
    const seen: string[] = [];
    h.registrar.on('bound', (r, fresh) => seen.push(`bound ${r.tel} ${fresh}`));
    h.registrar.on('unbound', (r, cause) => seen.push(`unbound ${r.tel} ${cause}`));
    await register(h, '201', 'secret201');
    await register(h, '201', 'secret201');
    await register(h, '201', 'secret201', { expires: '0' });
    expect(seen).toEqual(['bound 201 true', 'bound 201 false', 'unbound 201 unregistered']);
  });
});

describe('the lookup call control reads (bindingLookup)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.store.close();
  });

  test('a REGISTER is seen at once: registered, located at its Contact, source matched, change told', async () => {
    const lookup = bindingLookup(h.registrar, h.bindings, () => h.clock.now);
    const changed: string[] = [];
    lookup.onChange((tel) => changed.push(tel));
    expect(lookup.isRegistered('201')).toBe(false);
    expect(lookup.locate('201', 'ip')).toBeUndefined();
    await register(h, '201', 'secret201', { ip: '10.0.0.5', port: 5062 });
    expect(lookup.isRegistered('201')).toBe(true);
    expect(lookup.locate('201', 'ip')).toEqual({ uri: 'sip:201@10.0.0.5:5062' });
    expect(lookup.matchesSource('201', { address: '10.0.0.5', port: 1 }, 'ip')).toBe(true);
    expect(lookup.matchesSource('201', { address: '10.0.0.5', port: 1 }, 'ip-port')).toBe(false);
    expect(lookup.matchesSource('201', { address: '10.0.0.6', port: 5062 }, 'ip')).toBe(false);
    expect(changed).toEqual(['201']);
    // Expired bindings count as gone even before the sweep removes them.
    h.clock.now += 601_000;
    expect(lookup.isRegistered('201')).toBe(false);
    expect(lookup.locate('201', 'ip')).toBeUndefined();
  });

  test('static bindings (addBinding) are stored for restarts and removable like registrations', async () => {
    const lookup = bindingLookup(h.registrar, h.bindings, () => h.clock.now);
    const changed: string[] = [];
    lookup.onChange((tel) => changed.push(tel));
    await h.registrar.addBinding({
      tel: '202',
      contact: 'sip:202@127.0.0.2:5070',
      sourceIp: '127.0.0.2',
      sourcePort: 5070,
      expiresAt: h.clock.now + 60_000,
    });
    expect(lookup.locate('202', 'ip')).toEqual({ uri: 'sip:202@127.0.0.2:5070' });
    expect(await h.store.registrations.listByTel('202', { activeAt: h.clock.now })).toHaveLength(1);
    await h.registrar.removeBindings('202');
    expect(lookup.isRegistered('202')).toBe(false);
    expect(await h.store.registrations.listByTel('202', { activeAt: h.clock.now })).toHaveLength(0);
    expect(changed).toEqual(['202', '202']);
  });

  test('the newest of several bindings is where INVITEs go', async () => {
    const lookup = bindingLookup(h.registrar, h.bindings, () => h.clock.now);
    const bind = (port: number) =>
      h.registrar.addBinding({
        tel: '203',
        contact: `sip:203@127.0.0.3:${port}`,
        sourceIp: '127.0.0.3',
        sourcePort: port,
        expiresAt: h.clock.now + 60_000,
      });
    await bind(5080);
    h.clock.now += 1_000;
    await bind(5082);
    expect(lookup.locate('203', 'ip')?.uri).toBe('sip:203@127.0.0.3:5082');
  });
});
