/**
 * The connection to the drachtio server (embedded or real), and the few places drachtio-srf's
 * typings need help. Only signalling/ imports drachtio-srf (STYLE.md §1); the rest of the app sees
 * the SIP ports signalling implements (engine/sip-port.ts, registrar/sip-port.ts).
 */
import Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { reasonPhrase } from '../sip/status';

export type SrfApp = InstanceType<typeof Srf>;
export type SrfRequest = Srf.SrfRequest;
export type SrfResponse = Srf.SrfResponse;
export { Srf };

export interface SrfConnectOptions {
  host: string;
  port: number;
  secret: string;
  log: Logger;
  /** Give up after this long (ms). */
  timeoutMs?: number;
}

export function connectSrf(opts: SrfConnectOptions): Promise<SrfApp> {
  const srf = new Srf();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      srf.disconnect();
      reject(new Error(`no drachtio server answered at ${opts.host}:${opts.port}`));
    }, opts.timeoutMs ?? 10_000);
    srf.on('connect', (err: Error | null, hostport: string) => {
      clearTimeout(timer);
      if (err) {
        reject(err);
        return;
      }
      opts.log.info({ hostport }, 'connected to drachtio server');
      resolve(srf);
    });
    srf.on('error', (err: Error) =>
      opts.log.warn({ err: err.message }, 'drachtio connection error'),
    );
    void srf.connect({ host: opts.host, port: opts.port, secret: opts.secret });
  });
}

/** Options of a request outside any dialog. */
export interface OutOfDialogRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  proxy?: string;
}

const ALLOW =
  'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, MESSAGE, NOTIFY, REFER, SUBSCRIBE, UPDATE, PRACK';

/** Answers OPTIONS to the PBX with 200 and what it accepts. */
export function answerOptions(srf: SrfApp): void {
  srf.use('options', (_req, res) => {
    res.send(200, reasonPhrase(200), { headers: { Allow: ALLOW, Accept: 'application/sdp' } });
  });
}

/**
 * Sends a request outside any dialog and resolves with its final status, or `'timeout'` when none
 * came within `timeoutMs`. The `response` listener is attached in srf's callback, synchronously:
 * with srf's promise form, a response that arrives in the same read as the server's "sent"
 * acknowledgement is emitted before an awaiting caller can listen, and is lost (seen under MESSAGE
 * load). drachtio-srf's typings declare another signature for `request`, hence Reflect.
 */
export function requestFinalOutcome(
  srf: SrfApp,
  uri: string,
  opts: OutOfDialogRequest,
  timeoutMs: number,
): Promise<number | 'timeout'> {
  return new Promise<number | 'timeout'>((resolve, reject) => {
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
    const callback = (err: Error | null, req: SrfRequest): void => {
      if (err) {
        clearTimeout(timer);
        reject(err);
        return;
      }
      req.on('response', (res: { status: number } | undefined) => {
        if (!res || res.status < 200) return;
        clearTimeout(timer);
        resolve(res.status);
      });
    };
    Reflect.apply(srf.request, srf, [uri, opts, callback]);
  });
}

/** {@link requestFinalOutcome} with no answer counted as 408 (RFC 3261 §8.1.3.1). */
export async function requestFinalStatus(
  srf: SrfApp,
  uri: string,
  opts: OutOfDialogRequest,
  timeoutMs: number,
): Promise<number> {
  const outcome = await requestFinalOutcome(srf, uri, opts, timeoutMs);
  return outcome === 'timeout' ? 408 : outcome;
}
