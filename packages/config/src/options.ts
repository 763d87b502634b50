import { z } from 'zod';
import { ConfigError } from './errors';
import { PbxConfigSchema, type PbxConfig } from './schema';

/** How a textual value (environment, command line) becomes a typed one. */
export type OptionKind = 'int' | 'seconds' | 'string' | 'enum';

/** One system option: its dotted name, default, and where it may be set. */
export interface OptionSpec {
  /** Dotted camelCase name, the same in the JSON file, the database and `pbx config`. */
  readonly key: string;
  readonly kind: OptionKind;
  readonly description: string;
  /** Default value; undefined when the option is unset by default (or generated). */
  readonly default: string | number | undefined;
  /** May be stored in the database with `pbx config set`. */
  readonly settable: boolean;
  /** A running PBX only applies a new value after a restart. */
  readonly restart: boolean;
  /** Never printed or logged. */
  readonly secret: boolean;
  /** Extra environment names besides the canonical `PBX_<SECTION>_<KEY>`. */
  readonly aliases: readonly string[];
}

function spec(
  key: string,
  kind: OptionKind,
  def: string | number | undefined,
  description: string,
  extra: Partial<Pick<OptionSpec, 'settable' | 'restart' | 'secret' | 'aliases'>> = {},
): OptionSpec {
  return {
    key,
    kind,
    description,
    default: def,
    settable: extra.settable ?? true,
    restart: extra.restart ?? false,
    secret: extra.secret ?? false,
    aliases: extra.aliases ?? [],
  };
}

/**
 * Every option, in display order. Defaults follow the OfficeServ manual where it has one
 * (signal port 5060, TLS 5061, SIP expire 600 s, NAT registration expire 60 s, Comm Exclusive
 * `response`, register retry limit 2, register block 60 s, common block 600 s, forward no-answer
 * 15 s); the rest are this project's choices (see the README).
 */
