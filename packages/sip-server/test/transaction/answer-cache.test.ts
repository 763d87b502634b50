import { AnswerCache, hashKey } from '../../src/transaction/answer-cache';

const dest = { protocol: 'udp' as const, address: '127.0.0.2', port: 5060 };

describe('AnswerCache', () => {
  test('answers until the TTL passes, with the exact bytes', () => {
    const c = new AnswerCache(10, 1000);
    const bytes = Buffer.from([0x53, 0x49, 0x50, 0xff, 0x00, 0x80]);
    c.add('k1', bytes, dest, 0);
    expect(c.get('k1', 999)?.bytes.equals(bytes)).toBe(true);
    expect(c.get('k1', 999)?.dest).toEqual(dest);
    expect(c.get('k1', 1000)).toBeUndefined();
    c.add('k2', bytes, dest, 1000);
    expect(c.size).toBe(1);
  });

  test('at the limit the oldest entries are evicted first', () => {
    const c = new AnswerCache(3, 1000);
    for (let i = 0; i < 5; i++) c.add(`k${i}`, Buffer.from(`r${i}`), dest, i);
    expect(c.size).toBe(3);
    expect(c.evicted).toBe(2);
    expect(c.get('k0', 10)).toBeUndefined();
    expect(c.get('k1', 10)).toBeUndefined();
    expect(c.get('k4', 10)?.bytes.toString()).toBe('r4');
  });

  test('a key added again keeps its newer answer when the older slot expires', () => {
    const c = new AnswerCache(10, 100);
    c.add('k', Buffer.from('old'), dest, 0);
    c.add('k', Buffer.from('new'), dest, 50);
    c.expire(120);
    expect(c.get('k', 120)?.bytes.toString()).toBe('new');
    c.expire(150);
    expect(c.size).toBe(0);
  });

  test('many entries expire from the front without growing the queue', () => {
    const c = new AnswerCache(100_000, 10);
    for (let i = 0; i < 50_000; i++) c.add(`k${i}`, Buffer.from('x'), dest, i);
    expect(c.size).toBeLessThanOrEqual(11);
  });
});

