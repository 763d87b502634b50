/**
 * Transfer: blind and attended REFER, and the OfficeServ hang-up transfer.
 */
import type { CallEnv } from './call-env';

export function installTransfer(env: CallEnv): void {
  env.intercept.refer = (_leg, _call, req) => req.respond(603);
}
