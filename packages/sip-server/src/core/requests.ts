/** Requests the client sends to the network (wire spec §4.3, §4.5–4.7) and their responses. */
import type { SipHeader, SipRequest, SipResponse } from '../message/types';
import {
  cseq,
  getHeader,
  makeResponse,
  parseNameAddr,
  formatUri,
  parseUri,
  randomBranch,
  randomCallId,
  ownString,
  randomTag,
  requestSkeleton,
  toTag,
} from '../message';
import type { ReceiveInfo, HostPort } from '../transport/types';
import type { Dialog } from '../dialog/dialog';
import { dialogIdOf, sdpOf } from '../dialog/dialog';
import type { ControlConnection } from '../wire/control-server';
import { takeHeader, type ClientMessage } from '../wire/client-message';
import type { SipCore } from './sip-core';
import type { OutgoingRecord } from './records';
import {
  AddressError,
  hostPortText,
  isSelf,
  localAddressFor,
  resolveUri,
  rewriteLocalhost,
} from './addressing';
import { aorKey } from './connection-registry';
import { buildInDialogRequest, sendBye } from './dialog-requests';
import { applyUacSessionTimer, stopSessionTimer } from './session-timer';
import { createUacDialog } from './uac-dialog';
import { contactFor } from './responses';
import { defaultContentType } from './content-type';

type ClientRequest = Extract<ClientMessage, { kind: 'request' }>;

const REUSE_METHODS = new Set(['INVITE', 'OPTIONS', 'NOTIFY', 'MESSAGE']);
const LOCALHOST_HEADERS = ['From', 'To', 'Contact', 'P-Asserted-Identity'];

function nok(conn: ControlConnection, msgId: string, err: unknown): void {
  conn.respond(msgId, ['NOK', err instanceof Error ? err.message : String(err)]);
}

/** (a) A new request outside any dialog. */
export async function sendNewRequest(
  core: SipCore,
  conn: ControlConnection,
  msgId: string,
  m: ClientRequest,
  routeUrl?: string,
): Promise<void> {
  const method = m.method;
  const uri = parseUri(m.uri);
  if (!uri) return nok(conn, msgId, `invalid request-uri: ${m.uri}`);
  let dest =
    !routeUrl && REUSE_METHODS.has(method)
      ? core.connections.lookup(aorKey(uri.user, uri.host))
      : undefined;
  if (!dest) {
    const hopUri = routeUrl
      ? parseUri(/^sips?:/i.test(routeUrl) ? routeUrl : `sip:${routeUrl}`)
      : uri;
    if (!hopUri) return nok(conn, msgId, `invalid route: ${routeUrl}`);
    try {
      dest = await resolveUri(hopUri);
    } catch (err) {
      return nok(conn, msgId, err);
    }
  }
  const local = localAddressFor(core.listen(), dest.protocol, dest.address);
  if (!local) return nok(conn, msgId, 'requested protocol/transport not available');
  if (isSelf(dest, core.listen())) return nok(conn, msgId, 'can not send request to myself');

  const hostport = hostPortText(local.address, local.port);
  const headers = [...m.headers];
  for (const h of headers) {
    if (LOCALHOST_HEADERS.includes(h.name))
      h.value = rewriteLocalhost(h.value, local.address, local.port, h.name === 'From');
  }
  let from = takeHeader(headers, 'From') ?? `<sip:${hostport}>`;
  if (!/;\s*tag=/i.test(from)) from += `;tag=${randomTag()}`;
  const to = takeHeader(headers, 'To') ?? `<${m.uri}>`;
  const cid = takeHeader(headers, 'Call-ID') ?? randomCallId();
  const appCseq = takeHeader(headers, 'CSeq');
  const seq =
    appCseq && /^\s*\d+/.test(appCseq)
      ? parseInt(appCseq, 10)
      : 1 + Math.floor(Math.random() * 0x7fff0000);
  const maxForwards = takeHeader(headers, 'Max-Forwards') ?? '70';
  let contact = takeHeader(headers, 'Contact');
  if (!contact && (method === 'INVITE' || method === 'SUBSCRIBE'))
    contact = contactFor(dest.protocol, hostport, /^sips:/i.test(m.uri));
  const req: SipRequest = {
    kind: 'request',
    method,
    uri: m.uri,
    headers: [
      {
        name: 'Via',
        value: `SIP/2.0/${dest.protocol.toUpperCase()} ${hostport};rport;branch=${randomBranch()}`,
      },
      { name: 'Max-Forwards', value: maxForwards },
      { name: 'From', value: from },
      { name: 'To', value: to },
      { name: 'Call-ID', value: cid },
      { name: 'CSeq', value: `${seq} ${method}` },
      ...(contact ? [{ name: 'Contact', value: contact }] : []),
      ...headers,
    ],
    body: m.body,
  };
  if (!defaultContentType(req)) return nok(conn, msgId, 'missing content-type');

  const initial = method === 'INVITE' || method === 'SUBSCRIBE';
  const fromTagValue = /;\s*tag=([^;>\s]+)/i.exec(from)?.[1] ?? '';
  const rec = startOutgoing(core, {
    conn,
    req,
    dest,
    dialogId: initial ? dialogIdOf(cid, fromTagValue) : '',
    initial,
  });
  // The echo goes out before any response can be delivered (wire spec §1.5 ordering rule).
  core.echoRequest(conn, msgId, req, dest, rec.txnId);
  if (method === 'INVITE') core.cdr('attempt', 'application', undefined, req);
}

