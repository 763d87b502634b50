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
