import { ChangeWatcher, computeHa1 } from '@pbx/store';
import { CliFixture, expectFailure } from './helpers';

describe('pbx whitelist', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('adds an IP, a CIDR block and the broadcast form, lists and removes', async () => {
    expect(await f.ok('whitelist', 'add', '192.168.1.255')).toBe(
      'added 192.168.1.0/24 (broadcast address 192.168.1.255)\n',
    );
    expect(await f.ok('whitelist', 'add', '10.1.0.0/16', '--note', 'vpn')).toBe(
      'added 10.1.0.0/16\n',
    );
    expect(await f.ok('whitelist', 'add', '127.0.0.5')).toBe('added 127.0.0.5/32\n');
    const list = await f.json<{ cidr: string; note: string }[]>('whitelist', 'list');
    expect(list.map((e) => [e.cidr, e.note])).toEqual([
      ['192.168.1.0/24', ''],
      ['10.1.0.0/16', 'vpn'],
      ['127.0.0.5/32', ''],
    ]);
    expect(await f.ok('whitelist', 'list')).toMatch(/10\.1\.0\.0\/16\s+│ vpn/);
    expect(await f.ok('whitelist', 'remove', '192.168.1.0/24')).toBe('removed 192.168.1.0/24\n');
    expect((await f.json<unknown[]>('whitelist', 'list')).length).toBe(2);
  });

  it('refuses bad entries (2), duplicates and unknown entries (1)', async () => {
    expectFailure(
      await f.pbx('whitelist', 'add', '192.168.1'),
      2,
      /"192\.168\.1" is not an IP address, a CIDR block or a broadcast address/,
    );
    expectFailure(await f.pbx('whitelist', 'add', '10.0.0.0/33'), 2, /not a valid CIDR block/);
    expectFailure(
      await f.pbx('whitelist', 'add', '255.255.255.255'),
      2,
      /would allow every address/,
    );
    await f.ok('whitelist', 'add', '192.168.1.0/24');
    expectFailure(
      await f.pbx('whitelist', 'add', '192.168.1.255'),
      1,
      '192.168.1.0/24 is already on the white list',
    );
    expectFailure(
      await f.pbx('whitelist', 'remove', '10.0.0.1'),
      1,
      'white-list entry 10.0.0.1/32 not found',
    );
    expect(await f.ok('whitelist', 'remove', '192.168.1.77/24')).toBe('removed 192.168.1.0/24\n');
    expect(await f.ok('whitelist', 'list')).toBe('white list is empty\n');
  });
});

describe('pbx status', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('shows the SIP Phone Status of every station', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    await f.ok('ext', 'add', '202', '--password', 'secret2');
    await f.ok('ext', 'add', '203', '--password', 'secret3');
    f.now = Date.parse('2030-01-01T00:00:00Z');
    const store = await f.store();
    try {
      await store.registrations.upsert({
        tel: '201',
        contact: '<sip:201@127.0.0.21:47268;transport=udp>',
        sourceIp: '127.0.0.21',
        sourcePort: 47268,
        protocol: 'udp',
        userAgent: 'Acme Phone 2.1',
        expiresAt: f.now + 540_000,
        callId: 'a',
        cseq: 2,
      });
      await store.registrations.upsert({
        tel: '202',
        contact: 'sip:202@10.0.0.5:5070',
        sourceIp: '127.0.0.22',
        sourcePort: 40000,
        protocol: 'tcp',
        expiresAt: f.now + 60_000,
        callId: 'b',
        cseq: 2,
      });
      // Expired but not yet purged: shown as not registered.
      await store.registrations.upsert({
        tel: '203',
        contact: 'sip:203@127.0.0.23',
        sourceIp: '127.0.0.23',
        sourcePort: 5060,
        protocol: 'udp',
        expiresAt: f.now - 1,
        callId: 'c',
        cseq: 2,
      });
    } finally {
      await store.close();
    }
    const rows = await f.json<Record<string, unknown>[]>('status');
    expect(rows).toEqual([
      {
        tel: '201',
        registered: true,
        phoneType: 'Acme Phone 2.1',
        publicIp: '127.0.0.21',
        publicPort: 47268,
        signalPort: 47268,
        protocol: 'UDP',
        contact: '<sip:201@127.0.0.21:47268;transport=udp>',
        expiresAt: '2030-01-01T00:09:00Z',
        expiresIn: 540,
      },
      {
        tel: '202',
        registered: true,
        phoneType: 'Non Samsung SIPP',
        publicIp: '127.0.0.22',
        publicPort: 40000,
        signalPort: 5070,
        protocol: 'TCP',
        contact: 'sip:202@10.0.0.5:5070',
        expiresAt: '2030-01-01T00:01:00Z',
        expiresIn: 60,
      },
      {
        tel: '203',
        registered: false,
        phoneType: 'Disconnected',
        publicIp: '0.0.0.0',
        publicPort: 0,
        signalPort: 0,
        protocol: '-',
        contact: null,
        expiresAt: null,
        expiresIn: null,
      },
    ]);
    const table = await f.ok('status');
    expect(table).toMatch(
      /Tel Number.*Current Status.*Phone Type.*Public IP Address.*Public Port.*Signal Port.*Protocol/,
    );
    expect(table).toMatch(
      /201\s+│ Registered\s+│ Acme Phone 2\.1\s+│ 127\.0\.0\.21\s+│ 47268\s+│ 47268\s+│ UDP\s+│ in 9m 0s/,
    );
    expect(table).toMatch(/203\s+│ Not Registered │ Disconnected/);
    expect(await f.json<unknown[]>('status', '202')).toHaveLength(1);
    expectFailure(await f.pbx('status', '299'), 1, 'station 299 not found');
  });
});