/** Records a request the client sent and starts its client transaction. */
function startOutgoing(
  core: SipCore,
  r: Pick<OutgoingRecord, 'conn' | 'req' | 'dest' | 'dialogId' | 'initial'> & { dialog?: Dialog },
): OutgoingRecord {
  // Every field in the literal, always in this order: one shape for every record, its fields in
  // the object (a spread of callers' varying fields and fields added later gave the records of
  // INVITEs, kept until timer M, shapes of their own and a property array each).
  const rec: OutgoingRecord = {
    txnId: core.newTxnId(),
    conn: r.conn,
    req: r.req,
    dest: r.dest,
    dialogId: r.dialogId,
    initial: r.initial,
    dialog: r.dialog,
    cancelRequested: false,
    cancelPending: undefined,
    provisional: false,
    final: false,
    settled: false,
    seen2xxTags: undefined,
  };
  core.outgoing.set(rec.txnId, rec);
  startClientTransaction(core, rec);
  return rec;
}

function startClientTransaction(core: SipCore, rec: OutgoingRecord): void {
  core.transactions.sendRequest(rec.req, rec.dest, {
    onResponse: (res, info) => {
      onResponse(core, rec, res, info);
      if (rec.final) settleOutgoing(rec);
    },
    onTimeout: () => {
      if (rec.final) return;
      if (rec.req.method === 'INVITE' && rec.provisional)
        sendCancelNow(core, rec, cancelFor(rec.req, []));
      synthesize(core, rec, 408);
    },
    onTransportError: (err) => {
      if (rec.final) return;
      core.log.warn({ err: err.message, dest: rec.dest }, 'request could not be sent');
      synthesize(core, rec, 503, err.message);
    },
  });
}

/**
 * The request has its final response: an INVITE's client transaction still passes 2xx
 * retransmissions (and forked 2xx) up for 64·T1, which need only the request's skeleton (dialog
 * headers, no body), not the whole request.
 */
function settleOutgoing(rec: OutgoingRecord): void {
  if (rec.settled) return;
  rec.settled = true;
  rec.req = requestSkeleton(rec.req);
  rec.cancelPending = undefined;
}

/**
 * A response generated locally (timeout, transport failure) that looks like a network one. A
 * transport failure says why in a `Warning` (RFC 3261 20.43, code 399), e.g. that the peer's TLS
 * certificate failed the check, so the application can show it.
 */
