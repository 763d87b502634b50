import { callerStatus } from '../../src/engine/call-setup';
import { dispositionOf } from '../../src/engine/cdr-writer';
import { diversionHeaders, lastDiversion } from '../../src/features/station-call';

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
      Diversion:
        '<sip:203@pbx.local>;reason=no-answer;counter=1, <sip:202@pbx.local>;reason=unconditional;counter=1',
    });
    expect(diversionHeaders([], 'pbx.local')).toEqual({});
    expect(lastDiversion(hops)).toEqual({ forwardedFrom: '203', forwardReason: 'no-answer' });
  });
});
