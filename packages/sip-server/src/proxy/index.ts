/** Stateful proxying for the client's `proxy` command (wire spec §4.8). */
import type { ControlConnection } from '../wire/control-server';
import type { SipCore } from '../core/sip-core';

export function proxyCommand(core: SipCore, conn: ControlConnection, msgId: string, tokens: string[], _sip: string): void {
  core.log.warn({ txnId: tokens[2] }, 'proxy command not available yet');
  conn.respond(msgId, ['NOK', 'proxy is not implemented by this server yet']);
}
