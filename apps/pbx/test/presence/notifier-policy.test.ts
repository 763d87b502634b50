import { grantExpires, notifyOutcome } from '../../src/presence/notifier';

describe('notifier policy', () => {
  const p = { defaultExpires: 3600, minExpires: 60, maxExpires: 1800 };
  test.each([
    [undefined, 1800],
    [0, 0],
    [30, 'tooBrief'],
    [60, 60],
    [7200, 1800],
  ] as const)('SUBSCRIBE Expires %p is granted %p', (requested, granted) => {
    expect(grantExpires(requested, p)).toBe(granted);
  });
  test.each([
    [200, 'ok'],
    [202, 'ok'],
    [408, 'failed'],
    [500, 'failed'],
    [503, 'failed'],
    [481, 'gone'],
    [489, 'gone'],
  ] as const)('NOTIFY answered %p: %s', (status, outcome) => {
    expect(notifyOutcome(status)).toBe(outcome);
  });
});
