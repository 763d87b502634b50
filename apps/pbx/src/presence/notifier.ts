/**
 * The notifier (RFC 6665): every subscription the PBX holds, whatever its package, run through
 * the subscription reducer (`state/subscription.ts`). It answers SUBSCRIBEs (source check,
 * package authorisation, expiry bounds), keeps one expiry timer and one retry timer per
 * subscription, sends the NOTIFYs the reducer asks for, and fans a resource's change out to its
 * watchers.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  NEW_SUBSCRIPTION,
  nextSubscription,
  type NotifyOutcome,
  type SubscriptionEffect,
  type SubscriptionEvent,
  type SubscriptionState,
} from '../state/subscription';
import { badEventResponse } from '../sip/events';
import type { EventPackage, SubscriptionView } from './event-package';
import type {
  EventSipPort,
  IncomingSubscribe,
  InitialSubscribeAnswer,
  SubscriptionDialog,
} from './sip-port';

/** Expiry bounds, read for every SUBSCRIBE (they can change live). */
export interface ExpiryPolicy {
  /** Granted when the SUBSCRIBE has no `Expires`. */
  readonly defaultExpires: number;
  /** Shorter requests get `423 Interval Too Brief` (RFC 6665 §4.2.1.1). */
  readonly minExpires: number;
  /** Longer requests are cut to this. */
  readonly maxExpires: number;
}

export interface NotifierOptions {
  readonly sip: EventSipPort;
  readonly packages: readonly EventPackage[];
  readonly policy: () => ExpiryPolicy;
  /** The manual's source check: the subscriber is a station registered from this address. */
  readonly isStationAt: (tel: string, source: { address: string; port: number }) => boolean;
  readonly log: Logger;
  readonly now?: () => number;
}

interface Subscription extends SubscriptionView {
  readonly pkg: EventPackage;
  readonly eventHeader: string;
  readonly dialog: SubscriptionDialog;
  state: SubscriptionState;
  expiryTimer?: NodeJS.Timeout;
  retryTimer?: NodeJS.Timeout;
  /** Fingerprint of the resource state last sent. */
  sent?: string;
  readonly log: Logger;
}

/** A subscription as `pbx` and the tests list it. */
export interface SubscriptionInfo {
  readonly id: string;
  readonly event: string;
  readonly resource: string;
  readonly subscriber: string;
  readonly expiresAt: number;
  readonly version: number;
  readonly failures: number;
}

/** How long `stop()` waits for the final NOTIFYs' answers. */
const STOP_WAIT_MS = 2_000;

export class Notifier {
  private readonly subs = new Map<string, Subscription>();
  private readonly byResource = new Map<string, Set<Subscription>>();
  /** Bumped whenever a resource gains its first watcher or loses its last. */
  private watchGeneration = 0;
  /** `watched(event)` as of a generation: asked at every busy-lamp change of every call. */
  private readonly watchedCache = new Map<string, { generation: number; list: string[] }>();
  private readonly packages = new Map<string, EventPackage>();
  private readonly now: () => number;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly sentListeners: Array<(event: string, resource: string) => void> = [];
  private readonly answeredListeners: Array<
    (event: string, resource: string, status: number) => void
  > = [];

  constructor(private readonly opts: NotifierOptions) {
    this.now = opts.now ?? Date.now;
    for (const p of opts.packages) this.packages.set(p.name, p);
    opts.sip.onSubscribe((req, answer) => this.onSubscribe(req, answer));
  }

  /** The package names served, for `Allow-Events`. */
  get served(): string[] {
    return [...this.packages.keys()];
  }

  /** The resource changed: every watcher whose last NOTIFY showed another state gets one. */
  changed(event: string, resource: string): void {
    const set = this.byResource.get(key(event, resource));
    if (!set || set.size === 0) return;
    const pkg = this.packages.get(event);
    if (!pkg) return;
    const fp = pkg.fingerprint(resource);
    for (const sub of [...set]) if (sub.sent !== fp) this.dispatch(sub, { type: 'changed' });
  }

  /** Every watched resource of `event` may have changed (settings reloaded from the database). */
  changedAll(event: string): void {
    for (const k of [...this.byResource.keys()]) {
      const [e, resource] = k.split('\0') as [string, string];
      if (e === event) this.changed(event, resource);
    }
  }

  /** Ends every subscription to `resource` (a station removed): final NOTIFY `noresource`. */
  removeResource(event: string, resource: string): void {
    for (const sub of [...(this.byResource.get(key(event, resource)) ?? [])])
      this.dispatch(sub, { type: 'deactivate', reason: 'noresource' });
  }

