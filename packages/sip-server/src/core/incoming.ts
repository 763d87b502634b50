/**
 * Requests from the network (wire spec §3, §5.3–5.6, §6.1–6.3, §6.7): new requests go to a client
 * that routed the method, in-dialog requests to the dialog's client, CANCEL and ACK are matched
 * here, and everything nobody can take is answered by the server itself.
 */
import type { SipRequest, SipResponse } from '../message/types';
import {
  callId,
  cseq,
  fromTag,
  toTag,
  getHeader,
  getHeaders,
  makeResponse,
  parseNameAddr,
  parseAnyNameAddr,
  formatUri,
  ownString,
  randomTag,
} from '../message';
import type { ReceiveInfo } from '../transport/types';
import type { ServerTransaction } from '../transaction';
import type { AnyServerTransaction } from '../transaction/server-transaction';
import type { Dialog } from '../dialog/dialog';
import { respondSafely, type SipCore } from './sip-core';
import type { IncomingRecord } from './records';
import { sendBye } from './dialog-requests';
import { stopSessionTimer } from './session-timer';
import { checkRequest } from './request-checks';

/** Methods a client can route for requests outside a dialog (wire spec §6.7). */
const ROUTABLE = new Set([
  'INVITE',
  'REGISTER',
  'SUBSCRIBE',
  'MESSAGE',
  'OPTIONS',
  'INFO',
  'NOTIFY',
  'PUBLISH',
]);
/** With an unmatched To tag these are taken as new requests (e.g. a NOTIFY overtaking a 202). */
const TAGGED_AS_NEW = new Set(['NOTIFY', 'OPTIONS', 'INFO', 'MESSAGE', 'PUBLISH', 'SUBSCRIBE']);

export function reply(
  txn: ServerTransaction,
  req: SipRequest,
  status: number,
  reason?: string,
  headers: { name: string; value: string }[] = [],
): void {
  const res = makeResponse(req, status, reason, {
    toTag: toTag(req) ? undefined : randomTag(),
    headers,
  });
  respondSafely(txn, res);
}

export function handleRequest(
  core: SipCore,
  req: SipRequest,
  info: ReceiveInfo,
  txn: ServerTransaction,
): void {
  const method = req.method.toUpperCase();
  if (method === 'CANCEL') return handleCancel(core, req, info, txn);
  const refusal = checkRequest(req, core.supportedTags);
  if (refusal) {
    core.refused(refusal.status, refusal.why, method, info);
    if (method === 'INVITE')
      core.cdr('stop', 'application', 'call-rejected', makeResponse(req, refusal.status));
    return reply(txn, req, refusal.status, undefined, refusal.headers);
  }
  const cid = callId(req) ?? '';
  const tt = toTag(req);
  if (tt) {
    const d = core.dialogs.match(cid, fromTag(req), tt);
    if (d) return handleInDialog(core, d, req, info, txn);
    // A dialog we record-routed as a proxy: its requests carry a Route naming us (wire spec §4.8).
    if (core.opts.relay.request(core, req, info, txn)) return;
    if (!TAGGED_AS_NEW.has(method)) return reply(txn, req, 481);
  }
  if (!ROUTABLE.has(method)) {
    if (method === 'BYE' || method === 'UPDATE' || method === 'PRACK') return reply(txn, req, 481);
    if (method === 'REFER')
      return reply(txn, req, 405, undefined, [{ name: 'Allow', value: [...ROUTABLE].join(', ') }]);
    return reply(txn, req, 501);
  }
  if (method === 'REGISTER') {
    const bad = checkRegisterContacts(req);
    if (bad) return reply(txn, req, 400, bad);
  }
  const conn = core.pickClient(method);
  if (!conn) {
    if (method === 'OPTIONS' && core.opts.optionsAutoAnswer) return reply(txn, req, 200);
    core.log.debug({ method }, 'no client routes this method');
    if (method === 'INVITE')
      core.cdr('stop', 'application', 'call-rejected', makeResponse(req, 503));
    return reply(txn, req, 503);
  }
  const rec: IncomingRecord = {
    txnId: core.newTxnId(),
    txn,
    req,
    info,
    conn,
    dialogCreating: method === 'INVITE' || method === 'SUBSCRIBE',
    responded: false,
    final: false,
    cancelled: false,
    nextRseq: 1 + Math.floor(Math.random() * 1000),
    guardAt: undefined,
  };
  track(core, rec);
  if (method === 'INVITE') core.cdr('attempt', 'network', undefined, req);
  core.deliver(conn, req, info.source, rec.txnId, '', { received: info.local });
}

