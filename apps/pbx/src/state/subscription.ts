import { assertNever } from './errors';

/**
 * One subscription the PBX serves as notifier (RFC 6665): a busy lamp (`dialog`), a watcher of
 * presence, a message-waiting light (`message-summary`).
 *
 * ```
 *            accepted (2xx sent) ── NOTIFY ─▶ active ─┬─ refresh ───────────▶ active (NOTIFY, rearm)
 *                                               │     ├─ changed ───────────▶ active (NOTIFY, or queued
 *                                               │     │                       while one is out)
 *                                               │     ├─ notify 2xx ─▶ active
 *                                               │     ├─ notify 408/timeout/5xx ─▶ active (resend
 *                                               │     │                       the state after a backoff)
 *                                               │     ├─ unsubscribe | expired | deactivate
 *                                               │     │      ─▶ terminated (final NOTIFY with reason)
 *                                               │     └─ notify 481/489 ─▶ terminated (no NOTIFY)
 * ```
 *
 * At most one NOTIFY is outstanding per subscription: a change while one is out is remembered
 * (`dirty`) and sent, with the state as it is then, when the answer arrives. Every NOTIFY that
 * carries a document gets a version one above the last (RFC 4235 §4.1: versions only rise within
 * a subscription), including the resynchronising NOTIFY after a refresh.
 */
export type SubscriptionState =
  | {
      readonly kind: 'active';
      readonly expiresAt: number;
      /** Version of the last document sent (0 before the first NOTIFY). */
      readonly version: number;
      /** A NOTIFY is out and its answer has not come. */
      readonly notifying: boolean;
      /** Something changed while a NOTIFY was out. */
      readonly dirty: boolean;
      /** Consecutive NOTIFYs that failed (408, timeout, 5xx): for logs and `pbx` output. */
      readonly failures: number;
    }
  | { readonly kind: 'terminated'; readonly reason: TerminationReason };

/**
 * `Subscription-State: terminated` reasons (RFC 6665 §4.1.3): `timeout` after expiry or an
 * un-SUBSCRIBE, `noresource` when the resource went away (station removed), `deactivated` when the
 * PBX stops (the subscriber may re-subscribe at once), `rejected` when policy no longer allows it;
 * `gone` is ours: the subscriber answered 481, nothing more is sent.
 */
export type TerminationReason = 'timeout' | 'noresource' | 'deactivated' | 'rejected' | 'gone';

/** How a NOTIFY ended, from the subscription's point of view. */
export type NotifyOutcome =
  /** 2xx. */
  | 'ok'
  /** 408, no answer at all, or another failure that does not end the subscription. */
  | 'failed'
  /** 481 (or 489): the subscriber no longer has this subscription (RFC 6665 §4.2.2). */
  | 'gone';

export type SubscriptionEvent =
  /** The initial SUBSCRIBE was accepted; the first NOTIFY must follow at once (RFC 6665 §4.2.1.2). */
  | { readonly type: 'accepted'; readonly expiresMs: number; readonly now: number }
  /** A refreshing SUBSCRIBE with a non-zero expiry: answered, and a NOTIFY resyncs the state. */
  | { readonly type: 'refreshed'; readonly expiresMs: number; readonly now: number }
  /** SUBSCRIBE with `Expires: 0`. */
  | { readonly type: 'unsubscribed' }
  /** The expiry timer fired. */
  | { readonly type: 'expired'; readonly now: number }
  /** The watched resource changed. */
  | { readonly type: 'changed' }
  /** The retry timer after a failed NOTIFY fired. */
  | { readonly type: 'retry' }
  | { readonly type: 'notifyAnswered'; readonly outcome: NotifyOutcome }
  /** The PBX ends the subscription itself (station removed, shutdown, policy). */
  | { readonly type: 'deactivate'; readonly reason: 'noresource' | 'deactivated' | 'rejected' };

