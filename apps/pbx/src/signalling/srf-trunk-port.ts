/**
 * The trunk SIP port ({@link TrunkSipPort}) on drachtio-srf: REGISTER towards a provider with
 * `srf.request`, whose digest client answers the 401/407 challenge with the credentials given.
 * A challenge for another realm than the trunk's is not answered (the password is not offered
 * to a stranger): the 401 is the result.
 */
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { RegisterRequest, RegisterResult, TrunkSipPort } from '../trunks/sip-port';
import type { SrfApp, SrfRequest, SrfResponse } from './srf';

/** The realm of a WWW-/Proxy-Authenticate value. */
export function challengeRealm(value: string | undefined): string | undefined {
  return value ? /realm\s*=\s*"([^"]*)"/i.exec(value)?.[1] : undefined;
}

/**
 * srf's `auth` option as a function: gives the credentials only for the expected realm ('' =
 * any). Used for REGISTER here and for INVITEs to trunks (srf-call-port.ts).
 */
export function digestAuth(
  auth: { readonly username: string; readonly password: string; readonly realm?: string },
  seen?: (realm: string | undefined) => void,
): (
  req: unknown,
  res: SrfResponse,
  cb: (err: Error | null, u?: string, p?: string) => void,
) => void {
  return (_req, res, cb) => {
    const header = res.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    const realm = challengeRealm(res.has(header) ? res.get(header) : undefined);
    seen?.(realm);
    if (auth.realm && realm !== auth.realm) {
      cb(new Error(`challenge for realm ${realm ?? '(none)'}, expected ${auth.realm}`));
      return;
    }
    cb(null, auth.username, auth.password);
  };
}

function grantedExpires(res: SrfResponse): number | undefined {
  const contact = res.has('Contact') ? res.get('Contact') : '';
  const m = /;\s*expires\s*=\s*(\d+)/i.exec(contact);
  if (m) return Number(m[1]);
  const e = res.has('Expires') ? Number(res.get('Expires')) : NaN;
  return Number.isFinite(e) ? e : undefined;
}

export function srfTrunkPort(srf: SrfApp, log: Logger): TrunkSipPort {
  return {
    async register(r: RegisterRequest): Promise<RegisterResult> {
      let realm: string | undefined;
      const opts: Record<string, unknown> = {
        method: 'REGISTER',
        headers: {
          From: r.from,
          To: r.to,
          Contact: r.contact,
          Expires: String(r.expires),
          'Call-ID': r.callId,
          CSeq: `${r.cseq} REGISTER`,
        },
        ...(r.proxy ? { proxy: r.proxy } : {}),
        ...(r.auth
          ? {
              auth: digestAuth(r.auth, (x) => {
                realm = x;
              }),
            }
          : {}),
      };
      let sent: SrfRequest;
      try {
        sent = (await Reflect.apply(srf.request, srf, [r.uri, opts])) as SrfRequest;
      } catch (err) {
        log.debug({ err, uri: r.uri }, 'REGISTER not sent');
        return { status: 503, reason: (err as Error)?.message ?? 'not sent' };
      }
      return new Promise((resolve) => {
        sent.on('response', (res?: Srf.SrfResponse) => {
          if (!res || res.status < 200) return;
          const expires = grantedExpires(res);
          // A request the SIP server could not send says why in a Warning (a TLS certificate).
          const warning = res.has('Warning')
            ? /"([^"]*)"/.exec(res.get('Warning'))?.[1]
            : undefined;
          resolve({
            status: res.status,
            reason: `${res.reason ?? ''}${warning ? ` (${warning})` : ''}`,
            ...(expires !== undefined ? { expires } : {}),
            ...(realm !== undefined ? { realm } : {}),
          });
        });
      });
    },
  };
}
