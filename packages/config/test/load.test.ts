import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONFIG_REDACT_PATHS,
  ConfigError,
  envNameOf,
  envNamesOf,
  loadConfig,
  OPTIONS,
  redactConfig,
  resolveConfig,
  tlsEnabled,
} from '../src';

const quiet = { generateSecret: () => 'generated-secret' };

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('uses the OfficeServ defaults', () => {
    const c = loadConfig({ env: {}, ...quiet });
    expect(c).toEqual({
      sip: {
        host: '0.0.0.0',
        port: 5060,
        tlsPort: 5061,
        tlsClientCert: 'off',
        domain: 'pbx.local',
        expireTime: 600,
        natRegExpireTime: 60,
        maxTransactions: 50000,
        maxCompletedTransactions: 50000,
        thread: 'worker',
      },
      control: { mode: 'embedded', host: '127.0.0.1', port: 9022, secret: 'generated-secret' },
      media: {
        mode: 'embedded',
        host: '127.0.0.1',
        sipPort: 5080,
        eslPort: 8021,
        eslPassword: 'generated-secret',
        rtpPortMin: 20000,
        rtpPortMax: 20999,
      },
      security: {
        commExclusive: 'response',
        registerRetryLimit: 2,
        registerBlockTimer: 60,
        commonBlockTimer: 600,
        accessLogLimit: 10000,
        nonceLifetime: 300,
        failureWindow: 600,
        srtp: 'optional',
      },
      license: { maxStations: 128 },
      db: { path: './data/pbx.sqlite' },
      log: { level: 'info' },
      features: {
        forwardNoAnswerTimer: 15,
        parkRecallTime: 60,
        ringingTimeout: 60,
        holdRecallTime: 60,
        conferenceMaxParties: 5,
      },
      trunks: {
        unknownDid: 'refuse',
        operator: '',
        inviteTimeout: 8,
        registerRetryMin: 5,
        registerRetryMax: 300,
        prepaidWarning: 30,
      },
      presence: {
        dndAsBusy: 'yes',
        forwardAllAsBusy: 'yes',
        subscribeDefaultExpires: 3600,
        subscribeMinExpires: 60,
        subscribeMaxExpires: 3600,
        watchers: 'all',
      },
      messages: { maxBytes: 4096, welcome: '' },
      voicemail: { maxMessageSeconds: 120, minMessageMs: 1000, maxMessages: 50 },
      http: {
        host: '127.0.0.1',
        port: 8080,
        loginAttempts: 5,
        loginWindow: 300,
        sessionIdle: 28_800,
      },
    });
    expect(tlsEnabled(c)).toBe(false);
  });

  it('generates a random drachtio secret in embedded mode, different every time', () => {
    const a = loadConfig({ env: {} }).control.secret;
    const b = loadConfig({ env: {} }).control.secret;
    expect(a.length).toBeGreaterThanOrEqual(24);
    expect(a).not.toBe(b);
  });

  it('requires a secret for an external drachtio server', () => {
    expect(errorOf(() => loadConfig({ env: { PBX_CONTROL_MODE: 'drachtio' } })).message).toBe(
      'control.secret: is required when control.mode is drachtio',
    );
    expect(
      loadConfig({ env: { PBX_CONTROL_MODE: 'drachtio', PBX_CONTROL_SECRET: 'cymru' } }).control
        .secret,
    ).toBe('cymru');
  });
});

