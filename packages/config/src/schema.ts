import { isIP } from 'node:net';
import { z } from 'zod';

/** Pino's level names. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Builds an integer schema whose every failure reads `must be an integer between …`. */
export function intBetween(min: number, max: number, note = ''): z.ZodNumber {
  const error = `must be an integer between ${min} and ${max}${note}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** Seconds, fractions allowed so tests can run timers fast: `0 < s <= max`. */
export function secondsUpTo(max: number): z.ZodNumber {
  const error = `must be a number of seconds greater than 0 and at most ${max}`;
  return z.number({ error }).gt(0, { error }).max(max, { error });
}

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function isHostName(s: string): boolean {
  return s.length <= 253 && s.split('.').every((label) => HOST_LABEL.test(label));
}

/** An IP address or a DNS host name. */
export function hostSchema(): z.ZodType<string> {
  const error = 'must be an IP address or a host name';
  return z.string({ error }).refine((s) => isIP(s) !== 0 || isHostName(s), { error });
}

/** A SIP domain (digest realm): a host name or IP address. */
export function domainSchema(): z.ZodType<string> {
  const error = 'must be a domain name or IP address (letters, digits, "-" and ".")';
  return z.string({ error }).refine((s) => isIP(s) !== 0 || isHostName(s), { error });
}

function nonEmpty(max: number, what = 'a non-empty string'): z.ZodString {
  const error = `must be ${what} of at most ${max} characters`;
  return z.string({ error }).min(1, { error }).max(max, { error });
}

// 0 asks the OS for a free port (tests).
const port = () => intBetween(0, 65535);

/** The SIP front end ("SIP Stack/Ext/Trunk Options", DM 5.2.12). */
export const SipSchema = z.object({
  /** Address the SIP transports bind to. */
  host: hostSchema(),
  /** Signal Port: UDP and TCP. */
  port: port(),
  /** TLS port; TLS is on only when both `tlsCert` and `tlsKey` are set. */
  tlsPort: port(),
  tlsCert: nonEmpty(4096, 'a file path').optional(),
  tlsKey: nonEmpty(4096, 'a file path').optional(),
  /** CA file client certificates must chain to (`tlsClientCert: verify`). */
  tlsCa: nonEmpty(4096, 'a file path').optional(),
  /**
   * Client certificates asked of phones over TLS: `off`, `any` (one is required, any is accepted:
   * OfficeServ's "validate any certificate"), `verify` (mutual TLS against `tlsCa`).
   */
  tlsClientCert: z.enum(['off', 'any', 'verify'], { error: 'must be off, any or verify' }),
  /** SIP domain, also the digest realm of the 401 challenge. */
  domain: domainSchema(),
  /** SIP Expire Time (s): the longest registration granted. */
  expireTime: intBetween(1, 86400),
  /** NAT Reg Expire Time (s): registration time granted to phones behind NAT. */
  natRegExpireTime: intBetween(1, 86400),
  /**
   * Requests the embedded SIP server handles at once (not yet finally answered, or INVITEs
   * waiting for their ACK); beyond it new requests get `503` with Retry-After, so a flood cannot
   * grow memory without bound.
   */
  maxTransactions: intBetween(100, 10_000_000),
  /**
   * Answered non-INVITE requests (and any request over TCP/TLS) remembered as their answer's
   * bytes to answer retransmissions during timer J; beyond it the oldest are forgotten early.
   * Sized for memory: 50,000 are a 32 MB ring of bytes (off the JS heap) and, at 8,000
   * transactions/s (4,000 registrations/s),
   * still six seconds of answers, more than T2 (4 s), the longest a phone waits between two
   * retransmissions of a request whose answer it lost.
   */
  maxCompletedTransactions: intBetween(1000, 10_000_000),
  /**
   * Where the embedded SIP server runs: `worker` (a thread of its own, so its sockets, parsing
   * and transactions use a second core) or `main` (the PBX's own thread).
   */
  thread: z.enum(['worker', 'main'], { error: 'must be worker or main' }),
});

/** How call control reaches the SIP server (drachtio protocol). */
export const ControlSchema = z.object({
  /** `embedded`: our in-process server; `drachtio`: an external drachtio-server. */
  mode: z.enum(['embedded', 'drachtio'], { error: 'must be embedded or drachtio' }),
  host: hostSchema(),
  port: port(),
  secret: nonEmpty(256),
});

/** The media server drachtio-fsmrf drives (conference, music on hold, voice mail, tones). */
export const MediaSchema = z.object({
  /** `embedded`: our in-process media server; `external`: a FreeSWITCH with the mrf profile. */
  mode: z.enum(['embedded', 'external'], { error: 'must be embedded or external' }),
  host: hostSchema(),
  sipPort: port(),
  eslPort: port(),
  eslPassword: nonEmpty(256),
  /** RTP port range of the embedded media server (an even number of ports is used in pairs). */
  rtpPortMin: intBetween(1024, 65534),
  rtpPortMax: intBetween(1025, 65535),
  /**
   * The music a held (tone source `system`) or parked party hears: a WAV file (PCM 16-bit mono,
   * 8 or 16 kHz). Unset: the tune the PBX generates into its data directory's sounds/.
   */
  holdMusic: nonEmpty(4096, 'a file path').optional(),
});

/** Comm Exclusive and the message block timers (DM 5.2.12). */
export const SecuritySchema = z.object({
  /** `response` answers failed registrations; `no-response` stays silent to a blocked IP. */
  commExclusive: z.enum(['response', 'no-response'], { error: 'must be response or no-response' }),
  /** Failed registrations from one IP before it is blocked. */
  registerRetryLimit: intBetween(1, 1000),
  /** Register MSG Block Timer (s). */
  registerBlockTimer: secondsUpTo(604800),
  /** Common MSG Block Timer (s). */
  commonBlockTimer: secondsUpTo(604800),
  /** Rows kept in the access log; older rows are pruned. */
  accessLogLimit: intBetween(100, 10_000_000),
  /** How long a digest nonce is accepted after it was issued (s); later answers are `stale`. */
  nonceLifetime: secondsUpTo(86400),
  /** Failures further apart than this (s) do not add up towards the retry limit. */
  failureWindow: secondsUpTo(604800),
  /**
   * Stations that must use SRTP (SDES): `optional` none; `tls` those whose signalling is on TLS;
   * `all` every station. Their plain-RTP offers are refused with 488, and so are calls offering
   * them plain RTP.
   */
  srtp: z.enum(['optional', 'tls', 'all'], { error: 'must be optional, tls or all' }),
});

/** The SIP station licence. */
export const LicenseSchema = z.object({
  /** Maximum number of SIP stations (programmed and registered). */
  maxStations: intBetween(1, 100_000),
});

export const DbSchema = z.object({
  /** SQLite file. */
  path: nonEmpty(4096, 'a file path'),
});

export const LogSchema = z.object({
  level: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
});

/** Call feature timers. */
export const FeaturesSchema = z.object({
  /** Seconds a call rings before a no-answer forward (OfficeServ default 15). */
  forwardNoAnswerTimer: secondsUpTo(600),
  /** Seconds before an unretrieved parked call recalls the parking station. */
  parkRecallTime: secondsUpTo(3600),
  /** Seconds a call may ring unanswered before it is ended. */
  ringingTimeout: secondsUpTo(3600),
  /** Seconds a call may stay on hold before it recalls the holding station; 0 turns it off. */
  holdRecallTime: z
    .number({ error: 'must be a number of seconds from 0 (off) to 3600' })
    .min(0, { error: 'must be a number of seconds from 0 (off) to 3600' })
    .max(3600, { error: 'must be a number of seconds from 0 (off) to 3600' }),
  /** Parties in one conference, its owner included (the manual's limit is five). */
  conferenceMaxParties: intBetween(3, 32),
});

/** Trunks to telephone providers: incoming DIDs, fail-over and registration back-off. */
export const TrunksSchema = z.object({
  /** What an incoming call to a DID no trunk lists gets: `refuse` (404) or the operator. */
  unknownDid: z.enum(['refuse', 'operator'], { error: 'must be refuse or operator' }),
  /** The operator station: unknown DIDs (with `operator`) and DIDs without a target ring it. */
  operator: z
    .string({ error: 'must be a station number (2 to 8 digits) or empty' })
    .regex(/^(\d{2,8})?$/, { error: 'must be a station number (2 to 8 digits) or empty' }),
  /** Seconds without any answer from a provider before the next trunk of the route is tried. */
  inviteTimeout: secondsUpTo(120),
  /** First wait after a failed registration (s); doubled on each failure up to the maximum. */
  registerRetryMin: secondsUpTo(3600),
  registerRetryMax: secondsUpTo(86400),
  /** Seconds before a prepaid call is cut that the station hears a warning tone; 0 = none. */
  prepaidWarning: secondsUpTo(3600),
  /**
   * CA certificates (a PEM file) trusted for TLS trunks besides the system's: a provider with a
   * private CA or a self-signed certificate. The provider's certificate is always checked.
   */
  tlsCa: nonEmpty(4096, 'a file path').optional(),
});

const yesNo = () => z.enum(['yes', 'no'], { error: 'must be yes or no' });

/** Busy lamps, presence, message-waiting and subscriptions (RFC 6665). */
export const PresenceSchema = z.object({
  /** A station in DND lights its busy lamp steady (as if in a call). */
  dndAsBusy: yesNo(),
  /** A station forwarding all calls lights its busy lamp steady. */
  forwardAllAsBusy: yesNo(),
  /** Subscription time granted when a SUBSCRIBE asks for none (s). */
  subscribeDefaultExpires: intBetween(1, 86_400),
  /** Shorter subscriptions are refused with 423 Interval Too Brief (s). */
  subscribeMinExpires: intBetween(1, 86_400),
  /** Longer subscriptions are cut to this (s). */
  subscribeMaxExpires: intBetween(1, 86_400),
  /**
   * Who may SUBSCRIBE to a station's presence and busy lamp: every station (`all`), stations that
   * share a ring group with it (`group`), or only the station itself (`none`); else 403.
   */
  watchers: z.enum(['all', 'group', 'none'], { error: 'must be all, group or none' }),
});

/** Instant messages (RFC 3428). */
export const MessagesSchema = z.object({
  /** Larger MESSAGE bodies get 413 Request Entity Too Large (bytes). */
  maxBytes: intBetween(1, 65_536),
  /** Sent by the PBX to a station when it registers (empty: none). */
  welcome: z.string().max(4000, { error: 'must be at most 4000 characters' }),
});

/** Voice mail (issue 13): message length, what counts as a message, the mailbox quota. */
export const VoicemailSchema = z.object({
  /** Longest message (s); the recording stops there. */
  maxMessageSeconds: intBetween(5, 600),
  /** Shorter recordings (ms of sound, not counting silence) are discarded. */
  minMessageMs: intBetween(0, 60_000),
  /** Messages one mailbox may hold; callers to a full mailbox hear the refusal prompt. */
  maxMessages: intBetween(1, 10_000),
});

/** The HTTP API, event stream, metrics and web console (issue 10). */
export const HttpSchema = z.object({
  /** Address the HTTP listener binds to; loopback by default, as it carries administration. */
  host: hostSchema(),
  /** Port of the HTTP (or HTTPS) listener; 0 asks the OS for a free one (tests). */
  port: port(),
  /** HTTPS is on only when both `cert` and `key` are set. */
  cert: nonEmpty(4096, 'a file path').optional(),
  key: nonEmpty(4096, 'a file path').optional(),
  /** Failed logins allowed per client address and user within `loginWindow` seconds. */
  loginAttempts: intBetween(1, 1000),
  loginWindow: intBetween(1, 86_400),
  /** Lifetime of a console session without use (s). */
  sessionIdle: intBetween(60, 30 * 86_400),
});

/** The whole configuration after defaults, file, database and environment are merged. */
export const PbxConfigSchema = z
  .object({
    sip: SipSchema,
    control: ControlSchema,
    media: MediaSchema,
    security: SecuritySchema,
    license: LicenseSchema,
    db: DbSchema,
    log: LogSchema,
    features: FeaturesSchema,
    trunks: TrunksSchema,
    presence: PresenceSchema,
    messages: MessagesSchema,
    voicemail: VoicemailSchema,
    http: HttpSchema,
  })
  .superRefine((c, ctx) => {
    if ((c.sip.tlsCert === undefined) !== (c.sip.tlsKey === undefined)) {
      const [missing, given] =
        c.sip.tlsCert === undefined ? ['tlsCert', 'tlsKey'] : ['tlsKey', 'tlsCert'];
      ctx.addIssue({
        code: 'custom',
        path: ['sip', missing],
        message: `is required when sip.${given} is set (TLS needs both)`,
      });
    }
    if ((c.http.cert === undefined) !== (c.http.key === undefined)) {
      const [missing, given] = c.http.cert === undefined ? ['cert', 'key'] : ['key', 'cert'];
      ctx.addIssue({
        code: 'custom',
        path: ['http', missing],
        message: `is required when http.${given} is set (HTTPS needs both)`,
      });
    }
    if (c.media.mode === 'embedded' && isIP(c.media.host) !== 4) {
      ctx.addIssue({
        code: 'custom',
        path: ['media', 'host'],
        message: 'must be an IPv4 address in embedded mode (it is advertised in SDP)',
      });
    }
    if (c.media.rtpPortMax - c.media.rtpPortMin < 3) {
      ctx.addIssue({
        code: 'custom',
        path: ['media', 'rtpPortMax'],
        message: 'must be at least media.rtpPortMin + 3 (one RTP/RTCP pair needs two ports)',
      });
    }
    if (c.trunks.registerRetryMax < c.trunks.registerRetryMin) {
      ctx.addIssue({
        code: 'custom',
        path: ['trunks', 'registerRetryMax'],
        message: 'must be at least trunks.registerRetryMin',
      });
    }
    if (c.presence.subscribeMinExpires > c.presence.subscribeMaxExpires) {
      ctx.addIssue({
        code: 'custom',
        path: ['presence', 'subscribeMinExpires'],
        message: 'must be at most presence.subscribeMaxExpires',
      });
    }
    if (c.sip.tlsClientCert === 'verify' && c.sip.tlsCa === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sip', 'tlsCa'],
        message: 'is required when sip.tlsClientCert is verify',
      });
    }
    if (c.sip.tlsCert !== undefined && c.sip.tlsPort !== 0 && c.sip.tlsPort === c.sip.port) {
      ctx.addIssue({
        code: 'custom',
        path: ['sip', 'tlsPort'],
        message: 'must differ from sip.port',
      });
    }
  });

/** The validated configuration of the PBX. */
export type PbxConfig = z.infer<typeof PbxConfigSchema>;

/** True when TLS is configured (certificate and key both set). */
export function tlsEnabled(config: PbxConfig): boolean {
  return config.sip.tlsCert !== undefined && config.sip.tlsKey !== undefined;
}
