import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors';
import { intBetween } from './schema';

/** Station numbers: 2 to 8 digits (OfficeServ stations are usually 3 or 4). */
export const TEL_RULE = 'must be 2 to 8 digits';
/** User IDs: what a SIP phone can send as its authorization name. */
export const USER_ID_RULE = 'must be 1 to 32 letters, digits, ".", "_" or "-"';
/** Characters allowed in a password by OfficeServ 4.7. */
export const PASSWORD_CHARS_RULE = 'may contain only letters, digits and !@#$%^&*';
export const PASSWORD_MIN = 6;
export const PASSWORD_MAX = 64;

export const TelSchema = z.string({ error: TEL_RULE }).regex(/^\d{2,8}$/, { error: TEL_RULE });

export const UserIdSchema = z
  .string({ error: USER_ID_RULE })
  .regex(/^[A-Za-z0-9._-]{1,32}$/, { error: USER_ID_RULE });

/** The 4.7 password rules: 6+ characters of letters, digits and `!@#$%^&*`. */
export const PasswordSchema = z
  .string({ error: `must be a string of ${PASSWORD_MIN} to ${PASSWORD_MAX} characters` })
  .min(PASSWORD_MIN, { error: `must be at least ${PASSWORD_MIN} characters` })
  .max(PASSWORD_MAX, { error: `must be at most ${PASSWORD_MAX} characters` })
  .regex(/^[A-Za-z0-9!@#$%^&*]*$/, { error: PASSWORD_CHARS_RULE });

const ON = new Set(['on', 'yes', 'true', '1', 'enable', 'enabled']);
const OFF = new Set(['off', 'no', 'false', '0', 'disable', 'disabled']);

/** on/off (also yes/no, true/false, enable/disable, 1/0) or a boolean. */
export const OnOffSchema = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const s = v.trim().toLowerCase();
    return ON.has(s) ? true : OFF.has(s) ? false : v;
  },
  z.boolean({ error: 'must be on or off' }),
);

const lower = (v: unknown): unknown => (typeof v === 'string' ? v.trim().toLowerCase() : v);
const noneToNull = (v: unknown): unknown =>
  typeof v === 'string' && ['none', 'off', ''].includes(v.trim().toLowerCase()) ? null : v;
const textToNumber = (v: unknown): unknown =>
  typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;

function enumOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.preprocess(lower, z.enum(values, { error: `must be ${values.join(' or ')}` }));
}

const DIGITS_RULE = 'must be 1 to 32 digits, or none';
const digitsOrNone = z.preprocess(
  noneToNull,
  z
    .string({ error: DIGITS_RULE })
    .regex(/^\d{1,32}$/, { error: DIGITS_RULE })
    .nullable(),
);

const STATION_OR_NONE_RULE = 'must be a station number (2 to 8 digits), or none';

/** Longest administrator status text (`--status`), in characters. */
export const STATUS_TEXT_MAX = 100;
const STATUS_TEXT_RULE = `must be text of at most ${STATUS_TEXT_MAX} characters ("" to clear)`;

/**
 * Every per-station setting with its rule, as the CLI and the admin API receive them (text is
 * accepted for booleans, numbers, and `none` to clear a destination).
 */