export type SubscriptionEffect =
  /** Send a NOTIFY with the current document, `Subscription-State: active;expires=<s>`. */
  | { readonly type: 'notify'; readonly version: number; readonly expiresSec: number }
  /** Send the final NOTIFY, `Subscription-State: terminated;reason=<r>`, with the document. */
  | { readonly type: 'notifyFinal'; readonly version: number; readonly reason: TerminationReason }
  | { readonly type: 'armExpiry'; readonly ms: number }
  /** Send the current state again after `ms` unless something else is sent first. */
  | { readonly type: 'armRetry'; readonly ms: number }
  /** Forget the subscription (timers, tables). */
  | { readonly type: 'release' };

/** The state before the first SUBSCRIBE was accepted. */
export const NEW_SUBSCRIPTION: SubscriptionState = {
  kind: 'active',
  expiresAt: 0,
  version: 0,
  notifying: false,
  dirty: false,
  failures: 0,
};

/** Backoff after consecutive failed NOTIFYs: 2 s, 4 s, 8 s, … at most 60 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.min(failures, 6));
}

type Active = Extract<SubscriptionState, { kind: 'active' }>;

function secondsLeft(s: Active, now: number): number {
  return Math.max(0, Math.ceil((s.expiresAt - now) / 1000));
}

function send(s: Active, now: number): [SubscriptionState, SubscriptionEffect[]] {
  const version = s.version + 1;
  return [
    { ...s, version, notifying: true, dirty: false },
    [{ type: 'notify', version, expiresSec: secondsLeft(s, now) }],
  ];
}

function terminate(
  s: Active,
  reason: TerminationReason,
): [SubscriptionState, SubscriptionEffect[]] {
  const version = s.version + 1;
  return [
    { kind: 'terminated', reason },
    [{ type: 'notifyFinal', version, reason }, { type: 'release' }],
  ];
}

/**
 * The subscription reducer. `now` comes with the events that need it. Input after termination
 * is late (a NOTIFY answer, a timer) and changes nothing.
 */
export function nextSubscription(
  s: SubscriptionState,
  e: SubscriptionEvent,
  now: number,
): [SubscriptionState, SubscriptionEffect[]] {
  if (s.kind === 'terminated') return [s, []];
  switch (e.type) {
    case 'accepted':
    case 'refreshed': {
      const armed: Active = { ...s, expiresAt: e.now + e.expiresMs };
      const arm: SubscriptionEffect = { type: 'armExpiry', ms: e.expiresMs };
      // A refresh while a NOTIFY is out resyncs once that one is answered.
      if (armed.notifying) return [{ ...armed, dirty: true }, [arm]];
      const [next, effects] = send(armed, e.now);
      return [next, [arm, ...effects]];
    }
    case 'unsubscribed':
      return terminate(s, 'timeout');
    case 'expired':
      // A refresh that raced the timer moved the expiry on: a stale timer.
      if (e.now < s.expiresAt) return [s, []];
      return terminate(s, 'timeout');
    case 'deactivate':
      return terminate(s, e.reason);
    case 'retry':
      // A NOTIFY went out meanwhile (a change or refresh), or the last one got through.
      if (s.notifying || s.failures === 0) return [s, []];
      return send(s, now);
    case 'changed':
      if (s.notifying) return s.dirty ? [s, []] : [{ ...s, dirty: true }, []];
      return send(s, now);
    case 'notifyAnswered': {
      if (e.outcome === 'gone')
        return [{ kind: 'terminated', reason: 'gone' }, [{ type: 'release' }]];
      const failures = e.outcome === 'ok' ? 0 : s.failures + 1;
      const settled: Active = { ...s, notifying: false, failures };
      // RFC 6665 §4.2.2: only 481 (and flow failures) end a subscription; a lost NOTIFY does not,
      // and the next change (or the subscriber's refresh) sends the whole state again.
      if (settled.dirty) return send(settled, now);
      if (failures > 0) return [settled, [{ type: 'armRetry', ms: retryDelayMs(failures) }]];
      return [settled, []];
    }
    default:
      return assertNever(e);
  }
}
