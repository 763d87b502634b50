/**
 * The number plan helpers the commands use; they live in @pbx/admin so that the HTTP API makes
 * the same checks with the same messages.
 */
export { assertNumberFree, dialledNumbers, loadNumberPlan } from '@pbx/admin';