  /** Resources of `event` that have watchers now. */
  watched(event: string): string[] {
    const cached = this.watchedCache.get(event);
    if (cached?.generation === this.watchGeneration) return [...cached.list];
    const list = [...this.byResource.entries()]
      .filter(([k, set]) => set.size > 0 && k.startsWith(`${event}\0`))
      .map(([k]) => k.slice(event.length + 1));
    this.watchedCache.set(event, { generation: this.watchGeneration, list });
    return [...list];
  }

  list(): SubscriptionInfo[] {
    return [...this.subs.values()].map((s) => ({
      id: s.id,
      event: s.pkg.name,
      resource: s.resource,
      subscriber: s.subscriber,
      expiresAt: s.state.kind === 'active' ? s.state.expiresAt : 0,
      version: s.state.kind === 'active' ? s.state.version : 0,
      failures: s.state.kind === 'active' ? s.state.failures : 0,
    }));
  }

  /** Told when a NOTIFY was handed to SIP (the bench measures fan-out with it). */
  onNotifySent(listener: (event: string, resource: string) => void): void {
    this.sentListeners.push(listener);
  }

  /** Told when a NOTIFY's final answer (or its timeout, as 408) arrived. */
  onNotifyAnswered(listener: (event: string, resource: string, status: number) => void): void {
    this.answeredListeners.push(listener);
  }