describe('pbx access-log', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('lists the Access Information table, filtered by --since and --limit', async () => {
    f.now = Date.parse('2030-01-01T12:00:00Z');
    const store = await f.store();
    try {
      await store.accessLog.add({
        at: f.now - 3 * 3600_000,
        ip: '127.0.0.31',
        callerId: '217',
        reason: 'SIP REGISTER IP/TELNO Invalid',
      });
      await store.accessLog.add({
        at: f.now - 1800_000,
        ip: '127.0.0.32',
        port: 5060,
        callerId: '218',
        reason: 'wrong password',
      });
      await store.accessLog.add({
        at: f.now - 60_000,
        ip: '127.0.0.33',
        callerId: '',
        reason: 'blocked: register retry limit',
      });
    } finally {
      await store.close();
    }
    const all =
      await f.json<{ date: string; ip: string; callerId: string; reason: string }[]>('access-log');
    expect(all.map((e) => e.callerId)).toEqual(['217', '218', '']);
    expect(all[0]).toEqual({
      date: '2030-01-01T09:00:00Z',
      ip: '127.0.0.31',
      port: null,
      callerId: '217',
      reason: 'SIP REGISTER IP/TELNO Invalid',
    });
    expect((await f.json<unknown[]>('access-log', '--since', '1h')).length).toBe(2);
    expect((await f.json<unknown[]>('access-log', '--since', '2030-01-01T11:59:00Z')).length).toBe(
      1,
    );
    expect((await f.json<{ ip: string }[]>('access-log', '--limit', '1')).map((e) => e.ip)).toEqual(
      ['127.0.0.33'],
    );
    const table = await f.ok('access-log');
    expect(table).toMatch(/Date\s+│ IP Address\s+│ Caller ID\s+│ Reason/);
    expect(table).toMatch(/127\.0\.0\.32:5060/);
    expectFailure(
      await f.pbx('access-log', '--since', 'yesterday'),
      2,
      /^error: --since: must be an ISO time/,
    );
    expectFailure(
      await f.pbx('access-log', '--limit', '0'),
      2,
      '--limit: must be a positive integer (got "0")',
    );
  });

  it('says when there is nothing', async () => {
    expect(await f.ok('access-log')).toBe('no access log entries\n');
  });
});