function synthesize(core: SipCore, rec: OutgoingRecord, status: number, why?: string): void {
  const text = why?.replace(/["\\\r\n]/g, ' ').slice(0, 200);
  const res = makeResponse(
    rec.req,
    status,
    undefined,
    text ? { headers: [{ name: 'Warning', value: `399 localhost "${text}"` }] } : {},
  );
  const info: ReceiveInfo = {
    source: { protocol: rec.dest.protocol, address: rec.dest.address, port: rec.dest.port },
    local: { address: '', port: 0 },
    bytes: 0,
  };
  onResponse(core, rec, res, info);
}

function onResponse(core: SipCore, rec: OutgoingRecord, res: SipResponse, info: ReceiveInfo): void {
  if (res.status < 200 && !rec.dialog) {
    // RFC 3261 §9.1: any provisional response, 100 Trying included, lets a held CANCEL go (a
    // proxy's 100 may be all that comes before the app gives up on the INVITE).
    rec.provisional = true;
    if (rec.cancelPending) {
      sendCancelNow(core, rec, rec.cancelPending);
      rec.cancelPending = undefined;
    }
  }
  if (res.status === 100) return;
  if (rec.dialog) return onInDialogResponse(core, rec, rec.dialog, res, info);
  const method = rec.req.method;
  if (res.status < 200) {
    if (rec.final || rec.conn.closed) return;
    if (
      rec.initial &&
      method === 'INVITE' &&
      getHeader(res, 'RSeq') &&
      toTag(res) &&
      !core.dialogs.get(rec.dialogId)
    ) {
      // A reliable 1xx makes the early dialog addressable, for the PRACK (wire spec §5.2).
      core.dialogs.add(createUacDialog(core, rec, res, info, 'early'));
    }
    core.deliver(rec.conn, res, info.source, rec.txnId, rec.dialogId);
    return;
  }
  if (res.status < 300 && rec.initial && method === 'INVITE')
    return onInvite2xx(core, rec, res, info);
  if (rec.final) return;
  rec.final = true;
  rec.cancelPending = undefined;
  core.outgoing.delete(rec.txnId);
  if (rec.initial) {
    if (res.status < 300) {
      const existing = core.dialogs.get(rec.dialogId);
      if (!existing) core.dialogs.add(createUacDialog(core, rec, res, info, 'confirmed'));
    } else {
      const early = core.dialogs.get(rec.dialogId);
      if (early && early.role === 'uac') core.dialogs.remove(early);
      core.rememberFailedDialog(rec.dialogId);
      if (method === 'INVITE')
        core.cdr('stop', 'network', res.status === 487 ? 'call-canceled' : 'call-rejected', res);
    }
  }
  if (!rec.conn.closed) core.deliver(rec.conn, res, info.source, rec.txnId, rec.dialogId);
}

function onInvite2xx(
  core: SipCore,
  rec: OutgoingRecord,
  res: SipResponse,
  info: ReceiveInfo,
): void {
  const tag = toTag(res) ?? '';
  const d0 = core.dialogs.get(rec.dialogId);
  if (rec.seen2xxTags?.includes(tag)) {
    // A retransmitted 2xx: repeat our ACK if the client sent one (wire spec §6.4).
    const seq = cseq(res)?.seq ?? 0;
    const sent = d0?.acks.get(seq);
    if (sent) core.transactions.sendStateless(sent.ack, sent.dest).catch(() => undefined);
    return;
  }
  if (rec.seen2xxTags !== undefined) {
    // A second, forked answer: not supported by drachtio either — ACK and BYE it (RFC 3261 §13.2.2.4).
    const forked = createUacDialog(core, rec, res, info, 'confirmed');
    ackThenBye(core, forked, undefined);
    return;
  }
  (rec.seen2xxTags ??= []).push(ownString(tag));
  rec.final = true;
  rec.cancelPending = undefined;
  core.outgoing.delete(rec.txnId);
  let d = d0;
  if (d && d.role === 'uac' && d.state === 'early') {
    core.dialogs.remove(d);
    d = undefined;
  }
  d = createUacDialog(core, rec, res, info, 'confirmed');
  core.dialogs.add(d);
  d.awaitingClientAck.add(d.inviteSeq ?? 0);
  if (rec.cancelRequested) d.cancelRace = true;
  applyUacSessionTimer(core, d, res);
  core.cdr('start', 'network', 'uac', res);
  if (rec.conn.closed) {
    ackThenBye(core, d, undefined);
    return;
  }
  core.deliver(rec.conn, res, info.source, rec.txnId, rec.dialogId);
}

/** Sends the ACK for a 2xx ourselves and hangs up (forks, cancel races, departed clients). */
function ackThenBye(core: SipCore, d: Dialog, reason: string | undefined): void {
  core.dialogs.remove(d);
  buildInDialogRequest(core, d, 'ACK', { seq: d.inviteSeq })
    .then(({ req, dest }) => core.transactions.sendStateless(req, dest))
    .then(() => sendBye(core, d, reason ?? 'normal-release', reason !== undefined))
    .catch(() => undefined);
}

function onInDialogResponse(
  core: SipCore,
  rec: OutgoingRecord,
  d: Dialog,
  res: SipResponse,
  info: ReceiveInfo,
): void {
  const method = rec.req.method;
  if (method === 'INVITE' && res.status >= 200 && res.status < 300) {
    const tag = toTag(res) ?? '';
    const seq = cseq(res)?.seq ?? 0;
    if (rec.seen2xxTags?.includes(tag)) {
      const sent = d.acks.get(seq);
      if (sent) core.transactions.sendStateless(sent.ack, sent.dest).catch(() => undefined);
      return;
    }
    (rec.seen2xxTags ??= []).push(ownString(tag));
    d.inviteSeq = seq;
    d.awaitingClientAck.add(seq);
    const contact = getHeader(res, 'Contact');
    const target = contact ? parseNameAddr(contact)?.uri : undefined;
    if (target) d.remoteTarget = ownString(formatUri(target));
    applyUacSessionTimer(core, d, res);
  } else if (rec.final) {
    return;
  }
  if (res.status >= 200) {
    rec.final = true;
    core.outgoing.delete(rec.txnId);
    if (method === 'BYE' && res.status !== 401 && res.status !== 407) core.dialogs.remove(d);
    if (
      method === 'NOTIFY' &&
      d.kind === 'subscribe' &&
      /^\s*terminated/i.test(getHeader(rec.req, 'Subscription-State') ?? '')
    )
      core.dialogs.remove(d);
  }
  if (!rec.conn.closed) core.deliver(rec.conn, res, info.source, rec.txnId, d.id);
}

/** (d) A request inside a dialog, including ACK and PRACK. */
export async function sendInDialog(
  core: SipCore,
  conn: ControlConnection,
  msgId: string,
  dialogId: string,
  m: ClientRequest,
): Promise<void> {
  const d = core.dialogs.get(dialogId);
  if (!d) {
    if (m.method === 'ACK' && core.failedDialogs.has(dialogId)) {
      return nok(
        conn,
        msgId,
        'ACK for non-success final response is automatically generated by server',
      );
    }
    return nok(conn, msgId, 'Server error: unable to find dialog for dialog id provided');
  }
  if (m.method === 'ACK') return sendAck(core, conn, msgId, d, m);
  let built: { req: SipRequest; dest: HostPort & { connectionId?: string } };
  try {
    built = await buildInDialogRequest(core, d, m.method, {
      uri: m.uri,
      headers: m.headers,
      body: m.body,
    });
  } catch (err) {
    return nok(
      conn,
      msgId,
      err instanceof AddressError ? err.message : `Server error: ${String(err)}`,
    );
  }
  const { req, dest } = built;
  if (m.method === 'INVITE' && req.body.length > 0) d.localSdp = sdpOf(req);
  if (m.method === 'BYE') {
    stopSessionTimer(d);
    core.cdr('stop', 'application', 'normal-release', req);
  }
  const rec = startOutgoing(core, { conn, req, dest, dialogId: d.id, initial: false, dialog: d });
  core.echoRequest(conn, msgId, req, dest, rec.txnId);
}

/** (c) ACK for a 2xx to an INVITE the client sent (the server ACKs everything else). */
async function sendAck(
  core: SipCore,
  conn: ControlConnection,
  msgId: string,
  d: Dialog,
  m: ClientRequest,
): Promise<void> {
  const seq = d.inviteSeq;
  if (seq === undefined || (!d.awaitingClientAck.has(seq) && !d.acks.has(seq))) {
    return nok(
      conn,
      msgId,
      'ACK for non-success final response is automatically generated by server',
    );
  }
  let built;
  try {
    built = await buildInDialogRequest(core, d, 'ACK', { seq, headers: m.headers, body: m.body });
  } catch (err) {
    return nok(conn, msgId, err);
  }
  const { req, dest } = built;
  d.awaitingClientAck.delete(seq);
  const now = Date.now();
  for (const [k, v] of d.acks) if (v.until < now) d.acks.delete(k);
  d.acks.set(seq, { ack: req, dest, until: now + 64 * core.opts.t1 });
  core.transactions
    .sendStateless(req, dest)
    .catch((err: unknown) => core.log.warn({ err: String(err) }, 'ACK not sent'));
  core.echoRequest(conn, msgId, req, dest, core.newTxnId());
  if (d.cancelRace) {
    core.dialogs.remove(d);
    sendBye(core, d, 'ACK-BYE due to cancel race condition', true);
  }
}

/** (e) CANCEL of an INVITE the client sent. */
export function sendCancel(
  core: SipCore,
  conn: ControlConnection,
  msgId: string,
  txnId: string,
  m: ClientRequest,
): void {
  const rec = core.outgoing.get(txnId);
  if (!rec || rec.final || rec.req.method !== 'INVITE' || rec.dialog) {
    return nok(conn, msgId, `unable to cancel unknown transaction id: ${txnId}`);
  }
  const cancel = cancelFor(rec.req, m.headers);
  rec.cancelRequested = true;
  // RFC 3261 §9.1: no CANCEL before a provisional response.
  if (rec.provisional) sendCancelNow(core, rec, cancel);
  else rec.cancelPending = cancel;
  core.echoRequest(conn, msgId, cancel, rec.dest, core.newTxnId());
}

const CANCEL_OWNED = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'max-forwards',
  'route',
  'content-length',
  'content-type',
  'contact',
]);

