import { mayWatch, type WatcherFacts } from '../../src/presence/watcher-policy';

const facts: WatcherFacts = {
  isStation: (n) => ['201', '202', '203'].includes(n),
  groups: () => [{ members: ['201', '202'] }, { members: ['203'] }],
};

describe('presence.watchers', () => {
  it.each([
    // policy, watcher, resource, allowed
    ['all', '203', '201', true],
    ['group', '201', '202', true],
    ['group', '202', '201', true],
    ['group', '203', '201', false],
    ['none', '201', '202', false],
  ] as const)('%s: %s watching %s → %p', (policy, watcher, resource, allowed) => {
    expect(mayWatch(policy, watcher, resource, facts)).toBe(allowed);
  });

  it.each(['all', 'group', 'none'] as const)(
    '%s: a station always watches itself, and non-station lamps stay open',
    (policy) => {
      expect(mayWatch(policy, '203', '203', facts)).toBe(true);
      expect(mayWatch(policy, '203', '790', facts)).toBe(true);
      expect(mayWatch(policy, '203', '1201', facts)).toBe(true);
    },
  );
});