describe('pbx config', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('lists every option with its source, never the secret', async () => {
    const rows = await f.json<{ key: string; value: unknown; source: string }[]>('config', 'list');
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey['sip.port']).toMatchObject({ value: 5060, source: 'default' });
    expect(byKey['security.commExclusive']).toMatchObject({ value: 'response' });
    expect(byKey['control.secret']).toMatchObject({ value: '***', source: 'generated' });
    expect(byKey['db.path']).toMatchObject({ value: f.db, source: '--db' });
    expect(await f.ok('config', 'list')).toMatch(/sip\.expireTime\s+│ 600\s+│ default/);
  });

  it('sets, gets and unsets options with the schema of packages/config', async () => {
    expect(
      await f.ok(
        'config',
        'set',
        'sip.expire-time',
        '300',
        'security.commExclusive',
        'no-response',
      ),
    ).toBe('sip.expireTime = 300\nsecurity.commExclusive = no-response\n');
    expect(await f.ok('config', 'get', 'sip.expireTime')).toBe('300\n');
    expect(await f.json('config', 'get', 'security.comm-exclusive')).toEqual({
      key: 'security.commExclusive',
      value: 'no-response',
      source: 'database',
    });
    expect(await f.ok('config', 'set', 'security.registerBlockTimer', '500ms')).toBe(
      'security.registerBlockTimer = 0.5\n',
    );
    expect(await f.ok('config', 'set', 'sip.port', '5070')).toBe(
      'sip.port = 5070 (takes effect when the PBX restarts)\n',
    );
    expect(await f.ok('config', 'unset', 'sip.expireTime', 'sip.natRegExpireTime')).toBe(
      'sip.expireTime unset (now 600)\nsip.natRegExpireTime was not set\n',
    );
    const store = await f.store();
    try {
      expect(await store.options.all()).toEqual({
        'security.commExclusive': 'no-response',
        'security.registerBlockTimer': 0.5,
        'sip.port': 5070,
      });
    } finally {
      await store.close();
    }
  });

  it('refuses bad values (2) naming the key and rule', async () => {
    expectFailure(
      await f.pbx('config', 'set', 'sip.expireTime', 'soon'),
      2,
      'sip.expireTime: must be an integer between 1 and 86400 (got "soon")',
    );
    expectFailure(
      await f.pbx('config', 'set', 'security.commExclusive', 'maybe'),
      2,
      'security.commExclusive: must be response or no-response (got "maybe")',
    );
    expectFailure(
      await f.pbx('config', 'set', 'no.such', '1'),
      2,
      'no.such: unknown option (see pbx config list)',
    );
    expectFailure(
      await f.pbx('config', 'get', 'no.such'),
      2,
      'no.such: unknown option (see pbx config list)',
    );
    expectFailure(
      await f.pbx('config', 'set', 'db.path', '/x'),
      2,
      'db.path: cannot be set with pbx config set; use PBX_DB_PATH or PBX_DB or the PBX_CONFIG file',
    );
    expectFailure(
      await f.pbx('config', 'set', 'sip.expireTime', '300', 'sip.port'),
      2,
      'config set: option sip.port has no value',
    );
    expectFailure(
      await f.pbx('config', 'set', 'sip.tlsCert', '/c.pem'),
      2,
      'sip.tlsKey: is required when sip.tlsCert is set (TLS needs both)',
    );
    expect(await f.ok('config', 'set', 'sip.tlsCert', '/c.pem', 'sip.tlsKey', '/k.pem')).toMatch(
      /sip\.tlsKey = \/k\.pem/,
    );
    const store = await f.store();
    try {
      expect(Object.keys(await store.options.all()).sort()).toEqual(['sip.tlsCert', 'sip.tlsKey']);
    } finally {
      await store.close();
    }
  });

  it('re-derives station credentials when the domain (realm) changes', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    expect(await f.ok('config', 'set', 'sip.domain', 'office.example')).toBe(
      'sip.domain = office.example\nre-derived the digest credentials of 1 stations for realm office.example\n',
    );
    const store = await f.store();
    try {
      const row = await store.db.get<{ ha1: string; ha1_realm: string }>(
        'SELECT ha1, ha1_realm FROM stations',
      );
      expect(row).toEqual({
        ha1: computeHa1('201', 'office.example', 'secret1'),
        ha1_realm: 'office.example',
      });
    } finally {
      await store.close();
    }
  });

  it('notes when the environment overrides a stored value', async () => {
    const r = await f.raw(['--db', f.db, 'config', 'set', 'sip.domain', 'a.example'], {
      PBX_DOMAIN: 'env.example',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('note: PBX_DOMAIN overrides the stored value here');
  });

  it('can repair a bad stored value that breaks the configuration', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    const store = await f.store();
    try {
      await store.options.set('sip.expireTime', 'never');
    } finally {
      await store.close();
    }
    expectFailure(
      await f.pbx('ext', 'add', '202', '--password', 'secret2'),
      2,
      'sip.expireTime: must be an integer between 1 and 86400 (got "never" from the database)',
    );
    expect(await f.ok('ext', 'list')).toContain('201');
    await f.ok('config', 'set', 'sip.expireTime', '600');
    await f.ok('ext', 'add', '202', '--password', 'secret2');
  });
});

