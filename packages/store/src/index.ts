export { Database, DEFAULT_BUSY_TIMEOUT_MS } from './database';
export type { OpenOptions, Params, Queryable, RunResult } from './database';
export { migrate, findMigrationsDir, listMigrations, appliedMigrations } from './migrate';
export type { AppliedMigration, MigrateOptions, MigrateResult, MigrationFile } from './migrate';
export { computeHa1, PasswordCipher, loadOrCreateKey, defaultKeyPath } from './credentials';
export {
  NotFoundError,
  ConflictError,
  LicenceError,
  MigrationError,
  SecretKeyError,
  StoreError,
} from './errors';
export {
  AddressMatcher,
  InvalidAddressError,
  cidrContains,
  formatCidr,
  formatIp,
  normalizeIp,
  parseCidr,
  parseIp,
  parseWhitelistEntry,
} from './ip';
export type { CidrBlock, IpAddress, WhitelistEntry, WhitelistForm } from './ip';
export { StationRepo, STATION_DEFAULTS } from './repos/station-repo';
export type {
  DtmfType,
  InsertTrunkType,
  NatCheck,
  NewStation,
  Station,
  StationCredentials,
  StationPatch,
  StationSettings,
  StationSrtp,
  ToneSource,
  RealmOption,
  UpdateOptions,
} from './repos/station-repo';
export { MailboxRepo } from './repos/mailbox-repo';
export type { Mailbox } from './repos/mailbox-repo';
export { MessageRepo, deliveryState } from './repos/message-repo';
export { VoicemailRepo, hashPin, verifyPin, PIN_PATTERN } from './repos/voicemail-repo';
export type {
  NewVoicemailMessage,
  VoicemailBox,
  VoicemailSummary,
  VoicemailBoxPatch,
  VoicemailMessage,
} from './repos/voicemail-repo';
export type {
  DeliveryState,
  GroupHistoryEntry,
  MemberDelivery,
  NewMessage,
  QueuedMessage,
  StoredMessage,
} from './repos/message-repo';
export { ChatGroupRepo, CHAT_GROUP_ADMIN, CHAT_GROUP_MEMBER_LIMIT } from './repos/chat-group-repo';
export type { ChatGroup, NewChatGroup } from './repos/chat-group-repo';
export { RegistrationRepo } from './repos/registration-repo';
export type { Registration, RegistrationInput, SipProtocol } from './repos/registration-repo';
export type { UpsertResult } from './repos/registration-upserts';
export { WebAuthRepo } from './repos/web-auth-repo';
export { hashWebPassword, verifyWebPassword } from './web-passwords';
export { WhitelistRepo } from './repos/whitelist-repo';
export { ContactRepo } from './repos/contact-repo';
export type { ContactInput, ContactRow } from './repos/contact-repo';
export type { WhitelistRow } from './repos/whitelist-repo';
export { AccessLogRepo } from './repos/access-log-repo';
export type { AccessLogEntry, AccessLogInput } from './repos/access-log-repo';
export { BlockRepo } from './repos/block-repo';
export type { Block, BlockInput } from './repos/block-repo';
export { SystemOptionRepo } from './repos/system-option-repo';
export type { SystemOption } from './repos/system-option-repo';
export { NumberPlanRepo } from './repos/number-plan-repo';
export type { NumberPlanEntry } from './repos/number-plan-repo';
export { RingGroupRepo, RING_GROUP_MEMBER_LIMIT } from './repos/ring-group-repo';
export type { NewRingGroup, RingGroup, RingGroupPatch } from './repos/ring-group-repo';
export { CdrRepo, CDR_CSV_COLUMNS, CDR_DISPOSITIONS, csvLine, formatMoney } from './repos/cdr-repo';
export type { CdrWrite } from './repos/cdr-repo';
export { TrunkRepo, TRUNK_DEFAULTS } from './repos/trunk-repo';
export type {
  NewTrunk,
  Trunk,
  TrunkDid,
  TrunkPatch,
  TrunkRoute,
  TrunkSettings,
  TrunkState,
  TrunkStatus,
  TrunkTransport,
} from './repos/trunk-repo';
export { BillingRepo } from './repos/billing-repo';
export type {
  Account,
  AccountKind,
  AccountPatch,
  AuthCode,
  LedgerEntry,
  Rate,
} from './repos/billing-repo';
export type {
  CallAnswer,
  CallAttempt,
  CallEnd,
  CallRecord,
  CallRecordPatch,
  CdrDisposition,
  CdrFilter,
  CdrPage,
  ForwardReason,
  HangupSide,
} from './repos/cdr-repo';
export { ChangeRepo } from './repos/change-repo';
export type { ChangeArea } from './repos/change-repo';
export { ChangeWatcher } from './change-watcher';
export type { ChangeWatcherEvents, ChangeWatcherOptions } from './change-watcher';
export { Store } from './store';
export type { StoreOptions } from './store';
export type { Logger } from './logger';
export { silentLogger } from './logger';
export { backupDatabase, checkBackup, restoreDatabase } from './backup';
export type { BackupResult, BackupSummary } from './backup';
export { AuditRepo } from './repos/audit-repo';
export type { AuditEntry, AuditInput } from './repos/audit-repo';
