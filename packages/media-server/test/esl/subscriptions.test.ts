import type { EslEvent } from '../../src/esl/event';
import { applyFilter, noSubscriptions, subscribe, wants } from '../../src/esl/subscriptions';

const ev = (name: string, headers: Array<[string, string]> = [], subclass?: string): EslEvent => ({
  name,
  subclass,
  headers: [['Event-Name', name], ...headers],
});

describe('subscriptions', () => {
  it('treats every token after CUSTOM as a subclass (BACKGROUND_JOB included)', () => {
    const r = subscribe(noSubscriptions, [
      'json',
      'CHANNEL_EXECUTE_COMPLETE',
      'SWITCH_EVENT_PLAYBACK_START',
      'CUSTOM',
      'conference::maintenance',
      'BACKGROUND_JOB',
    ]);
    expect(r.ok).toBe(true);
    expect(r.state.format).toBe('json');
    expect([...r.state.names].sort()).toEqual([
      'CHANNEL_EXECUTE_COMPLETE',
      'CUSTOM',
      'PLAYBACK_START',
    ]);
    expect([...r.state.subclasses].sort()).toEqual(['BACKGROUND_JOB', 'conference::maintenance']);
    expect(wants(r.state, ev('BACKGROUND_JOB'))).toBe(false);
    expect(wants(r.state, ev('CUSTOM', [], 'conference::maintenance'))).toBe(true);
    expect(wants(r.state, ev('CUSTOM', [], 'other::thing'))).toBe(false);
  });
  it('accumulates and rejects a command without a valid keyword', () => {
    const a = subscribe(noSubscriptions, ['plain', 'HEARTBEAT']).state;
    const b = subscribe(a, ['json', 'DTMF']);
    expect([...b.state.names].sort()).toEqual(['DTMF', 'HEARTBEAT']);
    expect(subscribe(b.state, ['json', 'NOT_AN_EVENT']).ok).toBe(false);
  });
  it('filters with OR semantics over headers, case-insensitive values and /regex/', () => {
    let s = subscribe(noSubscriptions, ['json', 'ALL']).state;
    s = applyFilter(s, ['Unique-ID', 'AAA']).state;
    const r = applyFilter(s, ['Conference-Unique-ID', 'c1']);
    expect(r.reply).toBe('+OK filter added. [Conference-Unique-ID]=[c1]');
    s = r.state;
    expect(wants(s, ev('DTMF', [['Unique-ID', 'aaa']]))).toBe(true);
    expect(
      wants(
        s,
        ev(
          'CUSTOM',
          [
            ['Unique-ID', 'zzz'],
            ['Conference-Unique-ID', 'c1'],
          ],
          'conference::maintenance',
        ),
      ),
    ).toBe(true);
    expect(wants(s, ev('DTMF', [['Unique-ID', 'zzz']]))).toBe(false);
    s = applyFilter(s, ['delete', 'all']).state;
    s = applyFilter(s, ['Unique-ID', '/^z+$/']).state;
    expect(wants(s, ev('DTMF', [['Unique-ID', 'zzz']]))).toBe(true);
  });
});
