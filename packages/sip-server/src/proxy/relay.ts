/**
 * Later requests of a dialog we record-routed (wire spec §4.8, RFC 3261 §16): they arrive with a
 * Route naming us and are passed on after that Route is taken off.
 *
 * @NOTE not stateless as drachtio is: the transaction layer already holds a server transaction
 * for every request, so a request other than ACK goes on through a one-branch proxy transaction
 * (our Via added, taken off the responses again). Retransmissions are then absorbed on one side
 * and repeated on the other by the transactions, which a stateless relay could not do here. ACK
 * has no transaction and is forwarded statelessly.
 */
import type { SipRequest } from '../message/types';
import { callId, makeResponse, randomBranch, randomTag, toTag } from '../message';
import type { ReceiveInfo } from '../transport/types';
import type { ServerTransaction } from '../transaction';
import type { SipCore } from '../core/sip-core';
import { hostPortText, isSelf, localAddressFor, resolveUri } from '../core/addressing';
import {
  isOurUri,
  maxForwardsOf,
  nextHopUri,
  parseTarget,
  prepareForward,
  topRouteIsOurs,
} from './forward';
import { ProxyTransaction } from './proxy-transaction';

/**
 * Takes over an in-dialog request that no dialog of ours matched when its top Route names us and
 * its next hop is elsewhere. Returns false to leave the request to normal handling.
 */
export function relayRequest(
  core: SipCore,
  req: SipRequest,
  info: ReceiveInfo,
  txn: ServerTransaction,
): boolean {
  const listen = core.listen();
  if (!topRouteIsOurs(req, listen)) return false;
  const prepared = prepareForward(req, listen);
  const target = parseTarget(prepared.uri);
  if (!target || target.scheme === 'tel' || isOurUri(nextHopUri(prepared, target), listen))
    return false;
  if (maxForwardsOf(req) === 0) {
    // RFC 3261 §16.3 step 3.
    txn
      .respond(makeResponse(req, 483, undefined, { toTag: toTag(req) ? undefined : randomTag() }))
      .catch(() => undefined);
    return true;
  }
  const cdrs = req.method === 'BYE';
  if (cdrs) core.cdr('stop', 'network', 'normal-release', req);
  core.log.debug({ method: req.method, callId: callId(req) }, 'relaying in-dialog request');
  new ProxyTransaction(
    core,
    { txn, req, info },
    {
      targets: [prepared.uri],
      serial: true,
      followRedirects: false,
      recordRoute: false,
      replaceUri: false,
      headers: [],
      cdrs: false,
    },
  ).start();
  return true;
}

/** Forwards an ACK whose top Route names us (the ACK for a 2xx of a record-routed dialog). */
export function relayAck(core: SipCore, ack: SipRequest, _info: ReceiveInfo): boolean {
  const listen = core.listen();
  if (!topRouteIsOurs(ack, listen)) return false;
  const prepared = prepareForward(ack, listen);
  const target = parseTarget(prepared.uri);
  if (!target || target.scheme === 'tel') return false;
  const hop = nextHopUri(prepared, target);
  if (isOurUri(hop, listen)) return false;
  if (maxForwardsOf(ack) === 0) return true;
  resolveUri(hop)
    .then((dest) => {
      if (isSelf(dest, core.listen())) return;
      const local = localAddressFor(core.listen(), dest.protocol, dest.address);
      if (!local) return;
      prepared.headers.unshift({
        name: 'Via',
        value: `SIP/2.0/${dest.protocol.toUpperCase()} ${hostPortText(local.address, local.port)};rport;branch=${randomBranch()}`,
      });
      return core.transactions.sendStateless(prepared, dest);
    })
    .catch((err: unknown) =>
      core.log.warn({ err: String(err), callId: callId(ack) }, 'ACK not relayed'),
    );
  return true;
}
