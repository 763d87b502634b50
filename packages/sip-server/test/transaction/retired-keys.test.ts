import type { SipResponse } from '../../src/message/types';
import { systemClock } from '../../src/transaction/clock';
import type { LateResponse } from '../../src/transaction/client-transaction';
import { RetiredKeys } from '../../src/transaction/retired-keys';
import { udpInfo } from './fake-transport';

const res = {
  kind: 'response',
  status: 200,
  reason: 'OK',
  headers: [],
  body: Buffer.alloc(0),
} as SipResponse;

describe('RetiredKeys', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  test('a key answers until its time is up, exactly, whenever the sweep comes', () => {
    const r = new RetiredKeys<LateResponse>(systemClock);
    const late = jest.fn<void, Parameters<LateResponse>>();
    r.add('k', 5000, late, 0);
    r.get('k', 4999)?.(res, udpInfo);
    expect(late).toHaveBeenCalledTimes(1);
    expect(r.get('k', 5000)).toBeUndefined();
    expect(r.count(4999)).toBe(1);
    expect(r.count(5000)).toBe(0);
    r.clear();
    expect(jest.getTimerCount()).toBe(0);
  });

  test('the sweep alone frees expired entries and their queue, then stops', () => {
    const r = new RetiredKeys<LateResponse>(systemClock);
    for (let i = 0; i < 3000; i++) r.add(`m${i}`, 32_000, () => undefined, Date.now());
    for (let i = 0; i < 3000; i++) r.add(`k${i}`, 5000, () => undefined, Date.now());
    expect(r.held).toBe(6000);
    jest.advanceTimersByTime(6000);
    expect(r.held).toBe(3000);
    expect(r.queued).toBe(3000);
    jest.advanceTimersByTime(27_000);
    expect(r.held).toBe(0);
    expect(r.queued).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('entries retired over time expire in order, the queue kept short', () => {
    const r = new RetiredKeys<LateResponse>(systemClock);
    for (let t = 0; t < 20_000; t++) {
      r.add(`k${t}`, 100, () => undefined, t);
      if (t % 50 === 0) r.count(t);
    }
    expect(r.count(20_000)).toBe(99);
    expect(r.queued).toBeLessThan(1200);
    r.clear();
  });

  test('times that vary within one lane keep one queue; an entry due before the head is freed with it', () => {
    const r = new RetiredKeys<LateResponse>(systemClock);
    // Timer L after ACKs that came 0–999 ms after their 2xx: 32,000 ms minus the delay.
    for (let i = 0; i < 1000; i++)
      r.add(`l${i}`, 32_000 - ((i * 7) % 1000), () => undefined, i, 32_000);
    expect(r.queued).toBe(1000);
    // l857 waited 999 ms for its ACK: due at 857 + 31,001 = 31,858, behind l0 (due at 32,000).
    expect(r.get('l857', 31_857)).toBeDefined();
    expect(r.get('l857', 31_858)).toBeUndefined();
    expect(r.get('l0', 31_858)).toBeDefined();
    // It is freed once the entries before it are: the count may include it until then.
    expect(r.count(31_858)).toBe(1000);
    expect(r.count(32_000)).toBeLessThan(1000);
    expect(r.count(33_000)).toBe(0);
    expect(r.queued).toBe(0);
    r.clear();
  });

  test('a key retired again keeps its later expiry when the earlier record comes due', () => {
    const r = new RetiredKeys<LateResponse>(systemClock);
    const first = jest.fn();
    const second = jest.fn();
    r.add('k', 100, first, 0);
    r.add('k', 100, second, 50);
    expect(r.count(120)).toBe(1);
    r.get('k', 120)?.(res, udpInfo);
    expect(second).toHaveBeenCalledTimes(1);
    expect(first).not.toHaveBeenCalled();
    expect(r.count(150)).toBe(0);
    r.clear();
  });
});
