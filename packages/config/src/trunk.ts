/**
 * Validation of trunk input (`pbx trunk add|set`, `pbx trunk did|route`, `pbx authcode`,
 * `pbx rate import`, `pbx account`): every bad field is named with its rule; passwords are never
 * echoed.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors';
import { hostSchema, intBetween } from './schema';
import { OnOffSchema } from './station';

const NAME_RULE = 'must be 1 to 32 of a-z, 0-9, "_" or "-"';
export const TrunkNameSchema = z
  .string({ error: NAME_RULE })
  .regex(/^[a-z0-9_-]{1,32}$/, { error: NAME_RULE });

const textToNumber = (v: unknown): unknown =>
  typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
const lower = (v: unknown): unknown => (typeof v === 'string' ? v.trim().toLowerCase() : v);
const noneToEmpty = (v: unknown): unknown =>
  typeof v === 'string' && ['none', 'off'].includes(v.trim().toLowerCase()) ? '' : v;

const PROXY_RULE = 'must be host or host:port (IP address or host name), or none';
const proxySchema = z.preprocess(
  noneToEmpty,
  z.string({ error: PROXY_RULE }).refine(
    (s) => {
      if (s === '') return true;
      const m = /^(.+?)(?::(\d{1,5}))?$/.exec(s);
      if (!m) return false;
      if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return false;
      return hostSchema().safeParse(m[1]).success;
    },
    { error: PROXY_RULE },
  ),
);

const ACCOUNT_RULE = 'must be 1 to 64 of letters, digits, "+", ".", "_" or "-"';
const CALLER_ID_RULE = 'must be up to 32 digits (a leading + allowed), or none';
const CODECS = ['PCMU', 'PCMA', 'G722', 'G729', 'OPUS', 'TELEPHONE-EVENT'] as const;
const CODECS_RULE = `must be a comma separated list of ${CODECS.join(', ')}`;
const ADDRESS_RULE = 'must be a comma separated list of IP addresses or CIDR blocks, or none';

/** Every trunk setting, as the CLI gives them (text accepted for numbers and on/off). */
export const TrunkSettingsSchema = z
  .object({
    enabled: OnOffSchema,
    host: hostSchema(),
    port: z.preprocess(textToNumber, intBetween(1, 65535)),
    transport: z.preprocess(
      lower,
      z.enum(['udp', 'tcp', 'tls'], { error: 'must be udp, tcp or tls' }),
    ),
    outboundProxy: proxySchema,
    register: OnOffSchema,
    username: z
      .string({ error: ACCOUNT_RULE })
      .regex(/^[A-Za-z0-9+._-]{1,64}$/, { error: ACCOUNT_RULE }),
    authUser: z
      .string({ error: ACCOUNT_RULE })
      .regex(/^[A-Za-z0-9+._@-]{0,64}$/, { error: ACCOUNT_RULE }),
    realm: z.string({ error: 'must be a realm of at most 128 characters' }).max(128),
    domain: z.preprocess(noneToEmpty, z.union([z.literal(''), hostSchema()])),
    expires: z.preprocess(textToNumber, intBetween(60, 86400)),
    callerId: z.preprocess(
      noneToEmpty,
      z.string({ error: CALLER_ID_RULE }).regex(/^\+?\d{0,32}$/, { error: CALLER_ID_RULE }),
    ),
    anonymous: OnOffSchema,
    maxChannels: z.preprocess(textToNumber, intBetween(0, 10000, ' (0 for unlimited)')),
    codecs: z.preprocess(
      (v) => (typeof v === 'string' ? v.split(',').map((c) => c.trim().toUpperCase()) : v),
      z
        .array(z.enum(CODECS, { error: CODECS_RULE }), { error: CODECS_RULE })
        .min(1, { error: CODECS_RULE }),
    ),
    inboundAddresses: z.preprocess(
      (v) =>
        typeof v === 'string'
          ? noneToEmpty(v) === ''
            ? []
            : v.split(',').map((c) => c.trim())
          : v,
      z.array(z.string({ error: ADDRESS_RULE }).refine(isAddressOrCidr, { error: ADDRESS_RULE }), {
        error: ADDRESS_RULE,
      }),
    ),
    password: z
      .string({ error: 'must be 1 to 128 characters' })
      .min(1, { error: 'must be 1 to 128 characters' })
      .max(128, { error: 'must be 1 to 128 characters' }),
  })
  .partial()
  .strict();

