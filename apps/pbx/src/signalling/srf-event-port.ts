/**
 * The notifier's SIP port ({@link EventSipPort}) on drachtio-srf: an initial SUBSCRIBE becomes a
 * SUBSCRIBE dialog (`createUAS`, which answers 202), refreshes and un-SUBSCRIBEs arrive on that
 * dialog, NOTIFYs go out in it; unsolicited NOTIFYs go out of any dialog (`srf.request`).
 */
import type { Logger } from 'pino';
import type {
  EventSipPort,
  IncomingSubscribe,
  NotifyRequest,
  RequestTarget,
  SubscribeAnswer,
  SubscriptionDialog,
} from '../presence/sip-port';
import { parseSipUri, splitList, userOfNameAddr } from '../sip/header-values';
import { reasonPhrase } from '../sip/status';
import { requestFinalStatus, type SrfApp, type SrfRequest, type SrfResponse } from './srf';

/** How long an out-of-dialog NOTIFY waits for its answer before it counts as 408. */
const NOTIFY_TIMEOUT_MS = 32_000;

function header(req: SrfRequest, name: string): string | undefined {
  return req.has(name) ? req.get(name) : undefined;
}

function expiresOf(req: SrfRequest): number | undefined {
  const v = header(req, 'Expires');
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
  return Number.parseInt(v, 10);
}

function toSubscribe(req: SrfRequest): IncomingSubscribe | undefined {
  const eventHeader = header(req, 'Event')?.trim();
  if (!eventHeader) return undefined;
  const event = (eventHeader.split(';')[0] ?? '').trim().toLowerCase();
  return {
    event,
    eventHeader,
    resource: parseSipUri(req.uri)?.user ?? '',
    subscriber: userOfNameAddr(header(req, 'From')) ?? '',
    expires: expiresOf(req),
    accept: header(req, 'Accept') === undefined ? [] : splitList(header(req, 'Accept') ?? ''),
    source: { address: req.source_address, port: Number(req.source_port) },
    callId: header(req, 'Call-ID') ?? '',
  };
}

function reject(res: SrfResponse, status: number, headers: Record<string, string> = {}): void {
  if (!res.finalResponseSent) res.send(status, reasonPhrase(status), { headers });
}

/** srf's Dialog, as far as a SUBSCRIBE dialog is used here. */
interface SrfDialog {
  request(opts: {
    method: string;
    headers: Record<string, string>;
    body?: string;
  }): Promise<{ status: number }>;
  on(event: 'subscribe', fn: (req: SrfRequest, res: SrfResponse) => void): void;
  on(event: 'unsubscribe', fn: (req: SrfRequest) => void): void;
  removeAllListeners(): void;
}

function notifyHeaders(req: NotifyRequest): Record<string, string> {
  return {
    Event: req.event,
    'Subscription-State': req.subscriptionState,
    ...(req.contentType ? { 'Content-Type': req.contentType } : {}),
  };
}

function wrapDialog(srf: SrfApp, dialog: SrfDialog, log: Logger): SubscriptionDialog {
  return {
    async notify(req) {
      const res = await dialog.request({
        method: 'NOTIFY',
        headers: notifyHeaders(req),
        ...(req.body === undefined ? {} : { body: req.body }),
      });
      return res.status;
    },
    onRefresh(handler) {
      dialog.on('subscribe', (req, res) => {
        const answer: SubscribeAnswer = {
          reject: (status, headers) => reject(res, status, headers),
          accept: (expires) =>
            res.send(200, reasonPhrase(200), { headers: { Expires: String(expires) } }),
        };
        try {
          handler(expiresOf(req), answer);
        } catch (err) {
          log.error({ err }, 'SUBSCRIBE refresh failed');
          reject(res, 500);
        }
      });
    },
    onUnsubscribe(handler) {
      dialog.on('unsubscribe', () => handler());
    },
    forget() {
      dialog.removeAllListeners();
      // srf forgets the dialog as it does after a final NOTIFY (its typings leave this out).
      const remove = Reflect.get(srf, 'removeDialog') as (d: SrfDialog) => void;
      remove.call(srf, dialog);
    },
  };
}

/** Builds the srf implementation of {@link EventSipPort}. */
export function srfEventPort(srf: SrfApp, log: Logger): EventSipPort {
  return {
    onSubscribe(handler) {
      srf.use('subscribe', (req, res) => {
        const sub = toSubscribe(req);
        if (!sub) {
          reject(res, 400);
          return;
        }
        if (!req.has('Contact')) {
          reject(res, 400);
          return;
        }
        try {
          handler(sub, {
            reject: (status, headers) => reject(res, status, headers),
            accept: async (expires) => {
              // A SUBSCRIBE dialog has no SDP; srf's typings require one for INVITEs only.
              const opts = { headers: { Expires: String(expires) } } as unknown as Parameters<
                SrfApp['createUAS']
              >[2];
              const dialog = (await srf.createUAS(req, res, opts)) as unknown as SrfDialog;
              return wrapDialog(srf, dialog, log);
            },
          });
        } catch (err) {
          log.error({ err }, 'SUBSCRIBE handling failed');
          reject(res, 500);
        }
      });
    },
    onPublish(handler) {
      srf.use('publish', (req, res) => {
        const eventHeader = header(req, 'Event')?.trim() ?? '';
        const body = typeof req.body === 'string' && req.body.length > 0 ? req.body : undefined;
        try {
          handler(
            {
              event: (eventHeader.split(';')[0] ?? '').trim().toLowerCase(),
              resource: parseSipUri(req.uri)?.user ?? '',
              publisher: userOfNameAddr(header(req, 'From')) ?? '',
              expires: expiresOf(req),
              ifMatch: header(req, 'SIP-If-Match')?.trim(),
              contentType: header(req, 'Content-Type')?.trim(),
              body,
              source: { address: req.source_address, port: Number(req.source_port) },
            },
            (status, headers) => reject(res, status, headers),
          );
        } catch (err) {
          log.error({ err }, 'PUBLISH handling failed');
          reject(res, 500);
        }
      });
    },
    async sendNotify(target: RequestTarget, from: string, to: string, req: NotifyRequest) {
      return requestFinalStatus(
        srf,
        target.uri,
        {
          method: 'NOTIFY',
          headers: { From: from, To: to, ...notifyHeaders(req) },
          ...(req.body === undefined ? {} : { body: req.body }),
          ...(target.nextHop === undefined ? {} : { proxy: target.nextHop }),
        },
        NOTIFY_TIMEOUT_MS,
      );
    },
  };
}
