/** Dispatch of client commands (wire spec §4.1) and cleanup when a client leaves (§5.8). */
import type { ControlConnection, CommandHandler } from '../wire/control-server';
import { parseClientMessage } from '../wire/client-message';
import type { SipCore } from './sip-core';
import { sendResponse } from './responses';
import { abandonOutgoing, sendCancel, sendInDialog, sendNewRequest } from './requests';
import { finishUnanswered } from './incoming';
import { sendBye } from './dialog-requests';
import { stopSessionTimer } from './session-timer';

export function commandHandler(
  core: SipCore,
  proxy: (conn: ControlConnection, msgId: string, tokens: string[], sip: string) => void,
): CommandHandler {
  return {
    onSipCommand(conn, msgId, tokens, sip) {
      const txnId = tokens[2] ?? '';
      const dialogId = tokens[3] ?? '';
      const routeUrl = tokens[4] || undefined;
      const m = parseClientMessage(sip);
      if ('error' in m) return conn.respond(msgId, ['NOK', m.error]);
      if (m.kind === 'response') {
        if (!txnId) {
          conn.respond(msgId, ['NO', 'transaction id missing']);
          conn.close();
          return;
        }
        return sendResponse(core, conn, msgId, txnId, m);
      }
      const fail = (err: unknown): void => {
        core.log.error({ err }, 'sip command failed');
        conn.respond(msgId, [
          'NOK',
          `Server error: ${err instanceof Error ? err.message : String(err)}`,
        ]);
      };
      if (dialogId) return void sendInDialog(core, conn, msgId, dialogId, m).catch(fail);
      if (txnId) {
        if (m.method !== 'CANCEL')
          return conn.respond(msgId, ['NOK', `unexpected ${m.method} with a transaction id`]);
        return sendCancel(core, conn, msgId, txnId, m);
      }
      return void sendNewRequest(core, conn, msgId, m, routeUrl).catch(fail);
    },
    onProxyCommand: proxy,
    onClientClosed(conn) {
      for (const rec of [...core.incoming.values()]) {
        if (rec.conn === conn && !rec.final)
          finishUnanswered(core, rec, rec.req.method === 'INVITE' ? 480 : 503);
      }
      abandonOutgoing(core, conn);
      for (const d of core.dialogs.forConnection(conn)) {
        core.dialogs.remove(d);
        stopSessionTimer(d);
        if (d.state === 'confirmed' && d.kind === 'invite')
          sendBye(core, d, 'Client disconnected', false);
      }
    },
  };
}