  /** Ends every subscription with `deactivated` (the subscriber may re-subscribe at once). */
  async stop(): Promise<void> {
    for (const sub of [...this.subs.values()])
      this.dispatch(sub, { type: 'deactivate', reason: 'deactivated' });
    const all = Promise.allSettled([...this.pending]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, STOP_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private onSubscribe(req: IncomingSubscribe, answer: InitialSubscribeAnswer): void {
    const log = this.opts.log.child({ event: req.event, subscriber: req.subscriber });
    const pkg = this.packages.get(req.event);
    if (!pkg) {
      answer.reject(489, badEventResponse(this.served).headers);
      return;
    }
    if (!this.opts.isStationAt(req.subscriber, req.source)) {
      log.info(
        { ip: req.source.address, resource: req.resource },
        'SUBSCRIBE from no registered station',
      );
      answer.reject(403);
      return;
    }
    // RFC 6665 §4.2.1.1: an Accept without the package's type cannot be served.
    if (req.accept.length > 0 && !req.accept.some((a) => acceptMatches(a, pkg.contentType))) {
      answer.reject(406);
      return;
    }
    const verdict = pkg.authorize(req);
    if (!verdict.ok) {
      log.info({ resource: req.resource, status: verdict.status }, verdict.reason);
      answer.reject(verdict.status);
      return;
    }
    const policy = this.opts.policy();
    const expires = grantExpires(req.expires, policy);
    if (expires === 'tooBrief') {
      answer.reject(423, { 'Min-Expires': String(policy.minExpires) });
      return;
    }
    answer.accept(expires).then(
      (dialog) => this.start(pkg, req, verdict.resource, dialog, expires, log),
      (err: unknown) => log.warn({ err }, 'SUBSCRIBE could not be accepted'),
    );
  }

  private start(
    pkg: EventPackage,
    req: IncomingSubscribe,
    resource: string,
    dialog: SubscriptionDialog,
    expires: number,
    parentLog: Logger,
  ): void {
    const id = `sub-${randomUUID()}`;
    const sub: Subscription = {
      id,
      pkg,
      resource,
      subscriber: req.subscriber,
      eventHeader: req.eventHeader,
      dialog,
      state: NEW_SUBSCRIPTION,
      memo: undefined,
      log: parentLog.child({ sub: id, resource }),
    };
    this.subs.set(id, sub);
    const k = key(pkg.name, resource);
    let set = this.byResource.get(k);
    if (!set) {
      this.byResource.set(k, (set = new Set()));
      this.watchGeneration++;
    }
    set.add(sub);
    sub.log.debug({ expires }, 'subscription accepted');
    dialog.onRefresh((requested, answer) => {
      const granted = grantExpires(requested, this.opts.policy());
      if (granted === 'tooBrief') {
        answer.reject(423, { 'Min-Expires': String(this.opts.policy().minExpires) });
        return;
      }
      if (granted === 0) {
        answer.accept(0);
        this.dispatch(sub, { type: 'unsubscribed' });
        return;
      }
      answer.accept(granted);
      // RFC 6665 §4.2.1.2: a refresh is answered with a NOTIFY of the whole state.
      sub.sent = undefined;
      this.dispatch(sub, { type: 'refreshed', expiresMs: granted * 1000, now: this.now() });
    });
    dialog.onUnsubscribe(() => this.dispatch(sub, { type: 'unsubscribed' }));
    // Expires 0 on the first SUBSCRIBE is a fetch: one NOTIFY with the state, terminated.
    if (expires === 0) this.dispatch(sub, { type: 'unsubscribed' });
    else this.dispatch(sub, { type: 'accepted', expiresMs: expires * 1000, now: this.now() });
  }

  private dispatch(sub: Subscription, e: SubscriptionEvent): void {
    const [next, effects] = nextSubscription(sub.state, e, this.now());
    sub.state = next;
    for (const eff of effects) this.run(sub, eff);
  }

  private run(sub: Subscription, eff: SubscriptionEffect): void {
    switch (eff.type) {
      case 'notify': {
        const fp = sub.pkg.fingerprint(sub.resource);
        const body = sub.pkg.render(sub, eff.version);
        sub.sent = fp;
        this.send(sub, `active;expires=${eff.expiresSec}`, body, true);
        return;
      }
      case 'notifyFinal': {
        const body = sub.pkg.render(sub, eff.version);
        if (eff.reason !== 'gone') this.send(sub, `terminated;reason=${eff.reason}`, body, false);
        sub.log.debug({ reason: eff.reason }, 'subscription terminated');
        return;
      }
      case 'armExpiry':
        clearTimeout(sub.expiryTimer);
        sub.expiryTimer = setTimeout(
          () => this.dispatch(sub, { type: 'expired', now: this.now() }),
          eff.ms,
        );
        sub.expiryTimer.unref();
        return;
      case 'armRetry':
        clearTimeout(sub.retryTimer);
        sub.retryTimer = setTimeout(() => this.dispatch(sub, { type: 'retry' }), eff.ms);
        sub.retryTimer.unref();
        return;
      case 'release': {
        clearTimeout(sub.expiryTimer);
        clearTimeout(sub.retryTimer);
        this.subs.delete(sub.id);
        const set = this.byResource.get(key(sub.pkg.name, sub.resource));
        set?.delete(sub);
        if (set?.size === 0) {
          this.byResource.delete(key(sub.pkg.name, sub.resource));
          this.watchGeneration++;
        }
        if (sub.state.kind === 'terminated' && sub.state.reason === 'gone') sub.dialog.forget();
        return;
      }
      default: {
        const never: never = eff;
        throw new Error(`unhandled effect ${JSON.stringify(never)}`);
      }
    }
  }

  private send(sub: Subscription, subscriptionState: string, body: string, live: boolean): void {
    const p = sub.dialog
      .notify({
        event: sub.eventHeader,
        subscriptionState,
        contentType: sub.pkg.contentType,
        body,
      })
      .catch((err: unknown) => {
        sub.log.warn({ err }, 'NOTIFY could not be sent');
        return 408;
      })
      .then((status) => {
        for (const l of this.answeredListeners) l(sub.pkg.name, sub.resource, status);
        if (!live) return;
        const outcome = notifyOutcome(status);
        if (outcome !== 'ok') sub.log.info({ status }, 'NOTIFY failed');
        this.dispatch(sub, { type: 'notifyAnswered', outcome });
      });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    for (const l of this.sentListeners) l(sub.pkg.name, sub.resource);
  }
}

function key(event: string, resource: string): string {
  return `${event}\0${resource}`;
}

/** RFC 6665 §4.2.2 and RFC 5057: 481 and 489 end the subscription; anything else keeps it. */
export function notifyOutcome(status: number): NotifyOutcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 481 || status === 489) return 'gone';
  return 'failed';
}

/** The expiry to grant, or `tooBrief` for a request under the minimum (0 is always allowed). */
export function grantExpires(requested: number | undefined, p: ExpiryPolicy): number | 'tooBrief' {
  if (requested === undefined) return Math.min(p.defaultExpires, p.maxExpires);
  if (requested === 0) return 0;
  if (requested < p.minExpires) return 'tooBrief';
  return Math.min(requested, p.maxExpires);
}

function acceptMatches(accept: string, type: string): boolean {
  const a = accept.split(';')[0]?.trim().toLowerCase() ?? '';
  if (a === '*/*' || a === type) return true;
  return a.endsWith('/*') && type.startsWith(a.slice(0, -1));
}