function cancelFor(invite: SipRequest, extra: SipHeader[]): SipRequest {
  const seq = cseq(invite)?.seq ?? 1;
  const pick = (n: string): SipHeader[] => invite.headers.filter((h) => h.name.toLowerCase() === n);
  return {
    kind: 'request',
    method: 'CANCEL',
    uri: invite.uri,
    headers: [
      pick('via')[0]!,
      { name: 'Max-Forwards', value: '70' },
      ...pick('route'),
      ...pick('from'),
      ...pick('to'),
      ...pick('call-id'),
      { name: 'CSeq', value: `${seq} CANCEL` },
      ...extra.filter((h) => !CANCEL_OWNED.has(h.name.toLowerCase())),
    ],
    body: Buffer.alloc(0),
  };
}

function sendCancelNow(core: SipCore, rec: OutgoingRecord, cancel: SipRequest): void {
  core.transactions.sendRequest(cancel, rec.dest, {
    onResponse: () => undefined,
    onTimeout: () => undefined,
    onTransportError: () => undefined,
  });
}

/** A departed client: cancel its INVITEs in progress (wire spec §5.8, recommended behaviour). */
export function abandonOutgoing(core: SipCore, conn: ControlConnection): void {
  for (const rec of [...core.outgoing.values()]) {
    if (rec.conn !== conn) continue;
    if (rec.req.method === 'INVITE' && !rec.dialog && !rec.final) {
      rec.cancelRequested = true;
      if (rec.provisional) sendCancelNow(core, rec, cancelFor(rec.req, []));
      else rec.cancelPending = cancelFor(rec.req, []);
    }
  }
}