/**
 * Keeps the record until the request is finally answered (see {@link settle}) or its transaction
 * ends unanswered; answers for a client that never does.
 */
export function track(core: SipCore, rec: IncomingRecord): void {
  core.incoming.set(rec.txnId, rec);
  // The transaction holds its record and the core's one end callback in two fields: no
  // listener and no WeakMap entry per request.
  rec.txn.owner = rec;
  rec.txn.onEnd = core.onIncomingEnded ??= (txn) => forgetRecordOf(core, txn);
  armGuard(core, rec);
}

/** The record of a request whose transaction is `txn`, while it is not finally answered. */
export function liveRecordOf(txn: ServerTransaction): IncomingRecord | undefined {
  const rec = txn.owner as IncomingRecord | undefined;
  return rec && !rec.final ? rec : undefined;
}

/**
 * The transaction of a tracked request ended: its record goes (it is usually gone already,
 * forgotten when finally answered) and the transaction lets go of it.
 */
function forgetRecordOf(core: SipCore, txn: AnyServerTransaction): void {
  const rec = txn.owner as IncomingRecord | undefined;
  txn.owner = undefined;
  if (!rec || core.incoming.get(rec.txnId) !== rec) return;
  clearRecordTimers(rec);
  core.incoming.delete(rec.txnId);
}

function clearRecordTimers(rec: IncomingRecord): void {
  rec.guardAt = undefined;
  if (rec.reliable?.timer) clearTimeout(rec.reliable.timer);
  rec.reliable = undefined;
}

/**
 * The request has its final answer (or the proxy took it over): from now on its transaction only
 * waits out RFC timers, which need none of this record. It is forgotten, but for what a late
 * CANCEL of an INVITE needs (the dialog id) and, while an UPDATE received during the INVITE is
 * not answered yet, the record itself (the app answers that UPDATE with the INVITE's txnId).
 */
export function settle(core: SipCore, rec: IncomingRecord): void {
  rec.final = true;
  clearRecordTimers(rec);
  const d = rec.dialog;
  if (d && core.creatingRequest.get(d) === rec) core.creatingRequest.delete(d);
  if (rec.req.method === 'INVITE')
    core.answeredInvites.set(rec.txn, d && rec.dialogCreating ? d.id : '');
  if (!rec.pendingUpdate) {
    core.incoming.delete(rec.txnId);
    // The transaction outlives the answer (retransmissions, an INVITE's ACK) and must not keep
    // the record, and with it the request, that long.
    if (rec.txn.owner === rec) {
      rec.txn.owner = undefined;
      rec.txn.onEnd = undefined;
    }
  }
}

/**
 * drachtio drops an unanswered request silently after 64 s; we answer (wire spec §6.2, §10) when
 * the client's own timer (64·T1) has run out. Every record waits the same time and
 * `core.incoming` is in arrival order, which is deadline order, and holds only records not
 * finally answered (and the rare one kept for an UPDATE): one sweep timer per core walks it from
 * the front instead of a timer made and cleared per request. The sweep runs every 2·T1 (at most
 * a second), so an answer comes at most that much after 64·T1, well before the transaction's own
 * guard (64·T1 + T4).
 */
function armGuard(core: SipCore, rec: IncomingRecord): void {
  rec.guardAt = Date.now() + 64 * core.opts.t1;
  scheduleGuardSweep(core);
}

function scheduleGuardSweep(core: SipCore): void {
  if (core.guardSweep !== undefined) return;
  const every = Math.max(10, Math.min(1000, 2 * core.opts.t1));
  core.guardSweep = setTimeout(() => sweepGuards(core), every);
  // Waiting for an answer is no reason to keep the process alive.
  core.guardSweep.unref();
}