export const OPTIONS: readonly OptionSpec[] = [
  spec('sip.host', 'string', '0.0.0.0', 'address the SIP transports bind to', {
    restart: true,
    aliases: ['PBX_SIP_HOST'],
  }),
  spec('sip.port', 'int', 5060, 'Signal Port (UDP and TCP)', {
    restart: true,
    aliases: ['PBX_SIP_PORT'],
  }),
  spec('sip.tlsPort', 'int', 5061, 'TLS port (TLS is on only with sip.tlsCert and sip.tlsKey)', {
    restart: true,
  }),
  spec('sip.tlsCert', 'string', undefined, 'TLS certificate file (PEM)', { restart: true }),
  spec('sip.tlsKey', 'string', undefined, 'TLS private key file (PEM)', { restart: true }),
  spec('sip.tlsCa', 'string', undefined, 'CA file (PEM) that client certificates must chain to', {
    restart: true,
  }),
  spec(
    'sip.tlsClientCert',
    'enum',
    'off',
    'client certificate asked of phones over TLS: off | any (validate any certificate) | verify (mutual TLS against sip.tlsCa)',
    { restart: true },
  ),
  spec('sip.domain', 'string', 'pbx.local', 'SIP domain and digest realm', {
    aliases: ['PBX_DOMAIN'],
  }),
  spec('sip.expireTime', 'int', 600, 'SIP Expire Time (s): longest registration granted'),
  spec('sip.natRegExpireTime', 'int', 60, 'NAT Reg Expire Time (s): registration time behind NAT'),
  spec(
    'sip.maxTransactions',
    'int',
    50000,
    'requests the embedded SIP server handles at once; beyond it new requests are answered 503',
    { restart: true },
  ),
  spec(
    'sip.maxCompletedTransactions',
    'int',
    50000,
    'answered requests the embedded SIP server remembers to answer retransmissions; beyond it the oldest are forgotten early',
    { restart: true },
  ),
  spec(
    'sip.thread',
    'enum',
    'worker',
    'where the embedded SIP server runs: worker (its own thread, a second core) | main (the PBX thread)',
    { restart: true },
  ),
  spec('control.mode', 'enum', 'embedded', 'embedded SIP server or external drachtio-server', {
    settable: false,
    restart: true,
  }),
  spec('control.host', 'string', '127.0.0.1', 'drachtio control address', {
    settable: false,
    restart: true,
  }),
  spec('control.port', 'int', 9022, 'drachtio control port', { settable: false, restart: true }),
  spec(
    'control.secret',
    'string',
    undefined,
    'drachtio shared secret (random when unset in embedded mode)',
    {
      settable: false,
      restart: true,
      secret: true,
    },
  ),
  spec(
    'media.mode',
    'enum',
    'embedded',
    'embedded media server, or an external FreeSWITCH (drachtio-freeswitch-mrf)',
    {
      settable: false,
      restart: true,
    },
  ),
  spec(
    'media.host',
    'string',
    '127.0.0.1',
    'media server address (embedded: where it binds and advertises SIP and RTP)',
    {
      restart: true,
    },
  ),
  spec('media.sipPort', 'int', 5080, 'media server SIP port (the leg drachtio-fsmrf sets up)', {
    restart: true,
  }),
  spec('media.eslPort', 'int', 8021, 'media server Event Socket port', { restart: true }),
  spec(
    'media.eslPassword',
    'string',
    undefined,
    'Event Socket password (random when unset in embedded mode)',
    {
      settable: false,
      restart: true,
      secret: true,
    },
  ),
  spec('media.rtpPortMin', 'int', 20000, 'first RTP port of the embedded media server', {
    restart: true,
  }),
  spec('media.rtpPortMax', 'int', 20999, 'last RTP port of the embedded media server', {
    restart: true,
  }),
  spec(
    'media.holdMusic',
    'string',
    undefined,
    'music on hold and park: a WAV file, PCM 16-bit mono 8/16 kHz (unset: the generated tune)',
  ),
  spec('security.commExclusive', 'enum', 'response', 'Comm Exclusive: response | no-response'),
  spec(
    'security.registerRetryLimit',
    'int',
    2,
    'Register Retry Limit: failures before an IP is blocked',
  ),
  spec('security.registerBlockTimer', 'seconds', 60, 'Register MSG Block Timer (s)'),
  spec('security.commonBlockTimer', 'seconds', 600, 'Common MSG Block Timer (s)'),
  spec('security.accessLogLimit', 'int', 10000, 'rows kept in the access log'),
  spec(
    'security.nonceLifetime',
    'seconds',
    300,
    'digest nonce lifetime (s): older answers are challenged again with stale=true',
  ),
  spec(
    'security.failureWindow',
    'seconds',
    600,
    'failed registrations further apart than this (s) do not add up to the retry limit',
  ),
  spec(
    'security.srtp',
    'enum',
    'optional',
    'media encryption required of stations: optional | tls (stations on TLS must use SRTP) | all',
  ),
  spec('license.maxStations', 'int', 128, 'maximum number of SIP stations (licence)'),
  spec('db.path', 'string', './data/pbx.sqlite', 'SQLite database file', {
    settable: false,
    restart: true,
    aliases: ['PBX_DB'],
  }),
  spec('log.level', 'enum', 'info', 'log level', { aliases: ['LOG_LEVEL'] }),
  spec(
    'features.forwardNoAnswerTimer',
    'seconds',
    15,
    'ringing time before a no-answer forward (s)',
  ),
  spec('features.parkRecallTime', 'seconds', 60, 'time before a parked call recalls (s)'),
  spec(
    'features.ringingTimeout',
    'seconds',
    60,
    'time an unanswered call rings before it ends (s)',
  ),
  spec(
    'features.holdRecallTime',
    'seconds',
    60,
    'time on hold before the call recalls the holding station (s; 0 = off)',
  ),
  spec(
    'features.conferenceMaxParties',
    'int',
    5,
    'parties in one conference (46 or a room), the owner included',
  ),
  spec('trunks.unknownDid', 'enum', 'refuse', 'incoming call to an unknown DID: refuse | operator'),
  spec(
    'trunks.operator',
    'string',
    '',
    'operator station for unknown DIDs and DIDs without target',
  ),
  spec(
    'trunks.inviteTimeout',
    'seconds',
    8,
    'seconds without an answer from a provider before the next trunk is tried',
  ),
  spec('trunks.registerRetryMin', 'seconds', 5, 'first wait after a failed trunk registration (s)'),
  spec('trunks.registerRetryMax', 'seconds', 300, 'longest wait between trunk registrations (s)'),
  spec(
    'trunks.prepaidWarning',
    'seconds',
    30,
    'seconds before a prepaid call is cut that the station hears a warning tone; 0 = none',
  ),
  spec(
    'trunks.tlsCa',
    'string',
    undefined,
    'CA certificates (PEM file) trusted for TLS trunks besides the system ones',
    { restart: true },
  ),
  spec('presence.dndAsBusy', 'enum', 'yes', 'busy lamp of a station in DND is lit: yes | no'),
  spec(
    'presence.forwardAllAsBusy',
    'enum',
    'yes',
    'busy lamp of a station forwarding all calls is lit: yes | no',
  ),
  spec(
    'presence.subscribeDefaultExpires',
    'int',
    3600,
    'subscription time when a SUBSCRIBE asks for none (s)',
  ),
  spec(
    'presence.subscribeMinExpires',
    'int',
    60,
    'shortest subscription accepted; shorter gets 423 (s)',
  ),
  spec('presence.subscribeMaxExpires', 'int', 3600, 'longest subscription granted (s)'),
  spec(
    'presence.watchers',
    'enum',
    'all',
    "who may watch a station's presence and busy lamp: all | group (sharing a ring group) | none (only itself)",
  ),
  spec('messages.maxBytes', 'int', 4096, 'largest MESSAGE body; larger gets 413 (bytes)'),
  spec(
    'messages.welcome',
    'string',
    '',
    'text the PBX sends a station when it registers (empty: none)',
  ),
  spec('voicemail.maxMessageSeconds', 'int', 120, 'longest voice-mail message (s)'),
  spec(
    'voicemail.minMessageMs',
    'int',
    1000,
    'shorter messages (ms of sound, silence not counted) are discarded',
  ),
  spec(
    'voicemail.maxMessages',
    'int',
    50,
    'messages one mailbox holds; callers to a full one hear the refusal prompt',
  ),
  spec('http.host', 'string', '127.0.0.1', 'address the HTTP API and web console bind to', {
    restart: true,
  }),
  spec('http.port', 'int', 8080, 'port of the HTTP API, event stream, metrics and web console', {
    restart: true,
  }),
  spec('http.cert', 'string', undefined, 'HTTPS certificate file (PEM); HTTPS needs http.key too', {
    restart: true,
  }),
  spec('http.key', 'string', undefined, 'HTTPS private key file (PEM)', { restart: true }),
  spec('http.loginAttempts', 'int', 5, 'failed logins per address and user before a pause'),
  spec('http.loginWindow', 'int', 300, 'window of http.loginAttempts and length of the pause (s)'),
  spec('http.sessionIdle', 'int', 28_800, 'a web session ends after this long unused (s)'),
];

