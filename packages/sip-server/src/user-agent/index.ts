export { startSipUserAgent } from './user-agent';
export type {
  IncomingSipRequest,
  RespondOptions,
  SipUserAgent,
  SipUserAgentOptions,
} from './user-agent';
export { UasDialog } from './uas-dialog';
export type { UasDialogOptions } from './uas-dialog';
