/**
 * The only place that imports drachtio-srf (STYLE.md §1). Connects to the drachtio server
 * (embedded or real) and resolves when authenticated.
 */
import Srf from 'drachtio-srf';
import type { Logger } from 'pino';

export type SrfApp = InstanceType<typeof Srf>;
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
    srf.on('error', (err: Error) => opts.log.warn({ err: err.message }, 'drachtio connection error'));
    srf.connect({ host: opts.host, port: opts.port, secret: opts.secret });
  });
}
