import {
  backOffMs,
  nextRegistration,
  refreshAt,
  type RegistrationState,
} from '../../src/trunks/registration';

const b = { retryMinMs: 5_000, retryMaxMs: 60_000 };

describe('trunk registration reducer', () => {
  it('sends on start, and refreshes before expiry once registered', () => {
    const [s1, e1] = nextRegistration({ kind: 'idle' }, { type: 'start' }, 0, b);
    expect(s1).toEqual({ kind: 'registering', failures: 0 });
    expect(e1.map((e) => e.type)).toEqual(['send', 'status']);
    const [s2, e2] = nextRegistration(s1, { type: 'ok', expires: 3600 }, 1_000, b);
    expect(s2).toEqual({ kind: 'registered', until: 3_601_000 });
    // 60 s before expiry for long registrations.
    expect(e2[0]).toEqual({ type: 'timer', atMs: 1_000 + 3_540_000 });
    expect(e2[1]).toMatchObject({ type: 'status', state: 'registered', until: 3_601_000 });
    const [s3, e3] = nextRegistration(s2, { type: 'timer' }, 3_541_000, b);
    expect(s3.kind).toBe('registering');
    expect(e3[0]).toEqual({ type: 'send' });
  });

  it('refreshes at half the time of short registrations, always before expiry', () => {
    expect(refreshAt(0, 60)).toBe(30_000);
    expect(refreshAt(0, 100)).toBe(50_000);
    expect(refreshAt(0, 600)).toBe(540_000);
    for (const e of [10, 60, 61, 119, 120, 121, 3600])
      expect(refreshAt(0, e)).toBeLessThan(e * 1000);
  });

  it('backs off 5, 10, 20, 40, 60, 60 s after failures and starts over after a success', () => {
    let s: RegistrationState = { kind: 'registering', failures: 0 };
    const waits: number[] = [];
    let now = 0;
    for (let i = 0; i < 6; i++) {
      const [f, effects] = nextRegistration(s, { type: 'failed', error: '403 Forbidden' }, now, b);
      const timer = effects.find((e) => e.type === 'timer');
      waits.push((timer?.type === 'timer' ? timer.atMs : NaN) - now);
      expect(effects.find((e) => e.type === 'status')).toMatchObject({
        state: 'failed',
        error: '403 Forbidden',
      });
      now += 100_000;
      [s] = nextRegistration(f, { type: 'timer' }, now, b);
    }
    expect(waits).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000]);
    const [ok] = nextRegistration(s, { type: 'ok', expires: 60 }, now, b);
    const [again] = nextRegistration(ok, { type: 'timer' }, now, b);
    expect(again).toEqual({ kind: 'registering', failures: 0 });
    expect(backOffMs(1, b)).toBe(5_000);
  });

  it('ignores late answers and timers that do not apply', () => {
    const idle: RegistrationState = { kind: 'idle' };
    expect(nextRegistration(idle, { type: 'ok', expires: 60 }, 0, b)).toEqual([idle, []]);
    expect(nextRegistration(idle, { type: 'timer' }, 0, b)).toEqual([idle, []]);
    const reg: RegistrationState = { kind: 'registered', until: 9 };
    expect(nextRegistration(reg, { type: 'failed', error: 'x' }, 0, b)).toEqual([reg, []]);
  });
});
