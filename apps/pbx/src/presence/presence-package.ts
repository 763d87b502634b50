/**
 * The `presence` event package (RFC 3856) with PIDF bodies (RFC 3863, RPID activities RFC 4480),
 * derived by the PBX from what it knows: registration, calls and DND. Any station may watch any
 * station the watcher policy allows.
 */
import type { StationState } from '../state/station-state';
import { PIDF_TYPE, pidfXml, type PresenceFacts } from '../sip/event-bodies';
import type { EventPackage, SubscribeVerdict, SubscriptionView } from './event-package';
import type { PublishedState } from './publications';
import type { IncomingSubscribe } from './sip-port';

/** What a station's presence is made of. */
export function presenceFacts(s: StationState | undefined): PresenceFacts {
  if (!s || !s.registered) return { basic: 'closed', activity: 'away', note: 'Offline' };
  if (s.legs.length > 0) return { basic: 'open', activity: 'on-the-phone', note: 'On the phone' };
  if (s.settings.dnd) return { basic: 'closed', activity: 'busy', note: 'Do not disturb' };
  return { basic: 'open', note: 'Available' };
}

export class PresencePackage implements EventPackage {
  readonly name = 'presence';
  readonly contentType = PIDF_TYPE;

  constructor(
    private readonly station: (tel: string) => StationState | undefined,
    private readonly domain: () => string,
    private readonly published: (tel: string) => PublishedState | undefined = () => undefined,
    /** The administrator's status text (`pbx ext set --status`; '' = none). */
    private readonly adminStatus: (tel: string) => string = () => '',
    /** The watcher policy (`watcher-policy.ts`); every station may watch every station by default. */
    private readonly mayWatch: (watcher: string, resource: string) => boolean = () => true,
  ) {}

  /**
   * The derived facts with, while the station is registered, a status text over the PBX's note:
   * the note the client published while its publication lives (it is the person's own and the
   * newer word), else the administrator's text. The client's published open/closed applies too.
   * An unregistered station is "Offline" whatever was set.
   */
  facts(tel: string): PresenceFacts {
    const derived = presenceFacts(this.station(tel));
    if (derived.basic === 'closed' && derived.activity === 'away') return derived;
    const pub = this.published(tel);
    const admin = this.adminStatus(tel);
    return {
      ...derived,
      ...(admin ? { note: admin } : {}),
      ...(pub?.basic ? { basic: pub.basic } : {}),
      ...(pub?.note ? { note: pub.note } : {}),
    };
  }

  authorize(req: IncomingSubscribe): SubscribeVerdict {
    if (!this.station(req.resource))
      return { ok: false, status: 404, reason: 'presence of an unknown number' };
    return this.mayWatch(req.subscriber, req.resource)
      ? { ok: true, resource: req.resource }
      : { ok: false, status: 403, reason: 'presence refused by presence.watchers' };
  }

  fingerprint(resource: string): string {
    const f = this.facts(resource);
    return `${f.basic}|${f.activity ?? ''}|${f.note ?? ''}`;
  }

  render(sub: SubscriptionView): string {
    const entity = `sip:${sub.resource}@${this.domain()}`;
    return pidfXml(entity, { ...this.facts(sub.resource), contact: entity });
  }
}
