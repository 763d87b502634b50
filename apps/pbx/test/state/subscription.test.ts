import {
  NEW_SUBSCRIPTION,
  nextSubscription,
  retryDelayMs,
  type SubscriptionEffect,
  type SubscriptionEvent,
  type SubscriptionState,
} from '../../src/state/subscription';

/** Runs events through the reducer from a new subscription; returns the state and all effects. */
function run(events: SubscriptionEvent[], now = 1_000): [SubscriptionState, SubscriptionEffect[]] {
  let s = NEW_SUBSCRIPTION;
  const all: SubscriptionEffect[] = [];
  for (const e of events) {
    const [next, effects] = nextSubscription(s, e, now);
    s = next;
    all.push(...effects);
  }
  return [s, all];
}

const accepted: SubscriptionEvent = { type: 'accepted', expiresMs: 600_000, now: 1_000 };
const ok: SubscriptionEvent = { type: 'notifyAnswered', outcome: 'ok' };

describe('subscription reducer (RFC 6665)', () => {
  test('accepting arms the expiry and sends the first NOTIFY at once, version 1', () => {
    const [s, effects] = run([accepted]);
    expect(effects).toEqual([
      { type: 'armExpiry', ms: 600_000 },
      { type: 'notify', version: 1, expiresSec: 600 },
    ]);
    expect(s).toMatchObject({ kind: 'active', notifying: true, version: 1 });
  });

  test('a change while a NOTIFY is out is sent once, after the answer, with a higher version', () => {
    const [s1, e1] = run([accepted, { type: 'changed' }, { type: 'changed' }]);
    expect(e1.filter((e) => e.type === 'notify')).toHaveLength(1);
    const [s2, e2] = nextSubscription(s1, ok, 2_000);
    expect(e2).toEqual([{ type: 'notify', version: 2, expiresSec: 599 }]);
    const [s3, e3] = nextSubscription(s2, ok, 2_000);
    expect(e3).toEqual([]);
    expect(s3).toMatchObject({ notifying: false, dirty: false, version: 2 });
  });

  test.each([
    ['failed', 'kept, retried after a backoff'],
    ['ok', 'kept'],
  ] as const)('NOTIFY %s: the subscription is %s', (outcome, _what) => {
    const [s, effects] = run([accepted, { type: 'notifyAnswered', outcome }]);
    expect(s.kind).toBe('active');
    expect(effects.some((e) => e.type === 'release')).toBe(false);
    expect(effects.some((e) => e.type === 'armRetry')).toBe(outcome === 'failed');
  });

  test('after a failed NOTIFY the retry resends the whole state; failures count and reset', () => {
    const [s, effects] = run([
      accepted,
      { type: 'notifyAnswered', outcome: 'failed' },
      { type: 'retry' },
      { type: 'notifyAnswered', outcome: 'failed' },
    ]);
    expect(effects.filter((e) => e.type === 'armRetry')).toEqual([
      { type: 'armRetry', ms: 2_000 },
      { type: 'armRetry', ms: 4_000 },
    ]);
    expect(s).toMatchObject({ failures: 2, version: 2 });
    const [after] = run([
      accepted,
      { type: 'notifyAnswered', outcome: 'failed' },
      { type: 'retry' },
      ok,
    ]);
    expect(after).toMatchObject({ failures: 0 });
    expect(retryDelayMs(20)).toBe(60_000);
  });

  test('a stale retry (something was sent meanwhile) does nothing', () => {
    const [s, effects] = run([accepted, ok, { type: 'retry' }]);
    expect(effects.filter((e) => e.type === 'notify')).toHaveLength(1);
    expect(s).toMatchObject({ notifying: false });
  });

  test('481 ends the subscription without another NOTIFY', () => {
    const [s, effects] = run([accepted, { type: 'notifyAnswered', outcome: 'gone' }]);
    expect(s).toEqual({ kind: 'terminated', reason: 'gone' });
    expect(effects.at(-1)).toEqual({ type: 'release' });
    expect(effects.filter((e) => e.type === 'notifyFinal')).toEqual([]);
  });

  test('un-SUBSCRIBE: final NOTIFY terminated;reason=timeout with the next version', () => {
    const [s, effects] = run([accepted, ok, { type: 'unsubscribed' }]);
    expect(s).toEqual({ kind: 'terminated', reason: 'timeout' });
    expect(effects.slice(-2)).toEqual([
      { type: 'notifyFinal', version: 2, reason: 'timeout' },
      { type: 'release' },
    ]);
  });

  test('expiry ends it; a stale expiry timer after a refresh does not', () => {
    const [s1] = run([accepted, ok, { type: 'refreshed', expiresMs: 600_000, now: 500_000 }]);
    const [s2, e2] = nextSubscription(s1, { type: 'expired', now: 601_000 }, 601_000);
    expect(s2).toBe(s1);
    expect(e2).toEqual([]);
    const [s3, e3] = nextSubscription(s1, { type: 'expired', now: 1_100_000 }, 1_100_000);
    expect(s3).toEqual({ kind: 'terminated', reason: 'timeout' });
    expect(e3[0]).toMatchObject({ type: 'notifyFinal', reason: 'timeout' });
  });

  test('a refresh resynchronises: rearm and a NOTIFY of the whole state (queued if one is out)', () => {
    const [, e1] = run([accepted, ok, { type: 'refreshed', expiresMs: 300_000, now: 10_000 }]);
    expect(e1.slice(-2)).toEqual([
      { type: 'armExpiry', ms: 300_000 },
      { type: 'notify', version: 2, expiresSec: 300 },
    ]);
    const [s2, e2] = run([accepted, { type: 'refreshed', expiresMs: 300_000, now: 10_000 }]);
    expect(e2.at(-1)).toEqual({ type: 'armExpiry', ms: 300_000 });
    expect(s2).toMatchObject({ dirty: true });
  });

  test('deactivate sends the final NOTIFY with the reason; late input after it is ignored', () => {
    const [s, effects] = run([accepted, { type: 'deactivate', reason: 'noresource' }]);
    expect(effects.at(-2)).toEqual({ type: 'notifyFinal', version: 2, reason: 'noresource' });
    for (const e of [ok, { type: 'changed' }, { type: 'retry' }] as SubscriptionEvent[]) {
      expect(nextSubscription(s, e, 5_000)).toEqual([s, []]);
    }
  });
});
