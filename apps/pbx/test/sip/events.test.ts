import { badEventResponse } from '../../src/sip/events';

describe('badEventResponse', () => {
  test('489 Bad Event, with Allow-Events only when some package is served', () => {
    expect(badEventResponse([])).toEqual({ status: 489, reason: 'Bad Event', headers: {} });
    expect(badEventResponse(['presence', 'message-summary'])).toEqual({
      status: 489,
      reason: 'Bad Event',
      headers: { 'Allow-Events': 'presence, message-summary' },
    });
  });
});
