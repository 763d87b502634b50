import { callRef, legId } from '../../../src/state/ids';
import { StationStateMap } from '../../../src/state/features';
import type { StationEffect, StationLeg } from '../../../src/state/station-state';

const leg: StationLeg = {
  legId: legId('leg-1'),
  callRef: callRef('call-1'),
  direction: 'inbound',
  state: 'trying',
  since: 1,
  peer: { number: '201' },
  dialog: { callId: 'c1' },
};

describe('StationStateMap', () => {
  it('keeps the effects for a test to read when nobody takes them', () => {
    const map = new StationStateMap();
    map.add('202');
    map.apply('202', { type: 'legAdded', leg });
    expect(map.effects).toEqual([
      { station: '202', effect: { type: 'presenceChanged', presence: 'early' } },
    ]);
  });

  it('hands the effects to onEffect without keeping them (a call must not grow a log)', () => {
    const told: Array<[string, StationEffect]> = [];
    const map = new StationStateMap((station, effect) => told.push([station, effect]));
    map.add('202');
    for (let i = 0; i < 3; i++) {
      map.apply('202', { type: 'legAdded', leg });
      map.apply('202', { type: 'legRemoved', legId: leg.legId });
    }
    expect(told).toHaveLength(6);
    expect(told[0]).toEqual(['202', { type: 'presenceChanged', presence: 'early' }]);
    expect(told[1]).toEqual(['202', { type: 'presenceChanged', presence: 'idle' }]);
    expect(map.effects).toEqual([]);
  });
});