export type TrunkSettingsInput = z.infer<typeof TrunkSettingsSchema>;

function isAddressOrCidr(s: string): boolean {
  const [ip, bits, extra] = s.split('/');
  if (extra !== undefined || ip === undefined) return false;
  const family = isIP(ip);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

function toIssues(error: z.ZodError, what: string): ConfigIssue[] {
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ key, message: `is not a ${what} setting` }))
      : // An array field's element (`codecs.1`) is named by the field.
        [{ key: String(i.path[0] ?? what), message: i.message }],
  );
}

/** Validates `pbx trunk add`: a name and a host are required. */
export function parseTrunkCreate(
  name: string,
  input: Readonly<Record<string, unknown>>,
): TrunkSettingsInput & { host: string } {
  const issues: ConfigIssue[] = [];
  const n = TrunkNameSchema.safeParse(name);
  if (!n.success) issues.push({ key: 'name', message: NAME_RULE });
  const r = TrunkSettingsSchema.safeParse(input);
  if (!r.success) issues.push(...toIssues(r.error, 'trunk'));
  else if (r.data.host === undefined) issues.push({ key: 'host', message: 'is required' });
  if (issues.length || !r.success) throw new ConfigError(issues);
  return r.data as TrunkSettingsInput & { host: string };
}

/** Validates `pbx trunk set`. */
export function parseTrunkUpdate(input: Readonly<Record<string, unknown>>): TrunkSettingsInput {
  const r = TrunkSettingsSchema.safeParse(input);
  if (!r.success) throw new ConfigError(toIssues(r.error, 'trunk'));
  return r.data;
}

const DID_RULE = 'must be 1 to 32 digits (a leading + allowed)';
export const DidSchema = z.string({ error: DID_RULE }).regex(/^\+?\d{1,32}$/, { error: DID_RULE });

const PREFIX_RULE =
  'must be up to 32 digits (a leading + allowed); "any" or "" matches every number';
export const RoutePrefixSchema = z.preprocess(
  (v) => (typeof v === 'string' && v.trim().toLowerCase() === 'any' ? '' : v),
  z.string({ error: PREFIX_RULE }).regex(/^\+?\d{0,32}$/, { error: PREFIX_RULE }),
);

const AUTH_CODE_RULE = 'must be 2 to 12 digits';
export const AuthCodeSchema = z
  .string({ error: AUTH_CODE_RULE })
  .regex(/^\d{2,12}$/, { error: AUTH_CODE_RULE });

const ACCOUNT_ID_RULE = 'must be 1 to 32 of letters, digits, "_" or "-"';
export const AccountIdSchema = z
  .string({ error: ACCOUNT_ID_RULE })
  .regex(/^[A-Za-z0-9_-]{1,32}$/, { error: ACCOUNT_ID_RULE });

/**
 * A decimal amount (`1.25`, `0.0045`) as integer micro-units; at most 6 decimals. Throws
 * ConfigError naming `key`.
 */
export function parseMoney(key: string, text: string, allowNegative = false): number {
  const m = /^\s*(-)?(\d{1,9})(?:\.(\d{1,6}))?\s*$/.exec(text);
  if (!m || (m[1] && !allowNegative)) {
    throw new ConfigError([
      {
        key,
        message: `must be a${allowNegative ? 'n' : ' non-negative'} amount with at most 6 decimals`,
        got: JSON.stringify(text),
      },
    ]);
  }
  const micros = Number(m[2]) * 1_000_000 + Number((m[3] ?? '').padEnd(6, '0'));
  return m[1] ? -micros : micros;
}