describe('loadConfig precedence: defaults < file < database < environment', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pbx-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('layers the sources and reports where each value came from', () => {
    const file = join(dir, 'pbx.json');
    writeFileSync(
      file,
      JSON.stringify({
        sip: { port: 5070, domain: 'file.example', expireTime: 300 },
        security: { registerRetryLimit: 5 },
      }),
    );
    const r = resolveConfig({
      env: { PBX_CONFIG: file, PBX_SIP_PORT: '5080', PBX_SECURITY_REGISTER_RETRY_LIMIT: '7' },
      dbOptions: { 'sip.domain': 'db.example', 'sip.port': 5075, 'security.registerRetryLimit': 6 },
      ...quiet,
    });
    expect(r.config.sip).toMatchObject({ port: 5080, domain: 'db.example', expireTime: 300 });
    expect(r.config.security.registerRetryLimit).toBe(7);
    expect(r.sources).toMatchObject({
      'sip.port': 'env:PBX_SIP_PORT',
      'sip.domain': 'database',
      'sip.expireTime': 'file',
      'sip.host': 'default',
      'control.secret': 'generated',
      'security.registerRetryLimit': 'env:PBX_SECURITY_REGISTER_RETRY_LIMIT',
    });
    expect(r.filePath).toBe(file);
  });

  it('takes the short environment names of the issue', () => {
    const c = loadConfig({
      env: {
        PBX_DB: '/tmp/x.sqlite',
        PBX_SIP_HOST: '127.0.0.1',
        PBX_SIP_PORT: '0',
        PBX_DOMAIN: 'office.example',
        LOG_LEVEL: 'DEBUG',
      },
      ...quiet,
    });
    expect(c.db.path).toBe('/tmp/x.sqlite');
    expect(c.sip).toMatchObject({ host: '127.0.0.1', port: 0, domain: 'office.example' });
    expect(c.log.level).toBe('debug');
  });

  it('accepts fractional and unit timer values so tests run fast', () => {
    const c = loadConfig({
      env: {
        PBX_SECURITY_REGISTER_BLOCK_TIMER: '0.25',
        PBX_SECURITY_COMMON_BLOCK_TIMER: '500ms',
        PBX_FEATURES_PARK_RECALL_TIME: '2m',
      },
      ...quiet,
    });
    expect(c.security.registerBlockTimer).toBe(0.25);
    expect(c.security.commonBlockTimer).toBe(0.5);
    expect(c.features.parkRecallTime).toBe(120);
  });

  it('ignores empty environment variables and unknown or file-only database rows (with warnings)', () => {
    const r = resolveConfig({
      env: { PBX_SIP_PORT: '' },
      dbOptions: { 'db.path': '/elsewhere', 'no.such': 1 },
      ...quiet,
    });
    expect(r.config.sip.port).toBe(5060);
    expect(r.config.db.path).toBe('./data/pbx.sqlite');
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings.join('\n')).toMatch(/db\.path/);
    expect(r.warnings.join('\n')).toMatch(/no\.such/);
  });

  it('lets null in the file unset an option', () => {
    expect(
      loadConfig({ env: {}, file: { sip: { tlsCert: null, tlsKey: null } }, ...quiet }).sip.tlsCert,
    ).toBeUndefined();
  });

  it('names the file when it is missing, not JSON, or not an object', () => {
    expect(
      errorOf(() => loadConfig({ env: { PBX_CONFIG: join(dir, 'none.json') } })).message,
    ).toMatch(/^PBX_CONFIG: cannot read config file .*none\.json \(ENOENT\)$/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ nope');
    expect(errorOf(() => loadConfig({ env: {}, file: bad })).message).toMatch(
      /^PBX_CONFIG: config file .*bad\.json is not valid JSON/,
    );
    writeFileSync(bad, '[1]');
    expect(errorOf(() => loadConfig({ env: {}, file: bad })).message).toMatch(
      /must hold a JSON object/,
    );
  });
});

