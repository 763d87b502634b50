export { ConfigError, formatIssue } from './errors';
export { checkPlayableWav, wavInfo } from './sound-file';
export type { SoundFileInfo } from './sound-file';
export type { ConfigIssue } from './errors';
export {
  PbxConfigSchema,
  SipSchema,
  ControlSchema,
  SecuritySchema,
  LicenseSchema,
  DbSchema,
  LogSchema,
  FeaturesSchema,
  TrunksSchema,
  LOG_LEVELS,
  tlsEnabled,
  intBetween,
  secondsUpTo,
  hostSchema,
  domainSchema,
} from './schema';
export type { PbxConfig, LogLevel } from './schema';
export {
  OPTIONS,
  envNameOf,
  envNamesOf,
  findOption,
  settableOptions,
  SettableOptionsSchema,
  optionSchema,
  coerceOptionText,
  parseOptionValue,
  getOptionValue,
  showValue,
} from './options';
export type { OptionKind, OptionSpec } from './options';
export { loadConfig, resolveConfig, redactConfig, randomSecret, CONFIG_REDACT_PATHS } from './load';
export type { ConfigSource, Env, LoadConfigInput, ResolvedConfig } from './load';
export {
  TelSchema,
  UserIdSchema,
  PasswordSchema,
  OnOffSchema,
  StationSettingsSchema,
  credentialIssues,
  parseStationCreate,
  parseStationUpdate,
  TEL_RULE,
  USER_ID_RULE,
  PASSWORD_CHARS_RULE,
  PASSWORD_MIN,
  PASSWORD_MAX,
} from './station';
export type { StationCreateInput, StationSettingsInput, StationUpdateInput } from './station';
export {
  AccountIdSchema,
  AuthCodeSchema,
  DidSchema,
  RoutePrefixSchema,
  TrunkNameSchema,
  TrunkSettingsSchema,
  parseMoney,
  parseTrunkCreate,
  parseTrunkUpdate,
} from './trunk';
export type { TrunkSettingsInput } from './trunk';
