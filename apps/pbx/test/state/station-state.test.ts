import { InvalidStateError } from '../../src/state/errors';
import { callRef, legId } from '../../src/state/ids';
import {
  DEFAULT_STATION_SETTINGS,
  dialogInfo,
  initialStation,
  isBusy,
  isRinging,
  nextStation,
  presence,
  routingView,
  type StationEvent,
  type StationLeg,
  type StationState,
} from '../../src/state/station-state';

function leg(
  id: string,
  direction: StationLeg['direction'],
  state: StationLeg['state'],
  since = 1,
): StationLeg {
  return {
    legId: legId(id),
    callRef: callRef(`call-${id}`),
    direction,
    state,
    since,
    peer: { number: direction === 'inbound' ? '202' : '203', displayName: 'Bob' },
    dialog: { callId: `cid-${id}@127.0.0.1`, localTag: `lt-${id}`, remoteTag: `rt-${id}` },
  };
}

function station(legs: StationLeg[] = [], registered = true): StationState {
  return { ...initialStation('201'), registered, legs };
}

function apply(s: StationState, ...events: StationEvent[]): StationState {
  return events.reduce((acc, e) => nextStation(acc, e)[0], s);
}

describe('derived busy, ringing and presence', () => {
  const cases: Array<[string, StationLeg[], boolean, boolean, string]> = [
    // name, legs, busy, ringing, presence
    ['idle', [], false, false, 'idle'],
    ['call to it, no 1xx yet', [leg('1', 'inbound', 'trying')], true, false, 'early'],
    ['call to it ringing', [leg('1', 'inbound', 'early')], true, true, 'early'],
    ['call to it answered', [leg('1', 'inbound', 'confirmed')], true, false, 'confirmed'],
    ['placing a call', [leg('1', 'outbound', 'trying')], true, false, 'confirmed'],
    ['placing a call that rings', [leg('1', 'outbound', 'early')], true, false, 'confirmed'],
    [
      'in a call and a second one rings',
      [leg('1', 'outbound', 'confirmed'), leg('2', 'inbound', 'early')],
      true,
      true,
      'confirmed',
    ],
  ];
  it.each(cases)('%s', (_name, legs, busy, ringing, p) => {
    const s = station(legs);
    expect(isBusy(s)).toBe(busy);
    expect(isRinging(s)).toBe(ringing);
    expect(presence(s)).toBe(p);
  });
});

describe('nextStation', () => {
  it('records registration without effects', () => {
    const [s, fx] = nextStation(station([], false), { type: 'registration', registered: true });
    expect(s.registered).toBe(true);
    expect(fx).toEqual([]);
    expect(nextStation(s, { type: 'registration', registered: true })).toEqual([s, []]);
  });

  it('persists DND and forward changes', () => {
    const [s1, fx1] = nextStation(station(), { type: 'dndSet', on: true });
    expect(s1.settings.dnd).toBe(true);
    expect(fx1).toEqual([
      { type: 'persistSettings', settings: { ...DEFAULT_STATION_SETTINGS, dnd: true } },
    ]);
    const forward = { type: 'busy', target: '205' } as const;
    const [s2, fx2] = nextStation(s1, { type: 'forwardSet', forward });
    expect(s2.settings.forward).toEqual(forward);
    expect(fx2).toEqual([
      { type: 'persistSettings', settings: { ...DEFAULT_STATION_SETTINGS, dnd: true, forward } },
    ]);
  });

  it('reloads settings from the database without persisting them again', () => {
    const settings = { ...DEFAULT_STATION_SETTINGS, unreachableTarget: '209', noAnswerMs: 20_000 };
    expect(nextStation(station(), { type: 'settingsLoaded', settings })).toEqual([
      { ...station(), settings },
      [],
    ]);
  });

  it('notifies the busy lamp through a call’s life: early, confirmed, idle', () => {
    const l = leg('1', 'inbound', 'trying');
    const [s1, fx1] = nextStation(station(), { type: 'legAdded', leg: l });
    expect(fx1).toEqual([{ type: 'presenceChanged', presence: 'early' }]);
    const [s2, fx2] = nextStation(s1, { type: 'legProgress', legId: l.legId, state: 'early' });
    expect(isRinging(s2)).toBe(true);
    expect(fx2).toEqual([{ type: 'presenceChanged', presence: 'early' }]);
    const [s3, fx3] = nextStation(s2, { type: 'legProgress', legId: l.legId, state: 'confirmed' });
    expect(fx3).toEqual([{ type: 'presenceChanged', presence: 'confirmed' }]);
    const [s4, fx4] = nextStation(s3, { type: 'legRemoved', legId: l.legId });
    expect(s4.legs).toEqual([]);
    expect(fx4).toEqual([{ type: 'presenceChanged', presence: 'idle' }]);
  });

  it('fills in the dialog tags when the leg progresses', () => {
    const l = { ...leg('1', 'inbound', 'trying'), dialog: { callId: 'c1' } };
    const dialog = { callId: 'c1', localTag: 'a', remoteTag: 'b' };
    const s = apply(
      station(),
      { type: 'legAdded', leg: l },
      { type: 'legProgress', legId: l.legId, state: 'early', dialog },
    );
    expect(s.legs[0]?.dialog).toEqual(dialog);
  });

  it('ignores late input', () => {
    const l = leg('1', 'inbound', 'confirmed');
    const s = station([l]);
    expect(nextStation(s, { type: 'legProgress', legId: l.legId, state: 'early' })).toEqual([
      s,
      [],
    ]);
    expect(nextStation(s, { type: 'legProgress', legId: l.legId, state: 'confirmed' })).toEqual([
      s,
      [],
    ]);
    expect(
      nextStation(s, { type: 'legProgress', legId: legId('gone'), state: 'confirmed' }),
    ).toEqual([s, []]);
    expect(nextStation(s, { type: 'legRemoved', legId: legId('gone') })).toEqual([s, []]);
  });

  it('throws on a leg added twice', () => {
    const l = leg('1', 'inbound', 'trying');
    expect(() => nextStation(station([l]), { type: 'legAdded', leg: l })).toThrow(
      InvalidStateError,
    );
  });
});

describe('dialogInfo (what a dialog-info NOTIFY lists)', () => {
  it('is empty when idle', () => {
    expect(dialogInfo(station())).toEqual([]);
  });

  it('describes each leg from the station’s side, oldest first', () => {
    const s = station([leg('2', 'inbound', 'early', 20), leg('1', 'outbound', 'confirmed', 10)]);
    expect(dialogInfo(s)).toEqual([
      {
        id: '1',
        callId: 'cid-1@127.0.0.1',
        localTag: 'lt-1',
        remoteTag: 'rt-1',
        direction: 'initiator',
        state: 'confirmed',
        remote: '203',
        remoteDisplayName: 'Bob',
      },
      {
        id: '2',
        callId: 'cid-2@127.0.0.1',
        localTag: 'lt-2',
        remoteTag: 'rt-2',
        direction: 'recipient',
        state: 'early',
        remote: '202',
        remoteDisplayName: 'Bob',
      },
    ]);
  });
});

describe('routingView', () => {
  it('carries what routing needs', () => {
    const s = apply(
      station([leg('1', 'inbound', 'confirmed')]),
      { type: 'dndSet', on: true },
      { type: 'forwardSet', forward: { type: 'all', target: '205' } },
    );
    expect(routingView(s)).toEqual({
      number: '201',
      registered: true,
      dnd: true,
      busy: true,
      forward: { type: 'all', target: '205' },
      unreachableTarget: null,
      noAnswerMs: 15_000,
    });
  });
});