describe('pbx block', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('lists blocks in force and unblocks', async () => {
    f.now = Date.parse('2030-01-01T00:00:00Z');
    const store = await f.store();
    try {
      await store.blocks.block({
        ip: '127.0.0.66',
        blockedUntil: f.now + 60_000,
        reason: 'register retry limit',
        failures: 3,
      });
      await store.blocks.block({ ip: '127.0.0.67', blockedUntil: f.now - 1 });
    } finally {
      await store.close();
    }
    expect(await f.json('block', 'list')).toEqual([
      {
        ip: '127.0.0.66',
        blockedAt: expect.any(String),
        blockedUntil: '2030-01-01T00:01:00Z',
        remainingSeconds: 60,
        failures: 3,
        reason: 'register retry limit',
      },
    ]);
    expect(await f.ok('block', 'list')).toMatch(/127\.0\.0\.66\s+│ 2030-01-01T00:01:00Z │ 1m 0s/);
    expect(await f.ok('block', 'remove', '127.0.0.66')).toBe('unblocked 127.0.0.66\n');
    expect(await f.ok('block', 'unblock', '127.0.0.67')).toBe(
      'removed expired block of 127.0.0.67\n',
    );
    expectFailure(
      await f.pbx('block', 'remove', '127.0.0.66'),
      1,
      'blocked IP 127.0.0.66 not found',
    );
    expectFailure(await f.pbx('block', 'remove', 'nope'), 2, '"nope" is not an IP address');
    expect(await f.ok('block', 'list')).toBe('no blocked IP addresses\n');
  });

  it('blocks by hand for a duration and logs it', async () => {
    f.now = Date.parse('2030-01-01T00:00:00Z');
    expect(await f.ok('block', 'add', '::ffff:127.0.0.70', '--for', '10m')).toBe(
      'blocked 127.0.0.70 until 2030-01-01T00:10:00Z\n',
    );
    expect(await f.json('access-log')).toEqual([
      {
        date: '2030-01-01T00:00:00Z',
        ip: '127.0.0.70',
        port: null,
        callerId: '',
        reason: 'blocked by administrator',
      },
    ]);
    expectFailure(
      await f.pbx('block', 'add', '127.0.0.70', '--for', 'long'),
      2,
      /--for: must be a duration/,
    );
  });
});

describe('usage errors and the database choice', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('exits 2 on unknown commands and options, 0 on --help', async () => {
    expectFailure(await f.pbx('nothing'), 2, "unknown command 'nothing'");
    expectFailure(await f.pbx('ext', 'list', '--bogus'), 2, "unknown option '--bogus'");
    expectFailure(await f.pbx('ext', 'show'), 2, "missing required argument 'tel'");
    const none = await f.pbx();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^Usage: pbx/);
    const help = await f.pbx('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /Commands:[\s\S]*ext[\s\S]*whitelist[\s\S]*status[\s\S]*access-log[\s\S]*config[\s\S]*block/,
    );
  });

  it('takes the database from PBX_DB when --db is absent', async () => {
    const r = await f.raw(['ext', 'add', '201', '--password', 'secret1'], { PBX_DB: f.db });
    expect(r.code).toBe(0);
    expect(await f.json('ext', 'list')).toHaveLength(1);
  });

  it('reports an unusable database path in one line with exit 2 (more in database-path.test.ts)', async () => {
    const r = await f.raw(['--db', '/proc/no/such/dir/pbx.sqlite', 'ext', 'list']);
    expectFailure(
      r,
      2,
      '--db /proc/no/such/dir/pbx.sqlite: folder /proc/no/such/dir does not exist; create it first',
    );
  });

  it('is seen by a running PBX within a second (change counter)', async () => {
    const store = await f.store();
    const watcher = new ChangeWatcher(store.db, { intervalMs: 50 });
    await watcher.start();
    try {
      const seen = new Promise<string>((resolve) =>
        watcher.once('change', (area) => resolve(area)),
      );
      const t0 = Date.now();
      await f.ok('whitelist', 'add', '127.0.0.1');
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('not seen')), 1000).unref(),
      );
      expect(await Promise.race([seen, timeout])).toBe('whitelist');
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      await watcher.stop();
      await store.close();
    }
  });
});
