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

/** The headers the registrar reads, by their lower-case names. */
interface RegisterHeaders {
  to?: string;
  'call-id'?: string;
  cseq?: string;
  contact?: string;
  expires?: string;
  authorization?: string;
  via?: string;
  'user-agent'?: string;
}

/**
 * The registrar's headers of `req`, read in one pass over its header table. drachtio-srf's
 * `req.get(name)` scans every header name, lower-casing each, per lookup (16 scans for the 8
 * headers here cost 4 % of the main thread under a registration storm). Its parser stores names
 * lower-cased with compact forms expanded; the lower-casing here still matches any spelling.
 */
function registerHeaders(req: SrfRequest): RegisterHeaders {
  const out: RegisterHeaders = {};
  const all = req.headers;
  for (const name in all) {
    const value = all[name];
    switch (name.toLowerCase()) {
      case 'to':
        out.to = value;
        break;
      case 'call-id':
        out['call-id'] = value;
        break;
      case 'cseq':
        out.cseq = value;
        break;
      case 'contact':
        out.contact = value;
        break;
      case 'expires':
        out.expires = value;
        break;
      case 'authorization':
        out.authorization = value;
        break;
      case 'via':
        out.via = value;
        break;
      case 'user-agent':
        out['user-agent'] = value;
        break;
      default:
        break;
    }
  }
  return out;
}

/** The parts of an srf request the registrar reads. */
export function toRegisterRequest(req: SrfRequest): RegisterRequest {
  const h = registerHeaders(req);
  const cseq = Number.parseInt(h.cseq ?? '', 10);
  return {
    requestUri: req.uri,
    to: h.to,
    callId: h['call-id'] ?? '',
    cseq: Number.isFinite(cseq) ? cseq : 0,
    contact: h.contact,
    expires: h.expires,
    authorization: h.authorization,
    via: h.via,
    userAgent: h['user-agent'],
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
 * What to answer when deciding a REGISTER failed: a database that cannot be written is a 503 the
 * phone retries later (logged with why), any other failure a 500. Never a 200.
 */
function failureOutcome(err: unknown, log: Logger): RegisterOutcome {
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

/**
 * The registrar's outcome for `req`, never failing (see {@link failureOutcome}): the outcome
 * itself when `handle` decides at once (a challenge), else a promise that never rejects.
 */
export function decideRegister(
  handle: (req: RegisterRequest) => RegisterOutcome | Promise<RegisterOutcome>,
  req: RegisterRequest,
  log: Logger,
): RegisterOutcome | Promise<RegisterOutcome> {
  let decided: RegisterOutcome | Promise<RegisterOutcome>;
  try {
    decided = handle(req);
  } catch (err) {
    return failureOutcome(err, log);
  }
  return decided instanceof Promise
    ? decided.catch((err: unknown) => failureOutcome(err, log))
    : decided;
}

function send(res: SrfResponse, outcome: RegisterOutcome): void {
  if (outcome.kind === 'drop' || res.finalResponseSent) return;
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
        const answer = (outcome: RegisterOutcome): void => {
          try {
            send(res, outcome);
          } catch (err) {
            log.error({ err }, 'REGISTER answer not sent');
          }
        };
        const decided = decideRegister(handle, toRegisterRequest(req), log);
        // A challenge is answered in this turn; a binding once its write has committed.
        if (decided instanceof Promise) void decided.then(answer);
        else answer(decided);
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
