import { newMsgId, safeToken, stackTime, uniqueId } from '../../src/wire/leader';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uniqueId (msgIds and txnIds on the control link)', () => {
  it('has the UUID v4 text form drachtio uses and never repeats', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20000; i++) {
      const id = i % 2 === 0 ? uniqueId() : newMsgId();
      expect(UUID_V4.test(id)).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBe(20000);
  });
});

describe('safeToken', () => {
  it('replaces the characters that would break a leader and leaves others as they are', () => {
    expect(safeToken('a|b\r\nc')).toBe('a b  c');
    const clean = 'Msg sent:';
    expect(safeToken(clean)).toBe(clean);
    expect(safeToken('')).toBe('');
  });
});

describe('stackTime', () => {
  it('is HH:MM:SS.uuuuuu', () => {
    expect(stackTime()).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(stackTime(new Date(Date.UTC(2026, 0, 1, 13, 4, 5, 7)))).toMatch(/^13:04:05\.007\d{3}$/);
  });
});
