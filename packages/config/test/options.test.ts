import {
  ConfigError,
  findOption,
  getOptionValue,
  loadConfig,
  OPTIONS,
  optionSchema,
  parseOptionValue,
  settableOptions,
} from '../src';

describe('option table', () => {
  it('has a schema and a unique name for every option', () => {
    const keys = OPTIONS.map((o) => o.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const o of OPTIONS) expect(() => optionSchema(o.key)).not.toThrow();
  });

  it('covers every leaf of the configuration', () => {
    const c = loadConfig({
      env: {
        PBX_SIP_TLS_CERT: 'c',
        PBX_SIP_TLS_KEY: 'k',
        PBX_SIP_TLS_CA: 'ca',
        PBX_MEDIA_HOLD_MUSIC: 'm.wav',
        PBX_TRUNKS_TLS_CA: 'ca.pem',
        PBX_HTTP_CERT: 'c',
        PBX_HTTP_KEY: 'k',
      },
      generateSecret: () => 'secret',
    });
    const leaves = Object.entries(c).flatMap(([s, v]) => Object.keys(v).map((k) => `${s}.${k}`));
    expect(leaves.sort()).toEqual(OPTIONS.map((o) => o.key).sort());
    // The table's defaults are the ones loadConfig applies (`?? o.default` made this always pass).
    const withDefault = OPTIONS.filter((o) => o.default !== undefined);
    expect(withDefault.length).toBeGreaterThan(0);
    for (const o of withDefault)
      expect([o.key, getOptionValue(c, o.key)]).toEqual([o.key, o.default]);
  });

  it('keeps start-up-only options out of `pbx config set`', () => {
    const settable = settableOptions().map((o) => o.key);
    expect(settable).toContain('sip.expireTime');
    expect(settable).toContain('security.commExclusive');
    expect(settable).not.toContain('db.path');
    expect(settable).not.toContain('control.secret');
  });

  it('finds options by canonical, kebab or snake name', () => {
    expect(findOption('sip.expireTime')?.key).toBe('sip.expireTime');
    expect(findOption('sip.expire-time')?.key).toBe('sip.expireTime');
    expect(findOption('SECURITY.REGISTER_BLOCK_TIMER')?.key).toBe('security.registerBlockTimer');
    expect(findOption('sip.expires')).toBeUndefined();
  });
});

describe('parseOptionValue (what `pbx config set` checks)', () => {
  it.each([
    ['sip.expire-time', '300', 'sip.expireTime', 300],
    ['security.commExclusive', 'No-Response', 'security.commExclusive', 'no-response'],
    ['security.registerBlockTimer', '0.2', 'security.registerBlockTimer', 0.2],
    ['security.registerBlockTimer', '250ms', 'security.registerBlockTimer', 0.25],
    ['license.maxStations', '10000', 'license.maxStations', 10000],
    ['sip.domain', 'office.example.com', 'sip.domain', 'office.example.com'],
    ['log.level', 'warn', 'log.level', 'warn'],
    ['security.nonceLifetime', '60', 'security.nonceLifetime', 60],
    ['security.failure-window', '15m', 'security.failureWindow', 900],
  ])('%s %s → %s = %p', (name, text, key, value) => {
    expect(parseOptionValue(name, text)).toEqual({ key, value });
  });

  it.each([
    [
      'sip.expireTime',
      'soon',
      'sip.expireTime: must be an integer between 1 and 86400 (got "soon")',
    ],
    ['sip.port', '65536', 'sip.port: must be an integer between 0 and 65535 (got "65536")'],
    [
      'security.nonceLifetime',
      '0',
      'security.nonceLifetime: must be a number of seconds greater than 0 and at most 86400 (got "0")',
    ],
    [
      'security.failureWindow',
      'ever',
      'security.failureWindow: must be a number of seconds greater than 0 and at most 604800 (got "ever")',
    ],
    [
      'security.commExclusive',
      'sometimes',
      'security.commExclusive: must be response or no-response (got "sometimes")',
    ],
    [
      'security.registerBlockTimer',
      '0',
      'security.registerBlockTimer: must be a number of seconds greater than 0 and at most 604800 (got "0")',
    ],
    [
      'sip.domain',
      'bad domain',
      'sip.domain: must be a domain name or IP address (letters, digits, "-" and ".") (got "bad domain")',
    ],
    ['nope.nothing', '1', 'nope.nothing: unknown option (see `pbx config list`)'],
  ])('%s %s is refused', (name, text, message) => {
    expect(() => parseOptionValue(name, text)).toThrow(ConfigError);
    expect(() => parseOptionValue(name, text)).toThrow(message);
  });
});

describe('SettableOptionsSchema', () => {
  it('accepts settable options by dotted name and refuses the rest', async () => {
    const { SettableOptionsSchema } = await import('../src');
    expect(
      SettableOptionsSchema.safeParse({
        'sip.expireTime': 300,
        'security.commExclusive': 'no-response',
      }).success,
    ).toBe(true);
    expect(SettableOptionsSchema.safeParse({ 'db.path': '/x' }).success).toBe(false);
    const bad = SettableOptionsSchema.safeParse({ 'sip.expireTime': 0 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('must be an integer between 1 and 86400');
  });
});
