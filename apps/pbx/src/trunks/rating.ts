/**
 * Rating, pure: the price of a trunk call from the rate table (longest prefix of the number sent
 * to the provider wins), and how long a prepaid balance lasts. Money is integer micro-units.
 *
 * A call of `s` seconds (answered) is billed `max(minimum, s rounded up to the increment)`
 * seconds at the price per minute, plus the setup fee; an unanswered call costs nothing.
 */
import type { Rate } from '@pbx/store';

export function rateFor(number: string, rates: readonly Rate[]): Rate | undefined {
  let best: Rate | undefined;
  for (const r of rates) {
    if (number.startsWith(r.prefix) && (!best || r.prefix.length > best.prefix.length)) best = r;
  }
  return best;
}

/** Seconds billed for a call of `seconds`. */
export function billedSeconds(seconds: number, r: Rate): number {
  const increments = Math.ceil(Math.max(0, seconds) / r.incrementSeconds);
  return Math.max(r.minSeconds, increments * r.incrementSeconds);
}

/** The price of billed seconds (setup fee included), rounded up to a micro-unit. */
export function priceOf(billed: number, r: Rate): number {
  return r.setupFee + Math.ceil((r.perMinute * billed) / 60);
}

/** The charge of an answered call lasting `durationMs`. */
export function chargeFor(durationMs: number, r: Rate): number {
  return priceOf(billedSeconds(Math.ceil(durationMs / 1000), r), r);
}

/** What the first increment costs (with the minimum and the setup fee). */
export function firstIncrementPrice(r: Rate): number {
  return priceOf(billedSeconds(1, r), r);
}

/**
 * How many seconds of talk a balance pays for: the end of the last increment it can pay in
 * full. 0 when it cannot pay the first.
 */
export function affordableSeconds(balance: number, r: Rate): number {
  if (balance < firstIncrementPrice(r)) return 0;
  if (r.perMinute === 0) return Number.POSITIVE_INFINITY;
  // Largest k with priceOf(max(min, k·inc)) ≤ balance.
  const perIncrement = (r.perMinute * r.incrementSeconds) / 60;
  let k = Math.max(1, Math.floor((balance - r.setupFee) / perIncrement));
  while (k > 1 && priceOf(billedSeconds(k * r.incrementSeconds, r), r) > balance) k--;
  while (priceOf(billedSeconds((k + 1) * r.incrementSeconds, r), r) <= balance) k++;
  return Math.max(k * r.incrementSeconds, r.minSeconds);
}
