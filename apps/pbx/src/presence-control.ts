/**
 * The presence module, wired: the notifier (RFC 6665) with its event packages on the event SIP
 * port, fed by the call engine's station effects, the park slots and CLI changes. Part of the
 * composition root (modules.ts installs it after call control).
 */
import type { AppContext, PbxModule } from './context';
import type { CallControl } from './call-control';
import { BlfSource, parkResource } from './presence/blf-source';
import { DialogPackage } from './presence/dialog-package';
import { StoreMailboxes } from './presence/mailboxes';
import { MessageSummaryPackage } from './presence/mwi-package';
import { UnsolicitedMwi } from './presence/mwi-unsolicited';
import { Notifier } from './presence/notifier';
import { PresencePackage } from './presence/presence-package';
import { Publications } from './presence/publications';
import { grantExpires } from './presence/notifier';
import type { EventSipPort } from './presence/sip-port';
import type { RegistrationLookup } from './engine/registration-lookup';
import { mayWatch } from './presence/watcher-policy';

/** What the presence module exposes (tests, the CLI's live view, the bench). */
export interface PresenceControl extends PbxModule {
  readonly name: 'presence';
  readonly notifier: Notifier;
  readonly blf: BlfSource;
  /** The mailbox counts message-waiting shows (the voice-mail module writes them with `set`). */
  readonly mailboxes: StoreMailboxes;
}

export async function installPresence(
  ctx: AppContext,
  sip: EventSipPort,
  calls: CallControl,
  registrations: RegistrationLookup,
): Promise<PresenceControl> {
  const log = ctx.log.child({ module: 'presence' });
  const { stations } = calls;
  const blf = new BlfSource({
    stations,
    registry: calls.env.registry,
    plan: calls.plan,
    parked: () => calls.parks.list(),
    domain: () => ctx.config.sip.domain,
    policy: () => ({
      dndAsBusy: ctx.config.presence.dndAsBusy === 'yes',
      forwardAllAsBusy: ctx.config.presence.forwardAllAsBusy === 'yes',
    }),
  });
  const watchPolicy = (watcher: string, resource: string): boolean =>
    mayWatch(ctx.config.presence.watchers, watcher, resource, {
      isStation: (n) => stations.has(n),
      groups: () => calls.plan.groups(),
    });
  const mailboxes = new StoreMailboxes(ctx.store, log);
  await mailboxes.load();
  const mwi = new MessageSummaryPackage(
    mailboxes,
    (tel) => stations.has(tel),
    () => ctx.config.sip.domain,
  );
  // Late-bound: the notifier is built with the package that reads the publications.
  let onPublished = (_tel: string): void => undefined;
  const publications = new Publications((tel) => onPublished(tel), ctx.now);
  const notifier = new Notifier({
    sip,
    packages: [
      new DialogPackage(blf, watchPolicy),
      mwi,
      new PresencePackage(
        (tel) => stations.peek(tel),
        () => ctx.config.sip.domain,
        (tel) => publications.get(tel),
        (tel) => stations.row(tel)?.statusText ?? '',
        watchPolicy,
      ),
    ],
    policy: () => ({
      defaultExpires: ctx.config.presence.subscribeDefaultExpires,
      minExpires: ctx.config.presence.subscribeMinExpires,
      maxExpires: ctx.config.presence.subscribeMaxExpires,
    }),
    isStationAt: (tel, source) =>
      stations.has(tel) &&
      registrations.matchesSource(tel, source, stations.row(tel)?.natCheck ?? 'ip'),
    log,
    now: ctx.now,
  });

  onPublished = (tel) => notifier.changed('presence', tel);
  sip.onPublish((req, answer) => {
    if (req.event !== 'presence') {
      answer(489, { 'Allow-Events': 'presence' });
      return;
    }
    // A client publishes its own presence, from where its station is registered.
    if (
      req.resource !== req.publisher ||
      !stations.has(req.publisher) ||
      !registrations.matchesSource(
        req.publisher,
        req.source,
        stations.row(req.publisher)?.natCheck ?? 'ip',
      )
    ) {
      answer(403);
      return;
    }
    if (req.body !== undefined && !/pidf\+xml/i.test(req.contentType ?? '')) {
      answer(415, { Accept: 'application/pidf+xml' });
      return;
    }
    const policy = {
      defaultExpires: ctx.config.presence.subscribeDefaultExpires,
      minExpires: ctx.config.presence.subscribeMinExpires,
      maxExpires: ctx.config.presence.subscribeMaxExpires,
    };
    const expires = grantExpires(req.expires, policy);
    if (expires === 'tooBrief') {
      answer(423, { 'Min-Expires': String(policy.minExpires) });
      return;
    }
    const out = publications.publish(req.publisher, req.ifMatch, req.body, expires);
    if (out.status === 200) answer(200, { 'SIP-ETag': out.etag, Expires: String(out.expires) });
    else answer(out.status);
  });

  /** Lamps that are not a station (ring groups, park slots) may follow any station's calls. */
  const nonStationLamps = (): void => {
    for (const r of notifier.watched('dialog'))
      if (!blf.isStation(r)) notifier.changed('dialog', r);
  };
  stations.onStationEffect((tel) => {
    notifier.changed('dialog', tel);
    notifier.changed('presence', tel);
    nonStationLamps();
  });
  calls.parks.onSlotChanged((slot) => notifier.changed('dialog', parkResource(slot)));

  const unsolicited = new UnsolicitedMwi({
    sip,
    mailboxes,
    pkg: mwi,
    locate: (tel) => calls.env.locate(tel),
    subscribed: (tel) => notifier.watched('message-summary').includes(tel),
    domain: () => ctx.config.sip.domain,
    log,
  });
  mailboxes.onChanged((tel) => {
    notifier.changed('message-summary', tel);
    unsolicited.send(tel);
  });
  // A phone that (re)registers after being away gets its lamp set again.
  const registered = new Set<string>();
  registrations.onChange((tel) => {
    // LiveStations updates the registered flag from the same event; presence reads it after.
    queueMicrotask(() => notifier.changed('presence', tel));
    const now = registrations.isRegistered(tel);
    if (now && !registered.has(tel)) unsolicited.send(tel);
    if (now) registered.add(tel);
    else registered.delete(tel);
  });

  return {
    name: 'presence',
    notifier,
    blf,
    mailboxes,
    async onChange(area) {
      await mailboxes.onChange(area);
      // Settings changed with `pbx` (DND, forward) and policy options reach the lamps at once.
      if (['stations', 'config', 'groups', 'numplan'].includes(area)) notifier.changedAll('dialog');
      if (area === 'stations') notifier.changedAll('presence');
      if (area === 'stations') {
        for (const r of notifier.watched('dialog'))
          if (blf.resolve(r.startsWith('park:') ? '' : r) === undefined && !r.startsWith('park:'))
            notifier.removeResource('dialog', r);
      }
    },
    async stop() {
      publications.stop();
      await notifier.stop();
    },
  };
}