describe('loadConfig errors name the key and the rule', () => {
  it('matches the message format of the issue', () => {
    expect(errorOf(() => loadConfig({ env: { PBX_SIP_PORT: 'abc' } })).message).toBe(
      'sip.port: must be an integer between 0 and 65535 (got "abc" from PBX_SIP_PORT)',
    );
  });

  it('lists every bad key, in option order, with its source', () => {
    const err = errorOf(() =>
      loadConfig({
        env: { LOG_LEVEL: 'loud', PBX_SIP_EXPIRE_TIME: '0' },
        file: { security: { commExclusive: 'maybe' }, sip: { bogus: 1 } },
        dbOptions: { 'license.maxStations': -1 },
      }),
    );
    expect(err.issues.map((i) => i.key)).toEqual([
      'sip.bogus',
      'sip.expireTime',
      'security.commExclusive',
      'license.maxStations',
      'log.level',
    ]);
    expect(err.message.split('\n')).toEqual([
      'sip.bogus: unknown option (from the config file)',
      'sip.expireTime: must be an integer between 1 and 86400 (got 0 from PBX_SIP_EXPIRE_TIME)',
      'security.commExclusive: must be response or no-response (got "maybe" from the config file)',
      'license.maxStations: must be an integer between 1 and 100000 (got -1 from the database)',
      'log.level: must be one of fatal, error, warn, info, debug, trace, silent (got "loud" from LOG_LEVEL)',
    ]);
  });

  // A value each option must refuse, written as text in its canonical environment variable.
  const BAD: Record<string, string> = {
    int: 'abc',
    seconds: '-1',
    enum: 'bogus-value',
    string: '!!bad host!!',
  };

  it.each(
    OPTIONS.filter(
      (o) =>
        o.key !== 'db.path' &&
        o.key !== 'control.secret' &&
        o.key !== 'media.eslPassword' &&
        // Free text: any text is a welcome message; only its length is limited (below).
        o.key !== 'messages.welcome' &&
        // Any file path is valid here; whether it plays is checked by `pbx config set`.
        o.key !== 'media.holdMusic' &&
        o.key !== 'trunks.tlsCa' &&
        !o.key.startsWith('sip.tls') &&
        o.key !== 'http.cert' &&
        o.key !== 'http.key',
    ).map((o) => [o.key, o]),
  )('a bad %s names the key', (key, option) => {
    const name = envNameOf(option.key);
    const err = errorOf(() => loadConfig({ env: { [name]: BAD[option.kind] ?? 'x' }, ...quiet }));
    expect(err.issues).toHaveLength(1);
    expect(err.message.startsWith(`${key}: must be`)).toBe(true);
    expect(err.message).toContain(`from ${name}`);
  });

  it('refuses an over-long welcome message and names messages.welcome', () => {
    const err = errorOf(() => loadConfig({ env: { PBX_MESSAGES_WELCOME: 'x'.repeat(4001) } }));
    expect(err.message).toMatch(/^messages\.welcome: must be at most 4000 characters/);
  });

  it('refuses an over-long path and names db.path', () => {
    expect(errorOf(() => loadConfig({ env: { PBX_DB: 'x'.repeat(5000) } })).message).toMatch(
      /^db\.path: must be a file path/,
    );
  });

  it('requires the Event Socket password for an external media server, and a usable RTP range', () => {
    expect(
      errorOf(() => loadConfig({ env: { PBX_MEDIA_MODE: 'external' }, ...quiet })).message,
    ).toBe('media.eslPassword: is required when media.mode is external');
    const c = loadConfig({
      env: { PBX_MEDIA_MODE: 'external', PBX_MEDIA_ESL_PASSWORD: 'JambonzR0ck$' },
      ...quiet,
    });
    expect(c.media).toMatchObject({ mode: 'external', eslPassword: 'JambonzR0ck$' });
    expect(redactConfig(c).media.eslPassword).toBe('***');
    expect(
      errorOf(() =>
        loadConfig({
          env: { PBX_MEDIA_RTP_PORT_MIN: '30000', PBX_MEDIA_RTP_PORT_MAX: '30001' },
          ...quiet,
        }),
      ).message,
    ).toMatch(/^media\.rtpPortMax: must be at least media\.rtpPortMin \+ 3/);
    expect(
      errorOf(() => loadConfig({ env: { PBX_MEDIA_HOST: 'media.example' }, ...quiet })).message,
    ).toBe(
      'media.host: must be an IPv4 address in embedded mode (it is advertised in SDP) (got "media.example" from PBX_MEDIA_HOST)',
    );
    expect(
      loadConfig({
        env: {
          PBX_MEDIA_MODE: 'external',
          PBX_MEDIA_HOST: 'freeswitch',
          PBX_MEDIA_ESL_PASSWORD: 'pw',
        },
        ...quiet,
      }).media.host,
    ).toBe('freeswitch');
  });

  it('checks TLS settings together', () => {
    expect(
      errorOf(() => loadConfig({ env: { PBX_SIP_TLS_CERT: '/c.pem' }, ...quiet })).message,
    ).toBe('sip.tlsKey: is required when sip.tlsCert is set (TLS needs both)');
    expect(
      errorOf(() =>
        loadConfig({
          env: { PBX_SIP_TLS_CERT: '/c.pem', PBX_SIP_TLS_KEY: '/k.pem', PBX_SIP_TLS_PORT: '5060' },
          ...quiet,
        }),
      ).message,
    ).toMatch(/^sip\.tlsPort: must differ from sip\.port/);
    const c = loadConfig({
      env: { PBX_SIP_TLS_CERT: '/c.pem', PBX_SIP_TLS_KEY: '/k.pem' },
      ...quiet,
    });
    expect(tlsEnabled(c)).toBe(true);
    expect(
      errorOf(() =>
        loadConfig({
          env: {
            PBX_SIP_TLS_CERT: '/c.pem',
            PBX_SIP_TLS_KEY: '/k.pem',
            PBX_SIP_TLS_CLIENT_CERT: 'verify',
          },
          ...quiet,
        }),
      ).message,
    ).toMatch(/^sip\.tlsCa: is required when sip\.tlsClientCert is verify/);
    expect(
      errorOf(() => loadConfig({ env: { PBX_SIP_TLS_CLIENT_CERT: 'maybe' }, ...quiet })).message,
    ).toMatch(/^sip\.tlsClientCert: must be off, any or verify/);
  });

  it('reads sip.thread from PBX_SIP_THREAD and refuses other values, naming the key', () => {
    expect(loadConfig({ env: { PBX_SIP_THREAD: 'worker' }, ...quiet }).sip.thread).toBe('worker');
    expect(loadConfig({ env: {}, ...quiet }).sip.thread).toBe('worker');
    expect(loadConfig({ env: { PBX_SIP_THREAD: 'main' }, ...quiet }).sip.thread).toBe('main');
    expect(
      errorOf(() => loadConfig({ env: { PBX_SIP_THREAD: 'process' }, ...quiet })).message,
    ).toMatch(/^sip\.thread: must be worker or main \(got "process" from PBX_SIP_THREAD\)/);
  });

  it('reads sip.maxCompletedTransactions from its environment name and refuses a bad bound', () => {
    const env = (v: string) => ({ env: { PBX_SIP_MAX_COMPLETED_TRANSACTIONS: v }, ...quiet });
    expect(loadConfig(env('120000')).sip.maxCompletedTransactions).toBe(120000);
    expect(errorOf(() => loadConfig(env('10'))).message).toMatch(
      /^sip\.maxCompletedTransactions: [^\n]*1000[^\n]*PBX_SIP_MAX_COMPLETED_TRANSACTIONS/,
    );
    expect(errorOf(() => loadConfig(env('lots'))).message).toMatch(
      /^sip\.maxCompletedTransactions: /,
    );
  });

  it('refuses two environment names that disagree', () => {
    expect(errorOf(() => loadConfig({ env: { PBX_DB: 'a', PBX_DB_PATH: 'b' } })).message).toMatch(
      /^db\.path: is set by both PBX_DB_PATH and PBX_DB with different values$/,
    );
    expect(loadConfig({ env: { PBX_DB: 'a', PBX_DB_PATH: 'a' }, ...quiet }).db.path).toBe('a');
  });

  it('never prints the secret', () => {
    const err = errorOf(() => loadConfig({ env: { PBX_CONTROL_SECRET: 'x'.repeat(300) } }));
    expect(err.message).toBe(
      'control.secret: must be a non-empty string of at most 256 characters (got "***" from PBX_CONTROL_SECRET)',
    );
  });
});

