/**
 * SIP-specific event notification (RFC 6665): the event packages the PBX serves. None yet, so a
 * SUBSCRIBE outside a dialog is answered `489 Bad Event` (RFC 6665 §4.2.1.1) with the packages
 * that are served in Allow-Events, rather than the SIP server's `503` for a method no app takes,
 * which tells a phone to retry later. A package (presence, message-summary) adds itself to
 * `served` and takes its SUBSCRIBEs before this answer.
 */
import type { AppContext, PbxModule } from '../context';

/** The request and response srf hands to a SUBSCRIBE handler (the parts used here). */
interface SubscribeRequest {
  get(name: string): string | undefined;
  source_address: string;
}
interface SubscribeResponse {
  send(status: number, reason: string, opts: { headers: Record<string, string> }): void;
}
interface SubscribeRouting {
  subscribe(fn: (req: SubscribeRequest, res: SubscribeResponse) => void): void;
}

export interface EventsModule extends PbxModule {
  /** Event packages the PBX serves, named as in an Event header. */
  readonly served: readonly string[];
}

/** The response to a SUBSCRIBE for an event package nobody serves. */
export function badEventResponse(served: readonly string[]): { status: 489; reason: string; headers: Record<string, string> } {
  // Allow-Events needs at least one package (RFC 6665 §8.2.2): left out when none is served.
  return { status: 489, reason: 'Bad Event', headers: served.length > 0 ? { 'Allow-Events': served.join(', ') } : {} };
}

export function installEvents(ctx: AppContext): EventsModule {
  const served: string[] = [];
  const log = ctx.log.child({ module: 'events' });
  (ctx.srf as unknown as SubscribeRouting).subscribe((req, res) => {
    const r = badEventResponse(served);
    log.debug({ event: req.get('Event'), ip: req.source_address }, 'SUBSCRIBE for an event not served');
    res.send(r.status, r.reason, { headers: r.headers });
  });
  return { name: 'events', served };
}