export const StationSettingsSchema = z
  .object({
    name: z
      .string({ error: 'must be text of at most 64 characters' })
      .max(64, { error: 'must be text of at most 64 characters' })
      // eslint-disable-next-line no-control-regex
      .regex(/^[^\u0000-\u001f\u007f"<>]*$/, {
        error: 'must not contain control characters, quotes or < >',
      }),
    toneSource: enumOf(['system', 'phone'] as const),
    callWaiting: OnOffSchema,
    forwardUnreachable: z.preprocess(
      noneToNull,
      z
        .string({ error: STATION_OR_NONE_RULE })
        .regex(/^\d{2,8}$/, { error: STATION_OR_NONE_RULE })
        .nullable(),
    ),
    dtmfType: enumOf(['rfc2833', 'info'] as const),
    insertTrunkPort: z.preprocess(
      (v) => (noneToNull(v) === null ? '' : v),
      z
        .string({ error: 'must be up to 8 digits, or none' })
        .regex(/^\d{0,8}$/, { error: 'must be up to 8 digits, or none' }),
    ),
    insertTrunkType: enumOf(['incoming', 'outgoing', 'none'] as const),
    natCheck: enumOf(['ip', 'ip-port'] as const),
    useWhitelist: OnOffSchema,
    pickupGroup: z.preprocess(textToNumber, intBetween(0, 99, ' (0 for none)')),
    forwardAll: digitsOrNone,
    forwardBusy: digitsOrNone,
    forwardNoAnswer: digitsOrNone,
    forwardBusyNoAnswer: digitsOrNone,
    forwardNoAnswerTimer: z.preprocess(
      (v) =>
        typeof v === 'string' && ['default', 'none', ''].includes(v.trim().toLowerCase())
          ? null
          : textToNumber(v),
      z
        .number({ error: 'must be a number of seconds greater than 0 and at most 600, or default' })
        .gt(0, { error: 'must be a number of seconds greater than 0 and at most 600, or default' })
        .max(600, {
          error: 'must be a number of seconds greater than 0 and at most 600, or default',
        })
        .nullable(),
    ),
    dnd: OnOffSchema,
    challengeInvites: OnOffSchema,
    srtp: enumOf(['policy', 'required'] as const),
    // The presence note watchers see (PIDF, XML-escaped when rendered): one line of text.
    statusText: z
      .string({ error: STATUS_TEXT_RULE })
      .trim()
      .max(STATUS_TEXT_MAX, { error: STATUS_TEXT_RULE })
      .regex(/^[^\p{Cc}\u2028\u2029]*$/u, { error: 'must not contain control characters' }),
  })
  .partial()
  .strict();

/** Validated station settings. */
export type StationSettingsInput = z.infer<typeof StationSettingsSchema>;

const CreateSchema = StationSettingsSchema.extend({
  tel: TelSchema,
  userId: UserIdSchema.optional(),
  password: PasswordSchema,
}).strict();

const UpdateSchema = StationSettingsSchema.extend({
  userId: UserIdSchema.optional(),
  password: PasswordSchema.optional(),
}).strict();

/** A validated `ext add`. */
export type StationCreateInput = z.infer<typeof CreateSchema> & { userId: string };
/** A validated `ext set`. */
export type StationUpdateInput = z.infer<typeof UpdateSchema>;

function toIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ key, message: 'is not a station setting' }))
      : [{ key: i.path.map(String).join('.') || 'station', message: i.message }],
  );
}

/**
 * The credential rules that involve two fields (OfficeServ 4.7): the password must differ from
 * the user ID (in any letter case) and, as a weak default, from the tel number.
 */
export function credentialIssues(tel: string, userId: string, password: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (password.toLowerCase() === userId.toLowerCase()) {
    issues.push({ key: 'password', message: 'must differ from the user ID' });
  } else if (password === tel) {
    issues.push({ key: 'password', message: 'must differ from the tel number' });
  }
  return issues;
}

/**
 * Validates a new station: tel number, user ID (defaults to the tel number), password and
 * settings. Throws ConfigError naming each bad field; the password value is never echoed.
 */
export function parseStationCreate(input: Readonly<Record<string, unknown>>): StationCreateInput {
  const r = CreateSchema.safeParse(input);
  if (!r.success) throw new ConfigError(toIssues(r.error));
  const userId = r.data.userId ?? r.data.tel;
  const issues = credentialIssues(r.data.tel, userId, r.data.password);
  if (r.data.forwardUnreachable === r.data.tel) {
    issues.push({ key: 'forwardUnreachable', message: 'must be another station' });
  }
  if (issues.length) throw new ConfigError(issues);
  return { ...r.data, userId };
}

/**
 * Validates a change to station `tel`, whose current user ID is `currentUserId`. A new password
 * is checked against the user ID; a new user ID alone must be checked against the stored password
 * by the caller (StationRepo.update's `validate` hook with {@link credentialIssues}).
 */
export function parseStationUpdate(
  tel: string,
  currentUserId: string,
  input: Readonly<Record<string, unknown>>,
): StationUpdateInput {
  const r = UpdateSchema.safeParse(input);
  if (!r.success) throw new ConfigError(toIssues(r.error));
  const issues: ConfigIssue[] = [];
  if (r.data.password !== undefined) {
    issues.push(...credentialIssues(tel, r.data.userId ?? currentUserId, r.data.password));
  }
  if (r.data.forwardUnreachable === tel) {
    issues.push({ key: 'forwardUnreachable', message: 'must be another station' });
  }
  if (issues.length) throw new ConfigError(issues);
  return r.data;
}