function sweepGuards(core: SipCore): void {
  core.guardSweep = undefined;
  const now = Date.now();
  for (const rec of core.incoming.values()) {
    const at = rec.guardAt;
    if (at === undefined) continue;
    if (at > now) break;
    rec.guardAt = undefined;
    guardExpired(core, rec);
  }
  if (core.incoming.size > 0 && !core.stopped) scheduleGuardSweep(core);
}

function guardExpired(core: SipCore, rec: IncomingRecord): void {
  if (rec.final) return;
  const isInvite = rec.req.method === 'INVITE';
  if (isInvite && rec.responded) return;
  if (core.admits && !core.admits(rec.info.source)) {
    // The client left it unanswered because its source is blocked (no-response mode):
    // answering now would tell the scanner we are here. Forget it without a word.
    settle(core, rec);
    core.opts.transactions.abandon(rec.txn);
    core.incoming.delete(rec.txnId);
    core.refusals.set(
      'dropped-unanswered-blocked',
      (core.refusals.get('dropped-unanswered-blocked') ?? 0) + 1,
    );
    return;
  }
  core.log.warn(
    { method: rec.req.method, txnId: rec.txnId },
    'client never answered, answering for it',
  );
  finishUnanswered(core, rec, isInvite ? 480 : 408);
}

export function finishUnanswered(core: SipCore, rec: IncomingRecord, status: number): void {
  if (rec.final) return;
  const res = makeResponse(rec.req, status, undefined, {
    toTag: toTag(rec.req) ? undefined : (rec.localTag ?? randomTag()),
  });
  settle(core, rec);
  respondSafely(rec.txn, res, core.log);
  if (rec.dialog && rec.dialogCreating) core.dialogs.remove(rec.dialog);
  core.incoming.delete(rec.txnId);
}

function checkRegisterContacts(req: SipRequest): string | undefined {
  const contacts = getHeaders(req, 'Contact');
  for (const c of contacts) {
    if (c.trim() === '*') {
      const exp = getHeader(req, 'Expires');
      if (contacts.length > 1 || exp === undefined || Number(exp) !== 0)
        return 'Invalid Contact: * with non-zero Expires';
      continue;
    }
    // Any URI scheme may be registered (RFC 3261 §10.2.1 shows mailto:); the registrar decides.
    if (!parseAnyNameAddr(c)) return 'Bad Contact Header';
  }
  return undefined;
}

function handleInDialog(
  core: SipCore,
  d: Dialog,
  req: SipRequest,
  info: ReceiveInfo,
  txn: ServerTransaction,
): void {
  const method = req.method.toUpperCase();
  if (d.conn.closed) return reply(txn, req, 481);
  const seq = cseq(req)?.seq ?? 0;
  if (seq > d.remoteSeq) d.remoteSeq = seq;
  const rec: IncomingRecord = {
    txnId: core.newTxnId(),
    txn,
    req,
    info,
    conn: d.conn,
    dialogCreating: false,
    dialog: d,
    responded: false,
    final: false,
    cancelled: false,
    nextRseq: 1,
    guardAt: undefined,
  };
  switch (method) {
    case 'BYE':
      // The dialog ends when the BYE arrives, not when the 200 leaves (wire spec §5.5).
      core.dialogs.remove(d);
      stopSessionTimer(d);
      core.cdr('stop', 'network', 'normal-release', req);
      break;
    case 'INVITE':
    case 'UPDATE': {
      const se = getHeader(req, 'Session-Expires');
      if (se !== undefined && parseInt(se, 10) < core.opts.minSe) {
        return reply(txn, req, 422, undefined, [
          { name: 'Min-SE', value: String(core.opts.minSe) },
        ]);
      }
      const inProgress =
        method === 'UPDATE' && d.state === 'early' ? pendingInviteOf(core, d) : undefined;
      if (inProgress) {
        // UPDATE during INVITE setup: delivered with the INVITE's txnId (wire spec §3.3 e).
        if (inProgress.pendingUpdate)
          return reply(txn, req, 500, undefined, [{ name: 'Retry-After', value: '1' }]);
        inProgress.pendingUpdate = { txn, req };
        txn.once('terminated', () => {
          if (inProgress.pendingUpdate?.txn !== txn) return;
          inProgress.pendingUpdate = undefined;
          // The INVITE was answered meanwhile: the record was kept for this UPDATE only.
          if (inProgress.final) core.incoming.delete(inProgress.txnId);
        });
        core.deliver(d.conn, req, info.source, inProgress.txnId, d.id);
        return;
      }
      stopSessionTimer(d);
      const contact = getHeader(req, 'Contact');
      const na = contact ? parseNameAddr(contact) : undefined;
      if (na) d.remoteTarget = ownString(formatUri(na.uri));
      break;
    }
    case 'PRACK': {
      const inv = pendingInviteOf(core, d);
      if (inv?.reliable) {
        const rack = getHeader(req, 'RAck')?.trim().split(/\s+/)[0];
        if (rack !== undefined && Number(rack) === inv.reliable.rseq) {
          if (inv.reliable.timer) clearTimeout(inv.reliable.timer);
          inv.reliable = undefined;
        }
      }
      break;
    }
    case 'NOTIFY': {
      const state = getHeader(req, 'Subscription-State') ?? '';
      const event = getHeader(req, 'Event') ?? '';
      if (d.kind === 'subscribe' && /^\s*terminated/i.test(state) && !/^\s*refer/i.test(event))
        core.dialogs.remove(d);
      break;
    }
    default:
      break;
  }
  track(core, rec);
  core.deliver(d.conn, req, info.source, rec.txnId, d.id);
}

