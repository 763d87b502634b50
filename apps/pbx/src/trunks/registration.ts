/**
 * A trunk's registration with its provider as a reducer (STYLE.md §4): told the time, returning
 * effects for the runner (registration-client.ts).
 *
 * ```
 *  idle ──start──▶ registering ──ok(expires)──▶ registered ──timer (refresh)──▶ registering
 *                      │                                                     ▲
 *                      └──failed(error)──▶ failed ──timer (back-off)─────────┘
 * ```
 * Refresh comes before expiry: at half the granted time, or 60 s before it when that is later
 * (never later than 5 s before it). Back-off after a failure starts at `retryMinMs` and doubles
 * up to `retryMaxMs`; a success resets it.
 */
export type RegistrationState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'registering'; readonly failures: number }
  | { readonly kind: 'registered'; readonly until: number }
  | {
      readonly kind: 'failed';
      readonly failures: number;
      readonly error: string;
      readonly retryAt: number;
    };

export type RegistrationEvent =
  | { readonly type: 'start' }
  | { readonly type: 'ok'; readonly expires: number }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'timer' };

export type RegistrationEffect =
  | { readonly type: 'send' }
  | { readonly type: 'timer'; readonly atMs: number }
  | {
      readonly type: 'status';
      readonly state: 'registering' | 'registered' | 'failed';
      readonly error: string;
      readonly until: number | null;
    };

export interface BackOff {
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

/** When to refresh a registration granted for `expires` seconds at `now`. */
export function refreshAt(now: number, expires: number): number {
  const ms = expires * 1000;
  const early = Math.max(ms / 2, ms - 60_000);
  return now + Math.min(early, Math.max(ms - 5_000, ms / 2));
}

/** The wait before attempt number `failures + 1`. */
export function backOffMs(failures: number, b: BackOff): number {
  return Math.min(b.retryMaxMs, b.retryMinMs * 2 ** Math.max(0, failures - 1));
}

export function nextRegistration(
  s: RegistrationState,
  e: RegistrationEvent,
  now: number,
  b: BackOff,
): [RegistrationState, RegistrationEffect[]] {
  const sending = (failures: number): [RegistrationState, RegistrationEffect[]] => [
    { kind: 'registering', failures },
    [{ type: 'send' }, { type: 'status', state: 'registering', error: '', until: null }],
  ];
  switch (e.type) {
    case 'start':
      // A settings change restarts the registration, keeping the failure count for back-off.
      return sending(s.kind === 'failed' || s.kind === 'registering' ? s.failures : 0);
    case 'timer':
      if (s.kind === 'registered') return sending(0);
      if (s.kind === 'failed') return sending(s.failures);
      return [s, []];
    case 'ok': {
      if (s.kind !== 'registering') return [s, []];
      const until = now + e.expires * 1000;
      return [
        { kind: 'registered', until },
        [
          { type: 'timer', atMs: refreshAt(now, e.expires) },
          { type: 'status', state: 'registered', error: '', until },
        ],
      ];
    }
    case 'failed': {
      if (s.kind !== 'registering') return [s, []];
      const failures = s.failures + 1;
      const retryAt = now + backOffMs(failures, b);
      return [
        { kind: 'failed', failures, error: e.error, retryAt },
        [
          { type: 'timer', atMs: retryAt },
          { type: 'status', state: 'failed', error: e.error, until: retryAt },
        ],
      ];
    }
    default:
      return assertNever(e);
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled registration event ${JSON.stringify(x)}`);
}
