/**
 * The prepaid warning tone: `trunks.prepaidWarning` seconds before a prepaid call is cut, the
 * station hears two short 1 kHz beeps from the media server, then goes back to the provider.
 *
 * The call's media flows phone to provider, not through the PBX, so the station is re-INVITEd
 * onto a media-server endpoint (`MediaPort.createOffer`, as music on hold does), hears the beeps,
 * and is re-INVITEd back with the provider's SDP (hold-relay.ts `reoffer`, which also lets the
 * endpoint go). The provider keeps its media and hears silence for the second or so. Without a
 * media server, or while the call is in another offer/answer exchange, there is no tone and the
 * log says why; the cut comes all the same.
 */
import { withDirection } from '../sip/sdp';
import type { CallEnv } from '../engine/call-env';
import type { Call, Leg, WaitingMediaHandle } from '../engine/call-registry';
import { reoffer } from '../engine/hold-relay';
import { MediaUnavailableError, type MediaEndpoint, type MediaSource } from '../engine/media-port';
import { statusOf } from '../engine/sip-port';

/** Two 300 ms beeps at 1 kHz, 200 ms apart. */
export const CREDIT_WARNING: MediaSource = { stream: 'tone_stream://%(300,200,1000);loops=2' };

/** Plays the warning to `leg` (the calling station) of `call`; never rejects. */
export async function playCreditWarning(env: CallEnv, call: Call, leg: Leg): Promise<void> {
  const log = env.log.child({ callRef: call.ref, party: leg.party.number });
  if (!env.media.available) {
    log.info({ reason: env.media.unavailableReason }, 'no prepaid warning tone: no media server');
    return;
  }
  const conn = call.connection;
  if (!conn || conn.media.pending || !leg.dialog || leg.waitingMedia || call.ended) {
    log.info('no prepaid warning tone: the call is changing its media');
    return;
  }
  let ep: MediaEndpoint | undefined;
  const handle: WaitingMediaHandle = {
    release: () => {
      ep?.destroy().catch((err: unknown) => log.debug({ err }, 'warning tone endpoint destroy'));
    },
  };
  try {
    ep = await env.media.createOffer();
    if (call.ended || leg.ended || !leg.dialog) return;
    const answer = await leg.dialog.reinvite(
      leg.stampWaiting(withDirection(ep.localSdp, 'sendrecv'), handle),
    );
    if (call.ended || leg.ended) return;
    await ep.modify(answer);
    log.info({ channel: ep.id }, 'prepaid warning tone');
    await ep.play(CREDIT_WARNING);
  } catch (err) {
    const reason =
      err instanceof MediaUnavailableError ? err.reason : `${statusOf(err)} ${String(err)}`;
    log.warn({ reason }, 'prepaid warning tone not played');
  } finally {
    if (leg.waitingMedia === handle && !call.ended && !leg.ended) reoffer(env, call, leg);
    else if (leg.waitingMedia !== handle) handle.release();
    else leg.letGoOfWaitingMedia();
  }
}
