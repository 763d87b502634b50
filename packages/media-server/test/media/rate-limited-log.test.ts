import { DropCounter } from '../../src/media/rate-limited-log';
import { silentLogger } from '../../src/logger';
import type { Logger } from '../../src/logger';

describe('DropCounter', () => {
  it('logs at most one line per reason per interval, with the count since the last line', () => {
    const lines: unknown[] = [];
    const log: Logger = { ...silentLogger, warn: (obj: object | string) => void lines.push(obj) };
    const clock = { t: 0 };
    const drops = new DropCounter(log, 5000, () => clock.t);
    for (let i = 0; i < 1000; i++) drops.drop('bad rtp');
    drops.drop('unexpected source', { from: '10.0.0.9:4000' });
    expect(lines).toEqual([
      { reason: 'bad rtp', dropped: 1, total: 1 },
      { from: '10.0.0.9:4000', reason: 'unexpected source', dropped: 1, total: 1 },
    ]);
    clock.t = 5000;
    drops.drop('bad rtp');
    expect(lines[2]).toEqual({ reason: 'bad rtp', dropped: 1000, total: 1001 });
    expect(drops.totals()).toEqual({ 'bad rtp': 1001, 'unexpected source': 1 });
  });
});
