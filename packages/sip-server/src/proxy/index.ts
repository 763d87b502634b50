/** Stateful proxying for the client's `proxy` command (wire spec §4.8, RFC 3261 §16). */
import type { ControlConnection } from '../wire/control-server';
import type { SipCore } from '../core/sip-core';
import { settle } from '../core/incoming';
import { makeResponse, parseUri, randomTag, serializeMessageText, toTag } from '../message';
import { stackTime } from '../wire/leader';
import { parseProxyCommand } from './command';
import { isOurUri, maxForwardsOf } from './forward';
import { ProxyTransaction, type ProxyReporter } from './proxy-transaction';

export { relayAck, relayRequest } from './relay';
export { parseProxyCommand, parseDuration, type ProxyCommand } from './command';
export {
  ProxyTransaction,
  type ProxyOptions,
  type ProxyReporter,
  type Upstream,
} from './proxy-transaction';
export * from './proxy-state';

/**
 * Proxies the incoming request the client names by txnId to the command's destinations. The
 * client gets one `OK|network|…|continue` reply per final response of any branch, then `OK|done`
 * (or `NOK|<reason>`).
 */
export function proxyCommand(
  core: SipCore,
  conn: ControlConnection,
  msgId: string,
  tokens: string[],
  sip: string,
): void {
  const cmd = parseProxyCommand(tokens, sip);
  if ('error' in cmd) return conn.respond(msgId, ['NOK', cmd.error]);
  const rec = core.incoming.get(cmd.txnId);
  // Answered already, or being answered by the app as a UAS (an early dialog exists).
  if (!rec || rec.final || rec.dialog)
    return conn.respond(msgId, ['NOK', `Unknown transaction id: ${cmd.txnId}`]);

  // From here on the proxy owns the server transaction.
  settle(core, rec);
  core.incoming.delete(rec.txnId);

  const req = rec.req;
  if (maxForwardsOf(req) === 0) {
    // RFC 3261 §16.3 step 3.
    rec.txn
      .respond(makeResponse(req, 483, undefined, { toTag: toTag(req) ? undefined : randomTag() }))
      .catch(() => undefined);
    return conn.respond(msgId, ['NOK', 'Too many hops']);
  }
  const requestUri = parseUri(req.uri);
  const reporter: ProxyReporter = {
    final(res, from) {
      const text = serializeMessageText(res);
      conn.respond(
        msgId,
        [
          'OK',
          'network',
          String(Buffer.byteLength(text)),
          from.protocol,
          from.address,
          String(from.port),
          stackTime(),
          '',
          '',
          'continue',
        ],
        text,
      );
    },
    done() {
      conn.respond(msgId, ['OK', 'done']);
    },
    fail(reason) {
      conn.respond(msgId, ['NOK', reason]);
    },
  };
  core.log.debug(
    { txnId: cmd.txnId, targets: cmd.destinations, forking: cmd.forking },
    'proxying request',
  );
  new ProxyTransaction(
    core,
    { txn: rec.txn, req, info: rec.info },
    {
      targets: cmd.destinations,
      serial: cmd.forking === 'serial',
      followRedirects: cmd.followRedirects,
      ...(cmd.provisionalTimeoutMs !== undefined
        ? { provisionalTimeoutMs: cmd.provisionalTimeoutMs }
        : {}),
      ...(cmd.finalTimeoutMs !== undefined ? { finalTimeoutMs: cmd.finalTimeoutMs } : {}),
      recordRoute: cmd.remainInDialog,
      // RFC 3261 §16.5: a Request-URI naming us is replaced by the target; any other is kept.
      replaceUri: requestUri !== undefined && isOurUri(requestUri, core.listen()),
      headers: cmd.headers,
      reporter,
      cdrs: req.method === 'INVITE',
    },
  ).start();
}
