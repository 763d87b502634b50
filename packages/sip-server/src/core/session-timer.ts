/**
 * Session timers (RFC 4028) kept by the server, invisible to the client but for the final BYE
 * (wire spec §6.6). We refresh at half the interval with a re-INVITE carrying our last SDP; when
 * the peer must refresh and does not, the call is torn down with "Session timer expired".
 */
import type { SipRequest, SipResponse } from '../message/types';
import { cseq, getHeader, getHeaders, setHeader, addHeader, textAsBytes } from '../message';
import type { Dialog } from '../dialog/dialog';
import type { SipCore } from './sip-core';
import { buildInDialogRequest, sendBye } from './dialog-requests';

export function stopSessionTimer(d: Dialog): void {
  if (d.sessionTimer?.timer) clearTimeout(d.sessionTimer.timer);
  d.sessionTimer = undefined;
}

function parseSe(
  value: string | undefined,
): { delta: number; refresher?: 'uac' | 'uas' } | undefined {
  if (!value) return undefined;
  const m = /^\s*(\d+)(.*)$/.exec(value);
  if (!m) return undefined;
  const r = /refresher\s*=\s*(uac|uas)/i.exec(m[2] ?? '');
  return { delta: Number(m[1]), refresher: r ? (r[1]!.toLowerCase() as 'uac' | 'uas') : undefined };
}

/** Our 2xx to an INVITE or UPDATE the peer sent: decide, add Session-Expires, and arm. */
export function applyUasSessionTimer(
  core: SipCore,
  d: Dialog,
  req: SipRequest,
  res: SipResponse,
): void {
  stopSessionTimer(d);
  const fromApp = parseSe(getHeader(res, 'Session-Expires'));
  if (fromApp) {
    const interval = Math.max(core.opts.minSe, fromApp.delta);
    return arm(core, d, interval, fromApp.refresher === 'uas');
  }
  const asked = parseSe(getHeader(req, 'Session-Expires'));
  if (!asked) return;
  let refresher = asked.refresher;
  if (!refresher) {
    const def = core.opts.sessionTimerDefaultRefresher;
    if (def === 'none') return;
    refresher = def;
  }
  const interval = Math.max(core.opts.minSe, asked.delta);
  setHeader(res, 'Session-Expires', `${interval};refresher=${refresher}`);
  const requires = getHeaders(res, 'Require').map((s) => s.toLowerCase());
  if (!requires.includes('timer')) addHeader(res, 'Require', 'timer');
  arm(core, d, interval, refresher === 'uas');
}

/** A 2xx to an INVITE we sent, carrying Session-Expires: we refresh unless it names the uas. */
export function applyUacSessionTimer(core: SipCore, d: Dialog, res: SipResponse): void {
  const se = parseSe(getHeader(res, 'Session-Expires'));
  if (!se) return;
  stopSessionTimer(d);
  arm(core, d, Math.max(core.opts.minSe, se.delta), se.refresher !== 'uas');
}

function arm(core: SipCore, d: Dialog, interval: number, weRefresh: boolean): void {
  const ms = weRefresh ? (interval * 1000) / 2 : interval * 1000;
  const timer = setTimeout(() => (weRefresh ? refresh(core, d, interval) : expire(core, d)), ms);
  timer.unref();
  d.sessionTimer = { interval, weRefresh, timer };
}

function expire(core: SipCore, d: Dialog): void {
  if (!core.dialogs.remove(d)) return;
  sendBye(core, d, 'Session timer expired', true);
}

function refresh(core: SipCore, d: Dialog, interval: number): void {
  if (core.dialogs.get(d.id) !== d) return;
  const headers = [
    { name: 'Session-Expires', value: `${interval};refresher=uac` },
    { name: 'Min-SE', value: String(core.opts.minSe) },
    { name: 'Supported', value: 'timer' },
  ];
  if (d.localSdp) headers.push({ name: 'Content-Type', value: d.localSdp.contentType });
  buildInDialogRequest(core, d, 'INVITE', {
    headers,
    body: d.localSdp ? textAsBytes(d.localSdp.text) : undefined,
  })
    .then(({ req, dest }) => {
      core.transactions.sendRequest(req, dest, {
        onResponse: (res) => {
          if (res.status < 200) return;
          if (res.status < 300) {
            buildInDialogRequest(core, d, 'ACK', { seq: cseq(req)?.seq ?? 0 })
              .then(({ req: ack, dest: to }) => core.transactions.sendStateless(ack, to))
              .catch(() => undefined);
            const se = parseSe(getHeader(res, 'Session-Expires'));
            arm(core, d, Math.max(core.opts.minSe, se?.delta ?? interval), se?.refresher !== 'uas');
          } else if (res.status === 491) {
            arm(core, d, interval, true);
          } else if (core.dialogs.remove(d)) {
            sendBye(core, d, 'Session timer expired', true);
          }
        },
        onTimeout: () => {
          if (core.dialogs.remove(d)) sendBye(core, d, 'Session timer expired', true);
        },
        onTransportError: () => {
          if (core.dialogs.remove(d)) sendBye(core, d, 'Session timer expired', true);
        },
      });
    })
    .catch(() => undefined);
}
