import { callId, cseq, fromTag, toTag, topVia } from '../message';
import type { SipMessage, SipRequest } from '../message/types';
import { defaultPort, viaProtocol } from '../transport/response-destination';

/** RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this. */
export const MAGIC_COOKIE = 'z9hG4bK';

/**
 * Server transaction key (RFC 3261 §17.2.3): top Via branch + sent-by + method, with ACK mapped
 * to INVITE. For branches without the magic cookie (RFC 2543 peers) the key falls back to
 * Call-ID, CSeq number, From tag and sent-by. Undefined when the request lacks those headers.
 */
export function serverTransactionKey(req: SipRequest, methodOverride?: string): string | undefined {
  const via = topVia(req);
  if (!via) return undefined;
  const method = methodOverride ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const sentBy = `${via.host.toLowerCase()}:${via.port ?? defaultPort(viaProtocol(via.transport))}`;
  const branch = via.params.branch;
  if (branch && branch.startsWith(MAGIC_COOKIE)) return `${branch}|${sentBy}|${method}`;
  const c = cseq(req);
  const id = callId(req);
  if (!c || !id) return undefined;
  return `2543|${id}|${c.seq}|${fromTag(req) ?? ''}|${sentBy}|${branch ?? ''}|${method}`;
}

/** Client transaction key (RFC 3261 §17.1.3): top Via branch + CSeq method. */
export function clientTransactionKey(msg: SipMessage): string | undefined {
  const via = topVia(msg);
  const c = cseq(msg);
  const branch = via?.params.branch;
  if (!branch || !c) return undefined;
  return `${branch}|${c.method}`;
}

/**
 * Key that ties an ACK for a 2xx (which has its own branch) to the INVITE server transaction that
 * sent the 2xx: Call-ID, CSeq number, From tag, To tag.
 */
export function ackDialogKey(msg: SipMessage, localTag?: string): string | undefined {
  const id = callId(msg);
  const c = cseq(msg);
  const from = fromTag(msg);
  const to = localTag ?? toTag(msg);
  if (!id || !c || !from || !to) return undefined;
  return `${id}|${c.seq}|${from}|${to}`;
}