describe('AnswerCache ring (answers kept off the JS heap)', () => {
  test('wraps around its bytes many times and still answers every recent key exactly', () => {
    // 4 KiB ring: a few dozen answers fit, so 2,000 adds lap it many times (padding at each end).
    const c = new AnswerCache(1_000_000, 1_000_000, undefined, 4096);
    const answer = (i: number) =>
      Buffer.from(`SIP/2.0 200 OK\r\nCSeq: ${i} REGISTER\r\n${'x'.repeat(i % 97)}\r\n\r\n`);
    for (let i = 0; i < 2000; i++) {
      c.add(`z9hG4bK${i}|127.0.0.2:5060|REGISTER`, answer(i), dest, i);
      // The newest is always there, byte for byte, and an evicted one never comes back wrong.
      expect(c.get(`z9hG4bK${i}|127.0.0.2:5060|REGISTER`, i)?.bytes.equals(answer(i))).toBe(true);
      if (i > 100) expect(c.get(`z9hG4bK${i - 100}|127.0.0.2:5060|REGISTER`, i)).toBeUndefined();
    }
    expect(c.size).toBeGreaterThan(5);
    expect(c.size).toBeLessThan(60);
    expect(c.evicted).toBe(2000 - c.size);
  });

  test('the byte bound evicts the oldest first, counted as evicted', () => {
    const c = new AnswerCache(1000, 10_000, undefined, 4096);
    const big = Buffer.alloc(900, 0x41);
    for (let i = 0; i < 8; i++) c.add(`k${i}`, big, dest, i);
    expect(c.size).toBeLessThanOrEqual(4);
    expect(c.get('k0', 10)).toBeUndefined();
    expect(c.get('k7', 10)?.bytes.equals(big)).toBe(true);
    expect(c.evicted).toBe(8 - c.size);
  });

  test('an answer too big for the ring is not kept (and breaks nothing)', () => {
    const c = new AnswerCache(10, 1000, undefined, 4096);
    c.add('small', Buffer.from('a'), dest, 0);
    c.add('huge', Buffer.alloc(2000), dest, 0);
    expect(c.get('huge', 1)).toBeUndefined();
    expect(c.get('small', 1)?.bytes.toString()).toBe('a');
  });

  test('keys that share a hash bucket are told apart by their text', () => {
    // 16 buckets at most (maxEntries 16): 200 keys share them.
    const c = new AnswerCache(16, 1000, undefined, 64 * 1024);
    for (let i = 0; i < 16; i++) c.add(`key-${i}`, Buffer.from(`r${i}`), dest, 0);
    for (let i = 0; i < 16; i++) expect(c.get(`key-${i}`, 1)?.bytes.toString()).toBe(`r${i}`);
    expect(c.get('key-16', 1)).toBeUndefined();
  });

  test('two keys with the same 32-bit hash are told apart by their text', () => {
    // Found by a birthday search over keys `z9hG4bK<n>|127.0.0.2:5060|REGISTER`.
    const pair = [
      'z9hG4bK91698|127.0.0.2:5060|REGISTER',
      'z9hG4bK416556|127.0.0.2:5060|REGISTER',
    ] as const;
    expect(hashKey(pair[0])).toBe(hashKey(pair[1]));
    const c = new AnswerCache(10, 1000);
    c.add(pair[0], Buffer.from('first'), dest, 0);
    expect(c.get(pair[1], 1)).toBeUndefined();
    c.add(pair[1], Buffer.from('second'), dest, 0);
    expect(c.get(pair[0], 1)?.bytes.toString()).toBe('first');
    expect(c.get(pair[1], 1)?.bytes.toString()).toBe('second');
  });

  test('keeps the destination with its connection, and non-ASCII keys and latin1 text exactly', () => {
    const c = new AnswerCache(10, 1000);
    const tcp = {
      protocol: 'tcp' as const,
      address: '127.0.0.3',
      port: 40123,
      connectionId: 'c-17',
    };
    c.add('z9hG4bKé☎|host:5060|OPTIONS', 'SIP/2.0 200 OK\r\nX: \u00ff\u0080\r\n\r\n', tcp, 0);
    const hit = c.get('z9hG4bKé☎|host:5060|OPTIONS', 1);
    expect(hit?.dest).toEqual(tcp);
    expect([...hit!.bytes.subarray(-6)]).toEqual([0xff, 0x80, 13, 10, 13, 10]);
    expect(c.get('z9hG4bKe☎|host:5060|OPTIONS', 1)).toBeUndefined();
  });

  test('the timer frees expired answers without another add, and clear forgets all', () => {
    jest.useFakeTimers();
    try {
      const clock = {
        now: () => Date.now(),
        setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
        clearTimeout: (t: unknown) => clearTimeout(t as NodeJS.Timeout),
      };
      const c = new AnswerCache(100, 500, clock);
      for (let i = 0; i < 10; i++) c.add(`k${i}`, Buffer.from('x'), dest, clock.now());
      expect(c.size).toBe(10);
      // Each record: its 32-byte header, key, destination and answer, 8-byte aligned.
      expect(c.bytes).toBeGreaterThanOrEqual(10 * (32 + 2 + 'udp 5060 127.0.0.2'.length + 1));
      jest.advanceTimersByTime(1600);
      expect(c.size).toBe(0);
      expect(c.bytes).toBe(0);
      c.add('again', Buffer.from('y'), dest, clock.now());
      c.clear();
      expect(c.size).toBe(0);
      expect(c.get('again', clock.now())).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('AnswerCache against a model', () => {
  const run = (maxEntries: number, maxBytes: number, bounded: boolean) => {
    const c = new AnswerCache(maxEntries, 1000, undefined, maxBytes);
    const model = new Map<string, { text: string; until: number }>();
    let s = 12345;
    const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
    let now = 0;
    for (let step = 0; step < 20_000; step++) {
      now += next() % 40;
      const key = `k${next() % 120}`;
      if (next() % 3 === 0) {
        const text = `SIP/2.0 200 OK\r\nX: ${'y'.repeat(next() % 300)}${step}\r\n\r\n`;
        c.add(key, text, dest, now);
        model.set(key, { text, until: now + 1000 });
        continue;
      }
      const got = c.get(key, now)?.bytes.toString('latin1');
      const want = model.get(key);
      const live = want !== undefined && want.until > now;
      if (got !== undefined) {
        // Whatever the ring answers is the newest answer for that key, not yet expired.
        expect(live).toBe(true);
        expect(got).toBe(want!.text);
      } else if (live) {
        // A live answer may be missing only when a bound pushed it out.
        expect(bounded).toBe(true);
        expect(c.evicted).toBeGreaterThan(0);
      }
      expect(c.size).toBeLessThanOrEqual(maxEntries);
      expect(c.bytes).toBeLessThanOrEqual(maxBytes);
    }
    return c;
  };

  test('with room to spare it answers exactly as a map with expiry would', () => {
    expect(run(10_000, 1 << 20, false).evicted).toBe(0);
  });

  test('under tight bounds (the ring lapping many times) it never answers wrongly', () => {
    expect(run(5, 4096, true).evicted).toBeGreaterThan(1000);
  });

  test('with only the byte bound binding it never answers wrongly either', () => {
    expect(run(10_000, 4096, true).evicted).toBeGreaterThan(100);
  });
});
