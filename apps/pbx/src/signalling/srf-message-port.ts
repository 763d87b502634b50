/**
 * The instant-message relay's SIP port ({@link MessageSipPort}) on drachtio-srf: MESSAGE
 * outside any dialog handed over as plain data, MESSAGE sent with `srf.request`.
 */
import type { Logger } from 'pino';
import type { MessageSipPort } from '../messages/sip-port';
import { parseSipUri, userOfNameAddr } from '../sip/header-values';
import { reasonPhrase } from '../sip/status';
import { requestFinalStatus, type SrfApp } from './srf';

/** How long a MESSAGE waits for its answer before it counts as 408. */
const MESSAGE_TIMEOUT_MS = 32_000;

export function srfMessagePort(srf: SrfApp, log: Logger): MessageSipPort {
  return {
    onMessage(handler) {
      srf.use('message', (req, res) => {
        const body = typeof req.body === 'string' ? req.body : '';
        const answer = (status: number): void => {
          if (!res.finalResponseSent) res.send(status, reasonPhrase(status), { headers: {} });
        };
        try {
          handler(
            {
              fromUser: userOfNameAddr(req.has('From') ? req.get('From') : undefined) ?? '',
              toUser: parseSipUri(req.uri)?.user ?? '',
              contentType: (req.has('Content-Type')
                ? req.get('Content-Type')
                : 'text/plain'
              ).trim(),
              body,
              size: Buffer.byteLength(body),
              source: { address: req.source_address, port: Number(req.source_port) },
            },
            answer,
          );
        } catch (err) {
          log.error({ err }, 'MESSAGE handling failed');
          answer(500);
        }
      });
    },
    async sendMessage(target, msg) {
      return requestFinalStatus(
        srf,
        target.uri,
        {
          method: 'MESSAGE',
          headers: {
            From: msg.from,
            To: msg.to,
            'Content-Type': msg.contentType,
            ...(msg.date ? { Date: msg.date.toUTCString() } : {}),
          },
          body: msg.body,
          ...(target.nextHop === undefined ? {} : { proxy: target.nextHop }),
        },
        MESSAGE_TIMEOUT_MS,
      );
    },
  };
}
