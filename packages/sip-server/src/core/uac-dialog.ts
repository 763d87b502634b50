/** Dialogs created by requests the client sent (UAC side, RFC 3261 §12.1.2). */
import type { SipResponse } from '../message/types';
import {
  callId,
  cseq,
  fromTag,
  getHeader,
  getHeaders,
  parseNameAddr,
  formatUri,
  toTag,
} from '../message';
import type { ReceiveInfo } from '../transport/types';
import { ownDialogStrings, sdpOf, type Dialog } from '../dialog/dialog';
import type { SipCore } from './sip-core';
import type { OutgoingRecord } from './records';
import { isPrivateAddress } from './nat';

export function createUacDialog(
  core: SipCore,
  rec: OutgoingRecord,
  res: SipResponse,
  info: ReceiveInfo,
  state: Dialog['state'],
): Dialog {
  const req = rec.req;
  const contact = getHeader(res, 'Contact');
  const target = contact ? parseNameAddr(contact)?.uri : undefined;
  const rr = getHeaders(res, 'Record-Route').reverse();
  const seq = cseq(req)?.seq ?? 1;
  const d: Dialog = {
    id: rec.dialogId,
    kind: req.method === 'SUBSCRIBE' ? 'subscribe' : 'invite',
    role: 'uac',
    state,
    callId: callId(req) ?? '',
    localTag: fromTag(req) ?? '',
    remoteTag: toTag(res) ?? '',
    localNameAddr: getHeader(req, 'From') ?? '',
    remoteNameAddr: getHeader(res, 'To') ?? getHeader(req, 'To') ?? '',
    remoteTarget: target ? formatUri(target) : req.uri,
    routeSet: rr,
    localContact: getHeader(req, 'Contact') ?? '',
    localSeq: seq,
    remoteSeq: 0,
    peer: { ...rec.dest, connectionId: info.connectionId ?? rec.dest.connectionId },
    conn: rec.conn,
    acks: new Map(),
    awaitingClientAck: new Set(),
    inviteSeq: req.method === 'INVITE' ? seq : undefined,
    createdAt: Date.now(),
  };
  const firstHop = rr[0] ? parseNameAddr(rr[0])?.uri.host : undefined;
  // NAT route (wire spec §6.9): answers whose Contact is not where they came from.
  if (
    info.source.protocol === 'udp' &&
    ((rr.length === 0 && target && target.host !== info.source.address) ||
      (firstHop && isPrivateAddress(firstHop) && firstHop !== info.source.address))
  ) {
    d.natRoute = { ...info.source };
  }
  if (req.body.length > 0) d.localSdp = sdpOf(req);
  return ownDialogStrings(d);
}
