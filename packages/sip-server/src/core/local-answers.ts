/**
 * Requests answered in this process instead of through a control client: an application that
 * embeds the server can take a method (the PBX takes REGISTER) and decide the answer from the
 * parsed request, without the request being written into a drachtio frame, parsed again by
 * drachtio-srf and its answer written and parsed back. The answer is built the way an answer
 * from a client is (responses.ts): the request's Via/From/To/Call-ID/CSeq, a To tag when the
 * request had none, then the application's headers.
 */
import type { SipHeader, SipRequest, SipResponse } from '../message/types';
import { makeResponse, randomTag, toTag } from '../message';
import type { ReceiveInfo } from '../transport/types';
import type { ServerTransaction } from '../transaction';
import { respondSafely, type SipCore } from './sip-core';
import { rememberRegistration } from './responses';

/** What the application decided: an answer, or no answer at all (a blocked flood). */
export type LocalAnswer =
  { kind: 'reply'; status: number; reason?: string; headers: SipHeader[] } | { kind: 'drop' };

/**
 * Decides the answer to one request, given as parsed (top Via already carrying
 * `received`/`rport`) with where it came from. A rejection is answered 500 and logged.
 */
export type LocalRequestHandler = (req: SipRequest, info: ReceiveInfo) => Promise<LocalAnswer>;

/** Headers the server writes itself; an application's copies are ignored (as from a client). */
const OWNED = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length', 'record-route']);

/** Hands `req` to `handler` and sends its answer on `txn`. */
export function answerLocally(
  core: SipCore,
  handler: LocalRequestHandler,
  req: SipRequest,
  info: ReceiveInfo,
  txn: ServerTransaction,
): void {
  let decided: Promise<LocalAnswer>;
  try {
    decided = handler(req, info);
  } catch (err) {
    decided = Promise.reject(err);
  }
  decided.then(
    (answer) => sendLocalAnswer(core, req, info, txn, answer),
    (err: unknown) => {
      core.log.error({ err, method: req.method }, 'local request handler failed');
      sendLocalAnswer(core, req, info, txn, { kind: 'reply', status: 500, headers: [] });
    },
  );
}

function sendLocalAnswer(
  core: SipCore,
  req: SipRequest,
  info: ReceiveInfo,
  txn: ServerTransaction,
  answer: LocalAnswer,
): void {
  if (answer.kind === 'drop') {
    // No answer, and nothing kept: a retransmission is decided again (and dropped again).
    core.dropped('local', 'the application chose not to answer', info);
    core.transactions.abandon(txn);
    return;
  }
  const status = answer.status >= 200 && answer.status <= 699 ? answer.status : 500;
  const res: SipResponse = makeResponse(req, status, answer.reason || undefined, {
    toTag: toTag(req) ? undefined : randomTag(),
    headers: answer.headers.filter((h) => !OWNED.has(h.name.toLowerCase())),
  });
  if (req.method === 'REGISTER' && status < 300) rememberRegistration(core, req, info, res);
  respondSafely(txn, res, core.log);
}