/** The incoming INVITE (or SUBSCRIBE) whose answer is creating dialog `d`, if still in progress. */
export function pendingInviteOf(core: SipCore, d: Dialog): IncomingRecord | undefined {
  const rec = core.creatingRequest.get(d);
  return rec && !rec.final ? rec : undefined;
}

function handleCancel(
  core: SipCore,
  cancel: SipRequest,
  info: ReceiveInfo,
  txn: ServerTransaction,
): void {
  const inviteTxn = core.transactions.findInviteServerTransaction(cancel);
  // Answered 2xx and ACKed, the transaction waiting out timer L in the layer: too late to cancel.
  if (!inviteTxn && core.transactions.isAckedInvite(cancel)) return reply(txn, cancel, 200);
  const proxied = inviteTxn ? core.proxied.get(inviteTxn) : undefined;
  if (proxied) return proxied.cancel(cancel, info, txn);
  const rec = inviteTxn ? liveRecordOf(inviteTxn) : undefined;
  const answered = inviteTxn ? core.answeredInvites.get(inviteTxn) : undefined;
  if (answered !== undefined) {
    const d = answered ? core.dialogs.get(answered) : undefined;
    if (d && d.role === 'uas' && d.state === 'confirmed' && d.lastAckSeq === undefined) {
      // CANCEL crossed our 2xx (wire spec §5.3): 481, then tear the call down.
      reply(txn, cancel, 481);
      core.dialogs.remove(d);
      sendBye(core, d, 'CANCEL after 200 OK', true);
      return;
    }
    return reply(txn, cancel, 200);
  }
  if (!rec) return reply(txn, cancel, 481);
  if (rec.final) return reply(txn, cancel, 200);
  reply(txn, cancel, 200);
  rec.cancelled = true;
  const res: SipResponse = makeResponse(rec.req, 487, undefined, {
    toTag: rec.localTag ?? randomTag(),
  });
  settle(core, rec);
  respondSafely(rec.txn, res, core.log);
  core.cdr('stop', 'network', 'call-canceled', cancel);
  const d = rec.dialog;
  if (d) core.dialogs.remove(d);
  core.incoming.delete(rec.txnId);
  core.deliver(rec.conn, cancel, info.source, rec.txnId, rec.responded && d ? d.id : '');
}

/** ACK from the network for a 2xx (initial INVITE or re-INVITE); others never get here. */
export function handleAck(core: SipCore, ack: SipRequest, info: ReceiveInfo): void {
  const d = core.dialogs.match(callId(ack) ?? '', fromTag(ack), toTag(ack));
  if (!d && core.opts.relay.ack(core, ack, info)) return;
  if (!d || d.conn.closed) {
    core.dropped('ack-no-dialog', 'ACK matches no dialog', info);
    return;
  }
  const seq = cseq(ack)?.seq ?? 0;
  if (d.lastAckSeq === seq) return;
  d.lastAckSeq = seq;
  core.deliver(d.conn, ack, info.source, core.newTxnId(), d.id);
}
