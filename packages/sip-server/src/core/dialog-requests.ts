/** Requests inside a dialog, built from the dialog state (RFC 3261 §12.2.1.1; wire spec §4.6). */
import type { SipHeader, SipRequest } from '../message/types';
import { parseUri, parseNameAddr, randomBranch } from '../message';
import type { Destination } from '../transport/types';
import type { Dialog } from '../dialog/dialog';
import type { SipCore } from './sip-core';
import { hostPortText, localAddressFor, resolveUri, AddressError } from './addressing';
import { defaultContentType } from './content-type';

const OWNED = new Set([
  'from',
  'to',
  'call-id',
  'cseq',
  'max-forwards',
  'via',
  'route',
  'record-route',
  'content-length',
]);

export interface InDialogOptions {
  uri?: string;
  headers?: SipHeader[];
  body?: Buffer;
  /** CSeq number; default the dialog's next local sequence. */
  seq?: number;
}

/** Next hop of a dialog: NAT route, else the first Route, else the remote target. */
export async function dialogDestination(d: Dialog): Promise<Destination> {
  if (d.natRoute) return d.natRoute;
  const first = d.routeSet[0];
  const hop = first ? parseNameAddr(first)?.uri : parseUri(d.remoteTarget);
  if (!hop) throw new AddressError('Server error: unable to find route');
  const dest = await resolveUri(hop);
  if (dest.protocol === d.peer.protocol && dest.protocol !== 'udp') {
    // Stream transports reuse the dialog's connection (phones behind NAT cannot be dialled back).
    return {
      ...dest,
      address: d.peer.address,
      port: d.peer.port,
      connectionId: d.peer.connectionId,
    };
  }
  return dest;
}

export async function buildInDialogRequest(
  core: SipCore,
  d: Dialog,
  method: string,
  opts: InDialogOptions = {},
): Promise<{ req: SipRequest; dest: Destination }> {
  const dest = await dialogDestination(d);
  const local = localAddressFor(core.listen(), dest.protocol, dest.address);
  if (!local) throw new AddressError('requested protocol/transport not available');
  let uri =
    opts.uri && !opts.uri.includes('placeholder') && method !== 'ACK' ? opts.uri : d.remoteTarget;
  let routes = [...d.routeSet];
  const first = routes[0] ? parseNameAddr(routes[0]) : undefined;
  if (first && first.uri.params['lr'] === undefined) {
    // Strict routing (RFC 3261 §12.2.1.1): the first route becomes the Request-URI.
    routes = [...routes.slice(1), `<${uri}>`];
    uri = `${first.uri.scheme}:${first.uri.user ? first.uri.user + '@' : ''}${first.uri.host}${first.uri.port ? ':' + first.uri.port : ''}`;
  }
  const seq = opts.seq ?? ++d.localSeq;
  const headers: SipHeader[] = [
    {
      name: 'Via',
      value: `SIP/2.0/${dest.protocol.toUpperCase()} ${hostPortText(local.address, local.port)};rport;branch=${randomBranch()}`,
    },
    { name: 'Max-Forwards', value: '70' },
    ...routes.map((r) => ({ name: 'Route', value: r })),
    { name: 'From', value: d.localNameAddr },
    { name: 'To', value: d.remoteNameAddr },
    { name: 'Call-ID', value: d.callId },
    { name: 'CSeq', value: `${seq} ${method}` },
  ];
  const extra = (opts.headers ?? []).filter((h) => !OWNED.has(h.name.toLowerCase()));
  headers.push(...extra);
  const body = opts.body ?? Buffer.alloc(0);
  if (
    (method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER') &&
    !extra.some((h) => h.name.toLowerCase() === 'contact')
  ) {
    headers.push({ name: 'Contact', value: d.localContact });
  }
  const req: SipRequest = { kind: 'request', method, uri, headers, body };
  if (!defaultContentType(req)) throw new AddressError('missing content-type');
  return { req, dest };
}

/**
 * BYE sent by the server on its own (ACK timeout, session timer, CANCEL after 200, ACK-BYE race);
 * the client learns of it as an unsolicited request (wire spec §3.3 f). The dialog must already
 * be out of the store.
 */
export function sendBye(core: SipCore, d: Dialog, reasonText: string, tellClient: boolean): void {
  buildInDialogRequest(core, d, 'BYE', {
    headers: [{ name: 'Reason', value: `SIP ;cause=200 ;text="${reasonText}"` }],
  })
    .then(({ req, dest }) => {
      core.transactions.sendRequest(req, dest, {
        onResponse: () => undefined,
        onTimeout: () => undefined,
        onTransportError: () => undefined,
      });
      core.cdr(
        'stop',
        'application',
        reasonText === 'Session timer expired' ? 'session-expired' : 'normal-release',
        req,
      );
      if (tellClient && !d.conn.closed) {
        core.deliver(d.conn, req, dest, 'unsolicited', d.id, { source: 'application' });
      }
      core.log.info({ dialogId: d.id, reason: reasonText }, 'server sent BYE');
    })
    .catch((err: unknown) =>
      core.log.warn({ dialogId: d.id, err: String(err) }, 'could not send BYE'),
    );
}
