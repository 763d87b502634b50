import { loadConfig } from '@pbx/config';
import { STATION_DEFAULTS, type Station } from '@pbx/store';
import { settingsOf } from '../../src/routing/station-directory';
import { callerStatus } from '../../src/features/basic-call';
import { dispositionOf } from '../../src/features/cdr-writer';
import { diversionHeaders, lastDiversion } from '../../src/features/call-forward';

const station = (over: Partial<Station> = {}): Station => ({ ...STATION_DEFAULTS, tel: '201', userId: '201', createdAt: 0, updatedAt: 0, ...over });
const config = loadConfig({ env: {} });

describe('settingsOf (station row → routing settings)', () => {
  test('defaults: no forward, system no-answer time, pickup group 1', () => {
    expect(settingsOf(station(), config)).toEqual({ dnd: false, forward: null, unreachableTarget: null, noAnswerMs: 15_000, pickupGroup: '1' });
  });

  test('one forward at a time, all first; the station timer wins; group 0 is none', () => {
    const s = settingsOf(station({ forwardAll: '202', forwardBusy: '203', forwardNoAnswerTimer: 7.5, pickupGroup: 0, dnd: true, forwardUnreachable: '204' }), config);
    expect(s).toEqual({ dnd: true, forward: { type: 'all', target: '202' }, unreachableTarget: '204', noAnswerMs: 7_500, pickupGroup: null });
    expect(settingsOf(station({ forwardNoAnswer: '205' }), config).forward).toEqual({ type: 'noAnswer', target: '205' });
    expect(settingsOf(station({ forwardBusyNoAnswer: '206' }), config).forward).toEqual({ type: 'busyNoAnswer', target: '206' });
  });
});

describe('statuses and records', () => {
  test.each([
    [486, 486],
    [600, 486],
    [603, 603],
    [408, 480],
    [487, 480],
    [404, 404],
    [500, 500],
    [302, 500],
  ])('a callee answering %i gives the caller %i', (from, to) => {
    expect(callerStatus(from)).toBe(to);
  });

  test.each([
    [200, 'answered'],
    [486, 'busy'],
    [487, 'cancelled'],
    [408, 'no-answer'],
    [480, 'rejected'],
    [404, 'rejected'],
    [503, 'failed'],
  ] as const)('status %i is recorded as %s', (status, disposition) => {
    expect(dispositionOf(status)).toBe(disposition);
  });

  test('Diversion header: newest first, one value per hop; the record names the newest', () => {
    const hops = [
      { from: '203', reason: 'no-answer', counter: 1 },
      { from: '202', reason: 'unconditional', counter: 1 },
    ] as const;
    expect(diversionHeaders(hops, 'pbx.local')).toEqual({
      Diversion: '<sip:203@pbx.local>;reason=no-answer;counter=1, <sip:202@pbx.local>;reason=unconditional;counter=1',
    });
    expect(diversionHeaders([], 'pbx.local')).toEqual({});
    expect(lastDiversion(hops)).toEqual({ forwardedFrom: '203', forwardReason: 'no-answer' });
  });
});
