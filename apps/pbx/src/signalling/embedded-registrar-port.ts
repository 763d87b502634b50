/**
 * The registrar's SIP port when the SIP server runs in this process (control mode `embedded`):
 * REGISTER is answered by the server itself through {@link SipServer.handleLocally}, so a
 * registration costs no drachtio frame, no parse by drachtio-srf and no frame back. The guard
 * and OPTIONS (qualify) stay on drachtio-srf, and so does its `register` route: it keeps
 * `route|register` announced (what tools and tests wait for) and answers if the server ever
 * hands a REGISTER over. The registrar sees the same {@link RegisterRequest} either way.
 */
import type { Logger } from 'pino';
import {
  type LocalAnswer,
  type ReceiveInfo,
  type SipRequest,
  type SipServer,
} from '@pbx/sip-server';
import type { RegisterOutcome, RegisterRequest } from '../registrar/registrar';
import type { RegistrarSipPort } from '../registrar/sip-port';
import { reasonPhrase } from '../sip/status';
import { decideRegister } from './srf-registrar-port';

/** Header names the registrar reads (lower case, compact forms too), by field. */
const FIELDS: ReadonlyMap<string, keyof Headers> = new Map<string, keyof Headers>([
  ['to', 'to'],
  ['t', 'to'],
  ['call-id', 'callId'],
  ['i', 'callId'],
  ['cseq', 'cseq'],
  ['contact', 'contact'],
  ['m', 'contact'],
  ['expires', 'expires'],
  ['authorization', 'authorization'],
  ['via', 'via'],
  ['v', 'via'],
  ['user-agent', 'userAgent'],
]);

interface Headers {
  to?: string;
  callId?: string;
  cseq?: string;
  contact?: string;
  expires?: string;
  authorization?: string;
  via?: string;
  userAgent?: string;
}

/**
 * The parts of a parsed REGISTER the registrar reads, in one pass over its headers: each
 * header's lines joined by `,` as drachtio-srf joins them (`req.get(name)`).
 */
export function registerRequestOf(req: SipRequest, info: ReceiveInfo): RegisterRequest {
  const h: Headers = {};
  for (const { name, value } of req.headers) {
    const field = FIELDS.get(name.toLowerCase());
    if (field === undefined) continue;
    const before = h[field];
    h[field] = before === undefined ? value : `${before},${value}`;
  }
  const cseq = Number.parseInt(h.cseq ?? '', 10);
  return {
    requestUri: req.uri,
    to: h.to,
    callId: h.callId ?? '',
    cseq: Number.isFinite(cseq) ? cseq : 0,
    contact: h.contact,
    expires: h.expires,
    authorization: h.authorization,
    via: h.via,
    userAgent: h.userAgent,
    source: { ip: info.source.address, port: info.source.port, protocol: info.source.protocol },
  };
}

/** The registrar's outcome as the server's answer. */
export function localAnswerOf(outcome: RegisterOutcome): LocalAnswer {
  if (outcome.kind === 'drop') return outcome;
  return {
    kind: 'reply',
    status: outcome.status,
    reason: outcome.phrase ?? reasonPhrase(outcome.status),
    headers: Object.entries(outcome.headers).map(([name, value]) => ({ name, value })),
  };
}

/** {@link RegistrarSipPort} with REGISTER answered inside `server`, the rest through `srfPort`. */
export function embeddedRegistrarPort(
  srfPort: RegistrarSipPort,
  server: Pick<SipServer, 'handleLocally'>,
  log: Logger,
): RegistrarSipPort {
  return {
    guard: (admit) => srfPort.guard(admit),
    onRegister(handle) {
      srfPort.onRegister(handle);
      server.handleLocally('REGISTER', async (req, info) =>
        localAnswerOf(await decideRegister(handle, registerRequestOf(req, info), log)),
      );
    },
    sendOptions: (target, from, timeoutMs) => srfPort.sendOptions(target, from, timeoutMs),
  };
}
