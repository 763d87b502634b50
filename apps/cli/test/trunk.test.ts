import { readFileSync } from 'node:fs';
import { CliFixture, expectFailure, pipedStdin } from './helpers';

interface TrunkJson {
  name: string;
  host: string;
  port: number;
  transport: string;
  register: boolean;
  username: string;
  password: string;
  maxChannels: number;
  codecs: string[];
  status: { state: string; lastError: string; untilAt: number | null } | null;
  dids?: Array<{ did: string; target: string }>;
}

describe('pbx trunk', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('adds a registering trunk with its password encrypted, shows it, and never prints the password', async () => {
    await f.ok('ext', 'add', '201', '--password', 'secret12');
    const out = await f.withStdin(
      pipedStdin('Pr0vider-Secret\n'),
      'trunk',
      'add',
      'itsp',
      '--host',
      '127.0.0.10',
      '--port',
      '5070',
      '--transport',
      'TCP',
      '--username',
      '0399990000',
      '--password-stdin',
      '--realm',
      'itsp.test',
      '--max-channels',
      '2',
      '--did',
      '0398720001=201',
      '--did',
      '0398720002',
    );
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(out.stdout).toBe('trunk itsp added (127.0.0.10:5070/tcp, registers as 0399990000)\n');
    const t = await f.json<TrunkJson>('trunk', 'show', 'itsp');
    expect(t).toMatchObject({
      name: 'itsp',
      port: 5070,
      transport: 'tcp',
      register: true,
      password: 'set',
      maxChannels: 2,
      codecs: ['PCMU', 'PCMA'],
      status: null,
    });
    expect(t.dids).toEqual([
      { did: '0398720001', trunk: 'itsp', target: '201' },
      { did: '0398720002', trunk: 'itsp', target: '' },
    ]);
    const show = await f.ok('trunk', 'show', 'itsp');
    expect(show).toMatch(/Password\s+│ set/);
    expect(show).toContain('0398720002→operator');
    for (const text of [show, JSON.stringify(t), await f.ok('trunk', 'list')])
      expect(text).not.toContain('Pr0vider-Secret');
    // Not in the database file either (AES-256-GCM, key beside it).
    expect(readFileSync(f.db).includes(Buffer.from('Pr0vider-Secret'))).toBe(false);
    const store = await f.store();
    try {
      expect(await store.trunks.password('itsp')).toBe('Pr0vider-Secret');
    } finally {
      await store.close();
    }
  });

  it('lists trunks with registration state and last error', async () => {
    await f.ok(
      'trunk',
      'add',
      'a',
      '--host',
      'sip.example.com',
      '--username',
      'u1',
      '--password',
      'pw1',
    );
    await f.ok('trunk', 'add', 'b', '--host', '127.0.0.20', '--register', 'off');
    f.now = 1_000_000;
    const store = await f.store();
    try {
      await store.trunks.setStatus({
        trunk: 'a',
        state: 'failed',
        lastError: '403 Forbidden from sip.example.com',
        untilAt: 1_030_000,
      });
    } finally {
      await store.close();
    }
    const list = await f.ok('trunk', 'list');
    expect(list).toMatch(
      /│ a\s+│ sip\.example\.com:5060\/udp │ u1\s+│ failed \(retry in 30s\)\s+│ 403 Forbidden from sip\.example\.com │ unlimited/,
    );
    expect(list).toMatch(
      /│ b\s+│ 127\.0\.0\.20:5060\/udp\s+│ \(IP auth\)\s+│ ip \(no registration\)/,
    );
    const json = await f.json<TrunkJson[]>('trunk', 'list');
    expect(json.map((t) => [t.name, t.status?.state ?? null])).toEqual([
      ['a', 'failed'],
      ['b', null],
    ]);
  });

  it('disables a trunk and enables it again, keeping its settings', async () => {
    await f.ok('trunk', 'add', 'b', '--host', '127.0.0.20', '--register', 'off');
    expect(await f.ok('trunk', 'set', 'b', '--enabled', 'off')).toBe('trunk b changed\n');
    expect(await f.ok('trunk', 'list')).toMatch(
      /│ b\s+│ 127\.0\.0\.20:5060\/udp\s+│ \(IP auth\)\s+│ disabled/,
    );
    expect(await f.ok('trunk', 'show', 'b')).toMatch(/Enabled\s+│ off/);
    expect(await f.json<TrunkJson>('trunk', 'show', 'b')).toMatchObject({
      enabled: false,
      host: '127.0.0.20',
    });
    await f.ok('trunk', 'set', 'b', '--enabled', 'on');
    expect(await f.json<TrunkJson>('trunk', 'show', 'b')).toMatchObject({ enabled: true });
    expectFailure(await f.pbx('trunk', 'set', 'b', '--enabled', 'maybe'), 2, /enabled/);
  });

  it('changes settings and removes a trunk with its DIDs', async () => {
    await f.ok('trunk', 'add', 'b', '--host', '127.0.0.20', '--register', 'off');
    expect(await f.ok('trunk', 'set', 'b', '--max-channels', '4', '--codecs', 'pcma')).toBe(
      'trunk b changed\n',
    );
    expect(await f.json<TrunkJson>('trunk', 'show', 'b')).toMatchObject({
      maxChannels: 4,
      codecs: ['PCMA'],
    });
    await f.ok('trunk', 'did', 'add', 'b', '5551000');
    expect(await f.ok('trunk', 'remove', 'b')).toBe('trunk b removed\n');
    expect(await f.json('trunk', 'did', 'list')).toEqual([]);
    expectFailure(await f.pbx('trunk', 'show', 'b'), 1, 'trunk b not found');
  });

  it('refuses bad input with clear errors', async () => {
    expectFailure(
      await f.pbx('trunk', 'add', 'Bad Name', '--host', 'x'),
      2,
      /name: must be 1 to 32/,
    );
    const r = await f.pbx(
      'trunk',
      'add',
      'x',
      '--host',
      'bad host!',
      '--port',
      '70000',
      '--transport',
      'sctp',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: --host: must be an IP address or a host name');
    expect(r.stderr).toContain('error: --port: must be an integer between 1 and 65535');
    expect(r.stderr).toContain('error: --transport: must be udp, tcp or tls');
    expectFailure(await f.pbx('trunk', 'add', 'x', '--port', '5060'), 2, '--host: is required');
    expectFailure(
      await f.pbx('trunk', 'add', 'x', '--host', '127.0.0.9'),
      1,
      /needs a username and a password \(or --register off/,
    );
    expectFailure(
      await f.pbx('trunk', 'add', 'x', '--host', '127.0.0.9', '--register', 'maybe'),
      2,
      '--register: must be on or off',
    );
    expectFailure(
      await f.pbx(
        'trunk',
        'add',
        'x',
        '--host',
        '127.0.0.9',
        '--register',
        'off',
        '--inbound',
        '10.0.0.0/33',
      ),
      2,
      /--inbound.*IP addresses or CIDR blocks/,
    );
    await f.ok('trunk', 'add', 'x', '--host', '127.0.0.9', '--register', 'off');
    expectFailure(
      await f.pbx('trunk', 'add', 'x', '--host', '127.0.0.9', '--register', 'off'),
      1,
      'trunk x already exists',
    );
    expectFailure(await f.pbx('trunk', 'set', 'x'), 2, /nothing to change/);
    expectFailure(await f.pbx('trunk', 'set', 'nope', '--port', '5080'), 1, 'trunk nope not found');
    expectFailure(
      await f.pbx('trunk', 'did', 'add', 'x', '12a'),
      2,
      /--did 12a: give DID or DID=target/,
    );
    expectFailure(
      await f.pbx('trunk', 'did', 'add', 'x', '123', '777'),
      1,
      '777: no station or ring group has this number',
    );
    expectFailure(
      await f.pbx('trunk', 'route', 'add', '0', 'x', '--priority', '-1'),
      2,
      /--priority -1: must be an integer/,
    );
    expectFailure(await f.pbx('trunk', 'route', 'add', '0', 'nope'), 1, 'trunk nope not found');
  });

  it('keeps an LCR table', async () => {
    await f.ok('trunk', 'add', 'a', '--host', '127.0.0.20', '--register', 'off');
    await f.ok('trunk', 'add', 'b', '--host', '127.0.0.21', '--register', 'off');
    await f.ok('trunk', 'route', 'add', '0', 'a', '--priority', '1');
    await f.ok(
      'trunk',
      'route',
      'add',
      '0',
      'b',
      '--priority',
      '2',
      '--strip',
      '1',
      '--prepend',
      '61',
    );
    await f.ok('trunk', 'route', 'add', 'any', 'b');
    expect(await f.json('trunk', 'route', 'list')).toEqual([
      { prefix: '', trunk: 'b', priority: 0, strip: 0, addPrefix: '' },
      { prefix: '0', trunk: 'a', priority: 1, strip: 0, addPrefix: '' },
      { prefix: '0', trunk: 'b', priority: 2, strip: 1, addPrefix: '61' },
    ]);
    await f.ok('trunk', 'route', 'remove', '0', 'a');
    expectFailure(await f.pbx('trunk', 'route', 'remove', '0', 'a'), 1, 'route 0 via a not found');
  });
});

describe('pbx authcode', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('adds, lists and removes codes; refuses bad ones', async () => {
    expect(await f.ok('authcode', 'add', '4321', '--account', 'sales', '--note', 'Ann')).toBe(
      'auth code 4321 added (account sales)\n',
    );
    expect(await f.json('authcode', 'list')).toEqual([
      { code: '4321', account: 'sales', note: 'Ann' },
    ]);
    expectFailure(
      await f.pbx('authcode', 'add', '4321', '--account', 'x'),
      1,
      'auth code 4321 already exists',
    );
    expectFailure(
      await f.pbx('authcode', 'add', '1', '--account', 'x'),
      2,
      'auth code 1: must be 2 to 12 digits',
    );
    expectFailure(await f.pbx('authcode', 'add', '55', '--account', 'a b'), 2, /--account a b/);
    await f.ok('authcode', 'remove', '4321');
    expectFailure(await f.pbx('authcode', 'remove', '4321'), 1, 'auth code 4321 not found');
  });
});
