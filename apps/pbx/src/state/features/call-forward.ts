import type { ForwardSetting } from '../station-state';
import { refuse, type FeatureContext, type FeatureHandler, type FeatureResult } from './types';

type ForwardFeature = 'forward.all' | 'forward.busy' | 'forward.noAnswer' | 'forward.busyNoAnswer';

const TYPE_OF: Record<ForwardFeature, ForwardSetting['type']> = {
  'forward.all': 'all',
  'forward.busy': 'busy',
  'forward.noAnswer': 'noAnswer',
  'forward.busyNoAnswer': 'busyNoAnswer',
};

/**
 * Sets the caller's forward (601-604 + station, or + trunk access code + outside number: the call
 * then leaves on a trunk with the trunk's rules, or + the voice-mail access code: the caller's own
 * mailbox). It replaces any forward already set. A missing or unknown target, the caller's own
 * number, or voice mail for a station whose mailbox is off changes nothing. A target that forwards
 * back is accepted: routing ignores a forward that would loop.
 *
 * A forward to voice mail is stored as a forward to the station's own number (routing reads it
 * so: `isVoicemailForward`), so it survives a change of the access code.
 */
async function setForward(
  feature: ForwardFeature,
  ctx: FeatureContext,
  arg: string | undefined,
): Promise<FeatureResult> {
  const station = ctx.caller.station;
  if (arg === undefined || arg === '')
    return refuse('missing-argument', `${feature} needs a destination`);
  if (arg === station) return refuse('forward-to-self', `${station} cannot forward to itself`);
  if (ctx.voicemailCode !== undefined && arg === ctx.voicemailCode) {
    if (!ctx.hasMailbox?.(station))
      return refuse('mailbox-off', `${station} has no mailbox on: cannot forward to voice mail`);
    const forward: ForwardSetting = { type: TYPE_OF[feature], target: station };
    await ctx.stations.dispatch(station, { type: 'forwardSet', forward });
    return { reply: 480, effect: 'forward-set', station, forward };
  }
  if (!(await ctx.stations.get(arg)) && !ctx.isOutside?.(arg))
    return refuse('unknown-station', `${arg} is not a station nor an outside number`);
  const forward: ForwardSetting = { type: TYPE_OF[feature], target: arg };
  await ctx.stations.dispatch(station, { type: 'forwardSet', forward });
  return { reply: 480, effect: 'forward-set', station, forward };
}

function forwardHandler<F extends ForwardFeature>(feature: F): FeatureHandler<F> {
  return { feature, needs: 'none', run: (ctx, arg) => setForward(feature, ctx, arg) };
}

export const forwardAll = forwardHandler('forward.all');
export const forwardBusy = forwardHandler('forward.busy');
export const forwardNoAnswer = forwardHandler('forward.noAnswer');
export const forwardBusyNoAnswer = forwardHandler('forward.busyNoAnswer');

/** 600: clears the forward set with 601-604. Call forward unreachable is the administrator's and stays. */
export const forwardClear: FeatureHandler<'forward.clear'> = {
  feature: 'forward.clear',
  needs: 'none',
  async run(ctx) {
    const station = ctx.caller.station;
    await ctx.stations.dispatch(station, { type: 'forwardSet', forward: null });
    return { reply: 480, effect: 'forward-cleared', station };
  },
};