describe('environment names and redaction', () => {
  it('derives PBX_<SECTION>_<KEY> names and keeps the aliases', () => {
    expect(envNameOf('sip.natRegExpireTime')).toBe('PBX_SIP_NAT_REG_EXPIRE_TIME');
    const db = OPTIONS.find((o) => o.key === 'db.path');
    expect(db && envNamesOf(db)).toEqual(['PBX_DB_PATH', 'PBX_DB']);
  });

  it('redacts the secret', () => {
    const c = loadConfig({ env: {}, ...quiet });
    expect(redactConfig(c).control.secret).toBe('***');
    expect(c.control.secret).toBe('generated-secret');
    expect(CONFIG_REDACT_PATHS).toContain('control.secret');
  });
});

describe('trunks options', () => {
  it('names a bad operator, DID policy and back-off order', () => {
    expect(() =>
      loadConfig({
        env: {
          PBX_TRUNKS_OPERATOR: '2a',
          PBX_TRUNKS_UNKNOWN_DID: 'ring',
        },
      }),
    ).toThrow(
      /trunks\.operator[^\n]*station number[\s\S]*trunks\.unknownDid[^\n]*refuse or operator|trunks\.unknownDid[^\n]*refuse or operator[\s\S]*trunks\.operator/,
    );
    expect(() =>
      loadConfig({
        env: { PBX_TRUNKS_REGISTER_RETRY_MIN: '60', PBX_TRUNKS_REGISTER_RETRY_MAX: '10' },
      }),
    ).toThrow(/trunks\.registerRetryMax[^\n]*at least trunks\.registerRetryMin/);
    const c = loadConfig({
      env: { PBX_TRUNKS_OPERATOR: '201', PBX_TRUNKS_UNKNOWN_DID: 'operator' },
    });
    expect(c.trunks).toMatchObject({ operator: '201', unknownDid: 'operator' });
  });
});
