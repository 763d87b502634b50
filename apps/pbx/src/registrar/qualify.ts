/**
 * Sends OPTIONS to the registered contacts of a station, addressed the way every later request
 * to it is (NAT Check, {@link contactTarget}). Used by tests to see where the PBX reaches a phone,
 * and usable as a reachability check ("qualify").
 */
import type { AppContext } from '../context';
import { contactTarget, type ContactTarget } from './nat';
import { routingOf } from './srf-shapes';

export interface QualifyResult {
  contact: string;
  target: ContactTarget;
  /** Final status, or 'timeout' when none came within the time limit. */
  status: number | 'timeout';
}

export const DEFAULT_QUALIFY_TIMEOUT_MS = 5_000;

/** OPTIONS to every live contact of station `tel`; [] when it has none or does not exist. */
export async function qualifyStation(
  ctx: Pick<AppContext, 'store' | 'srf' | 'config' | 'now'>,
  tel: string,
  opts: { timeoutMs?: number } = {},
): Promise<QualifyResult[]> {
  const station = await ctx.store.stations.get(tel);
  if (!station) return [];
  const regs = await ctx.store.registrations.listByTel(tel, { activeAt: ctx.now() });
  return Promise.all(
    regs.map(async (r) => {
      const target = contactTarget(r, station);
      const status = await sendOptions(ctx, target, opts.timeoutMs ?? DEFAULT_QUALIFY_TIMEOUT_MS);
      return { contact: r.contact, target, status };
    }),
  );
}

/** One OPTIONS to `target`; resolves with the final status or 'timeout'. */
export async function sendOptions(
  ctx: Pick<AppContext, 'srf' | 'config'>,
  target: ContactTarget,
  timeoutMs: number,
): Promise<number | 'timeout'> {
  const sent = await routingOf(ctx.srf).request(target.requestUri, {
    method: 'OPTIONS',
    headers: { From: `<sip:pbx@${ctx.config.sip.domain}>`, To: `<${target.requestUri}>` },
    ...(target.routeUrl === undefined ? {} : { proxy: target.routeUrl }),
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
    sent.on('response', (res) => {
      if (res.status < 200) return;
      clearTimeout(timer);
      resolve(res.status);
    });
  });
}
