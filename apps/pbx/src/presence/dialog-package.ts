/**
 * The `dialog` event package (RFC 4235): busy-lamp fields. A resource is a station, a park slot
 * (watched under its retrieve code, `12` + slot, the number the key dials) or a ring group. Each
 * NOTIFY is a full dialog-info document with a version that only rises per subscription; a dialog
 * that ended since the subscription's last NOTIFY is listed once more as `terminated`, so every
 * call path ends with the lamp's dialog terminated and then absent.
 */
import { DIALOG_INFO_TYPE, dialogInfoXml, type DialogElement } from '../sip/event-bodies';
import type { EventPackage, SubscribeVerdict, SubscriptionView } from './event-package';
import type { IncomingSubscribe } from './sip-port';

/** Where the dialog package reads the lamps' state (`blf-source.ts` reads the call engine). */
export interface DialogSource {
  /** The canonical resource a Request-URI user names, or undefined when nothing is there. */
  resolve(user: string): string | undefined;
  /** The resource's address of record (`entity`). */
  entity(resource: string): string;
  /** The live dialogs of the resource, oldest first (empty: lamp off). */
  dialogs(resource: string): DialogElement[];
}

type Memo = Map<string, DialogElement>;

export class DialogPackage implements EventPackage {
  readonly name = 'dialog';
  readonly contentType = DIALOG_INFO_TYPE;

  constructor(
    private readonly source: DialogSource,
    /** The watcher policy (`watcher-policy.ts`); every station may watch every lamp by default. */
    private readonly mayWatch: (watcher: string, resource: string) => boolean = () => true,
  ) {}

  authorize(req: IncomingSubscribe): SubscribeVerdict {
    const resource = this.source.resolve(req.resource);
    if (resource === undefined)
      return { ok: false, status: 404, reason: 'busy lamp for an unknown number' };
    return this.mayWatch(req.subscriber, resource)
      ? { ok: true, resource }
      : { ok: false, status: 403, reason: 'busy lamp refused by presence.watchers' };
  }

  fingerprint(resource: string): string {
    return this.source
      .dialogs(resource)
      .map((d) => `${d.id}|${d.state}|${d.callId}|${d.localTag ?? ''}|${d.remoteTag ?? ''}`)
      .join(';');
  }

  render(sub: SubscriptionView, version: number): string {
    const live = this.source.dialogs(sub.resource);
    const before = (sub.memo as Memo | undefined) ?? new Map<string, DialogElement>();
    const now: Memo = new Map(live.map((d) => [d.id, d]));
    const ended = [...before.values()]
      .filter((d) => !now.has(d.id))
      .map((d): DialogElement => ({ ...d, state: 'terminated' }));
    sub.memo = now;
    return dialogInfoXml(this.source.entity(sub.resource), version, [...ended, ...live]);
  }
}
