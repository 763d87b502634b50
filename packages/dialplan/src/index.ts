/**
 * @pbx/dialplan: the number plan. Pure functions from dialled digits to a station, ring group,
 * feature code with its argument, trunk call or nothing; the feature code table; plan checks.
 */
export {
  FEATURE_CODES,
  FEATURE_IDS,
  defaultCodes,
  defaultNumberPlan,
  isFeatureId,
  isValidCodeSyntax,
} from './feature-codes';
export type {
  ArgumentKind,
  FeatureCodeDefinition,
  FeatureCodes,
  FeatureId,
  NumberPlan,
} from './feature-codes';
export { classify } from './classify';
export type { Classification, ClassifyPlan, FeatureErrorReason } from './classify';
export {
  checkCodeChange,
  checkNewNumber,
  checkPlanCodeChange,
  describeEntry,
  validatePlan,
} from './validate';
export { PLAN_CODE_IDS, PLAN_CODES, isPlanCodeId, planFromStored } from './plan-codes';
export type { PlanCodeDefinition, PlanCodeId } from './plan-codes';
export type { CodeChangeResult, NumberOwner, PlanEntry, PlanProblem } from './validate';
export { describePlan, dialPattern, planMarkdownTable } from './describe';
export type { PlanRow } from './describe';
export { checkRingGroupMembers, RING_GROUP_MAX_SIP_MEMBERS } from './ring-group-members';
export {
  CHAT_GROUP_NUMBER_RANGES,
  chatGroupNumberProblems,
  pickChatGroupNumber,
} from './chat-group-number';
