import { refuse, type FeatureHandler } from './types';

/** 40 + 1 turns DND on, 40 + 0 off. Setting it to what it already is still answers 480. */
export const dnd: FeatureHandler<'dnd'> = {
  feature: 'dnd',
  needs: 'none',
  async run(ctx, arg) {
    if (arg !== '1' && arg !== '0')
      return refuse(
        arg === undefined ? 'missing-argument' : 'bad-argument',
        `dnd takes 1 or 0, got ${arg ?? 'nothing'}`,
      );
    const on = arg === '1';
    await ctx.stations.dispatch(ctx.caller.station, { type: 'dndSet', on });
    return { reply: 480, effect: 'dnd-set', station: ctx.caller.station, on };
  },
};