const BY_KEY = new Map(OPTIONS.map((o) => [o.key, o]));
const squash = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
const BY_SQUASHED = new Map(OPTIONS.map((o) => [squash(o.key), o]));

/** `sip.natRegExpireTime` → `PBX_SIP_NAT_REG_EXPIRE_TIME`. */
export function envNameOf(key: string): string {
  return `PBX_${key
    .split('.')
    .map((seg) => seg.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_')}`;
}

/** Every environment name of an option: the canonical one first, then its aliases. */
export function envNamesOf(option: OptionSpec): string[] {
  return [envNameOf(option.key), ...option.aliases];
}

/**
 * Finds an option by name. The canonical name is dotted camelCase (`sip.expireTime`); kebab or
 * snake case and any letter case are accepted too (`sip.expire-time`, `SIP.EXPIRE_TIME`).
 */
export function findOption(name: string): OptionSpec | undefined {
  return BY_KEY.get(name) ?? BY_SQUASHED.get(squash(name.trim()));
}

/** The options `pbx config set` may store. */
export function settableOptions(): OptionSpec[] {
  return OPTIONS.filter((o) => o.settable);
}

type AnySchema = z.ZodType<unknown>;

/** The zod schema of one option (the same one loadConfig applies). */
export function optionSchema(key: string): AnySchema {
  const [section, name] = key.split('.');
  const shape = PbxConfigSchema.shape as unknown as Record<
    string,
    { shape: Record<string, AnySchema> } | undefined
  >;
  const leaf =
    section !== undefined && name !== undefined ? shape[section]?.shape[name] : undefined;
  if (!leaf) throw new Error(`no schema for option ${key}`);
  return leaf;
}

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
const DURATION_RE = /^(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)$/i;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/**
 * Turns text into the option's type: numbers for `int`, numbers or durations (`500ms`, `2m`)
 * for `seconds`. Text that does not convert is returned unchanged, so validation reports it.
 */
export function coerceOptionText(option: OptionSpec, text: string): unknown {
  const t = text.trim();
  switch (option.kind) {
    case 'int':
      return NUMBER_RE.test(t) ? Number(t) : text;
    case 'seconds': {
      if (NUMBER_RE.test(t)) return Number(t);
      const m = DURATION_RE.exec(t);
      if (m && m[1] !== undefined && m[2] !== undefined) {
        return Number(m[1]) * (UNIT_SECONDS[m[2].toLowerCase()] ?? 1);
      }
      return text;
    }
    case 'enum':
      return t.toLowerCase();
    case 'string':
      return t;
  }
}

/** How a value is shown in an error: JSON text, masked for secrets, cut at 60 characters. */
export function showValue(option: OptionSpec | undefined, value: unknown): string {
  if (option?.secret) return '"***"';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Validates one option value as `pbx config set` receives it (text is converted first).
 * Returns the canonical key and typed value; throws {@link ConfigError} naming the key and rule.
 */
export function parseOptionValue(name: string, value: unknown): { key: string; value: unknown } {
  const option = findOption(name);
  if (!option) {
    throw new ConfigError([{ key: name, message: 'unknown option (see `pbx config list`)' }]);
  }
  const typed = typeof value === 'string' ? coerceOptionText(option, value) : value;
  const result = optionSchema(option.key).safeParse(typed);
  if (!result.success) {
    throw new ConfigError([
      {
        key: option.key,
        message: result.error.issues[0]?.message ?? 'is invalid',
        got: showValue(option, value),
      },
    ]);
  }
  return { key: option.key, value: result.data };
}

/** Reads an option's value out of a configuration by dotted key. */
export function getOptionValue(config: PbxConfig, key: string): unknown {
  const [section, name] = key.split('.');
  if (section === undefined || name === undefined) return undefined;
  const sec = (config as unknown as Record<string, Record<string, unknown> | undefined>)[section];
  return sec?.[name];
}

/**
 * The options `pbx config set` may store, as one strict zod object keyed by dotted name (every
 * key optional): validate an admin-API body or a batch of stored options with it.
 */
export const SettableOptionsSchema = z
  .object(Object.fromEntries(settableOptions().map((o) => [o.key, optionSchema(o.key).optional()])))
  .strict();
