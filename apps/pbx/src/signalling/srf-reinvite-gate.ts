/**
 * Holds a dialog's re-INVITEs that srf delivers before its owner listens.
 *
 * drachtio-srf hands a new dialog over (createUAS/createUAC callback) and, in the same call
 * stack, may dispatch in-dialog requests that came in the same read of the drachtio socket: the
 * confirmation of our 200, the phone's ACK and its hold re-INVITE can arrive back to back. srf
 * defers ACK, INFO, REFER and UPDATE by a turn (setImmediate) so the app can attach listeners
 * after `await`; a re-INVITE it handles at once, and with no 'modify' listener it answers 200
 * with our last SDP itself: the hold never reaches the other phone, and a later re-INVITE meets
 * the engine's pending exchange (491). Whether those messages share a read depends only on
 * timing (the SIP server in a worker thread writes them quicker than the PBX thread reads), so
 * the gate listens from the dialog's first moment and defers an early re-INVITE by one turn,
 * like srf's other requests; then it goes to the owner, or, if there is still none, gets srf's
 * own answer.
 */
import type Srf from 'drachtio-srf';
import type { SrfRequest, SrfResponse } from './srf';

export type ReinviteHandler = (req: SrfRequest, res: SrfResponse) => void;

export interface ReinviteGate {
  /** Sets the owner's handler; re-INVITEs held so far go to it on the next turn, in order. */
  listen(handler: ReinviteHandler): void;
}

/** Starts listening for `d`'s re-INVITEs; call it where srf hands the dialog over. */
export function reinviteGate(d: Srf.Dialog): ReinviteGate {
  let handler: ReinviteHandler | undefined;
  const held: Array<[SrfRequest, SrfResponse]> = [];
  let scheduled = false;

  const drain = (): void => {
    scheduled = false;
    for (const [req, res] of held.splice(0)) {
      if (handler) handler(req, res);
      else answerAsSrf(d, res);
    }
  };

  d.on('modify', (req: SrfRequest, res: SrfResponse) => {
    if (handler && held.length === 0) {
      handler(req, res);
      return;
    }
    held.push([req, res]);
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  });

  return {
    listen(h) {
      handler = h;
    },
  };
}

/** What srf does with a re-INVITE nobody listens for: 200 with our last SDP. */
function answerAsSrf(d: Srf.Dialog, res: SrfResponse): void {
  // srf keeps the dialog's Contact beside the SDP; its typings show only uri and sdp.
  const contact = (d.local as { contact?: string }).contact;
  res.send(200, {
    body: d.local.sdp,
    headers: { ...(contact ? { Contact: contact } : {}), 'Content-Type': 'application/sdp' },
  });
}
