/**
 * The registrar's SIP port ({@link RegistrarSipPort}) on drachtio-srf: the Comm Exclusive guard
 * in front of every handler, REGISTER handed to the registrar as plain data, and out-of-dialog
 * OPTIONS (qualify).
 */
import type { Logger } from 'pino';
import type { SipProtocol } from '@pbx/store';
import type { RegisterOutcome, RegisterRequest } from '../registrar/registrar';
import type { RegistrarSipPort } from '../registrar/sip-port';
import { reasonPhrase } from '../sip/status';
import { requestFinalOutcome, type SrfApp, type SrfRequest, type SrfResponse } from './srf';

const PROTOCOLS = new Set<string>(['udp', 'tcp', 'tls', 'ws', 'wss']);

function protocolOf(text: string): SipProtocol {
  const p = text.toLowerCase();
  return PROTOCOLS.has(p) ? (p as SipProtocol) : 'udp';
}

function header(req: SrfRequest, name: string): string | undefined {
  return req.has(name) ? req.get(name) : undefined;
}

/** The parts of an srf request the registrar reads. */
function toRegisterRequest(req: SrfRequest): RegisterRequest {
  const cseq = Number.parseInt(header(req, 'CSeq') ?? '', 10);
  return {
    requestUri: req.uri,
    to: header(req, 'To'),
    callId: header(req, 'Call-ID') ?? '',
    cseq: Number.isFinite(cseq) ? cseq : 0,
    contact: header(req, 'Contact'),
    expires: header(req, 'Expires'),
    authorization: header(req, 'Authorization'),
    via: header(req, 'Via'),
    userAgent: header(req, 'User-Agent'),
    source: {
      ip: req.source_address,
      port: Number(req.source_port),
      protocol: protocolOf(req.protocol),
    },
  };
}

/**
 * What a database that cannot be written means to a phone (read-only file or mount, full disk,
 * I/O error): a 503 it will retry later, with a reason that says so, instead of a bare 500.
 */
export function storageFailure(err: unknown): { phrase: string; why: string } | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'SQLITE_READONLY':
      return { phrase: 'Database Read-Only', why: 'the database is read-only' };
    case 'SQLITE_FULL':
      return { phrase: 'Database Full', why: 'the disk holding the database is full' };
    case 'SQLITE_IOERR':
    case 'SQLITE_CANTOPEN':
      return { phrase: 'Database Unavailable', why: 'the database cannot be written (I/O error)' };
    default:
      return undefined;
  }
}

/**
 * The registrar's outcome for `req`, never rejecting: a database that cannot be written is a
 * 503 the phone retries later (logged with why), any other failure a 500.
 */
export async function decideRegister(
  handle: (req: RegisterRequest) => Promise<RegisterOutcome>,
  req: RegisterRequest,
  log: Logger,
): Promise<RegisterOutcome> {
  try {
    return await handle(req);
  } catch (err) {
    const storage = storageFailure(err);
    if (storage) {
      log.error(
        { err: (err as Error).message, code: (err as { code?: string }).code },
        `REGISTER not stored: ${storage.why}; phones are answered 503 until it is fixed`,
      );
      return {
        kind: 'reply',
        status: 503,
        phrase: storage.phrase,
        headers: { 'Retry-After': '60' },
      };
    }
    log.error({ err }, 'REGISTER handling failed');
    return { kind: 'reply', status: 500, phrase: reasonPhrase(500), headers: {} };
  }
}

function send(res: SrfResponse, outcome: RegisterOutcome): void {
  if (outcome.kind === 'drop') return;
  res.send(outcome.status, outcome.phrase ?? reasonPhrase(outcome.status), {
    headers: outcome.headers,
  });
}

/** Builds the srf implementation of {@link RegistrarSipPort}. */
export function srfRegistrarPort(srf: SrfApp, log: Logger): RegistrarSipPort {
  return {
    guard(admit) {
      srf.use((req, res, next) => {
        if (req.method === 'REGISTER') return next();
        const verdict = admit(req.source_address);
        if (verdict === 'ok') return next();
        if (verdict === 'refuse') res.send(403, reasonPhrase(403), { headers: {} });
        // 'drop': no answer at all.
      });
    },
    onRegister(handle) {
      srf.use('register', (req, res) => {
        decideRegister(handle, toRegisterRequest(req), log)
          .then((outcome) => {
            if (!res.finalResponseSent) send(res, outcome);
          })
          .catch((err: unknown) => log.error({ err }, 'REGISTER answer not sent'));
      });
    },
    sendOptions(target, from, timeoutMs) {
      return requestFinalOutcome(
        srf,
        target.requestUri,
        {
          method: 'OPTIONS',
          headers: { From: from, To: `<${target.requestUri}>` },
          ...(target.routeUrl === undefined ? {} : { proxy: target.routeUrl }),
        },
        timeoutMs,
      );
    },
  };
}
