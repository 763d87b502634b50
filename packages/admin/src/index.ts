/**
 * @pbx/admin: the administrator's changes as the `pbx` command and the HTTP API both make them —
 * the same parsers, checks and messages, so the two front ends cannot diverge. Bad input is an
 * {@link InputError}; a valid request that cannot be carried out is a store `ConflictError` or
 * `NotFoundError`.
 */
export { InputError } from './errors';
export {
  assertNumberFree,
  changeFeatureCode,
  CODE_IDS,
  codeId,
  defaultCodeOf,
  dialledNumbers,
  loadNumberPlan,
  planCodeRows,
} from './number-plan';
export type { CodeId, PlanCodeRow } from './number-plan';
export {
  addRingGroup,
  changeRingGroup,
  checkMembers,
  CLI_GROUP_LABELS,
  memberText,
  overflowText,
  parseOverflowAfter,
  parseOverflowStation,
  parseTelList,
  telList,
} from './ring-groups';
export type { GroupChange, GroupLabels } from './ring-groups';
export {
  assertDidTarget,
  didEntry,
  intInRange,
  parseDid,
  routeEntry,
  routePrefix,
  trunkName,
} from './trunks';
export type { RouteInput } from './trunks';
export {
  ACCOUNT_KINDS,
  ACCOUNT_NAME_MAX,
  accountChange,
  accountId,
  accountKind,
  accountStatement,
  authCode,
  parseRates,
  RATE_COLUMNS,
} from './billing';
export type { AccountChangeLabels } from './billing';
export { checkWebPassword } from './passwords';
export { CLI_VOICEMAIL_LABELS, voicemailPatch, voicemailWhen } from './voicemail';
export type { VoicemailInput, VoicemailLabels } from './voicemail';
export {
  checkGreeting,
  GREETING_MAX_BYTES,
  GREETING_MAX_SECONDS,
  GREETING_MIN_SECONDS,
  greetingFile,
  resetGreeting,
  setGreeting,
} from './greeting';
