import { Publications, readPidf } from '../../src/presence/publications';

const PIDF = (note: string, basic = 'open') =>
  `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:201@pbx"><tuple id="a"><status><basic>${basic}</basic></status><note xml:lang="en">${note}</note></tuple></presence>`;

describe('publications (RFC 3903)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('reads the note and basic status of a PIDF; refuses what is not one', () => {
    expect(readPidf(PIDF('Out &amp; about', 'closed'))).toEqual({
      basic: 'closed',
      note: 'Out & about',
    });
    expect(readPidf('hello')).toBeUndefined();
  });

  test('initial, refresh with the ETag, wrong ETag 412, removal and expiry', () => {
    const changed: string[] = [];
    const p = new Publications((tel) => changed.push(tel));
    expect(p.publish('201', undefined, undefined, 600)).toMatchObject({ status: 400 });
    const first = p.publish('201', undefined, PIDF('Meeting'), 600);
    if (first.status !== 200) throw new Error('not published');
    expect(p.get('201')).toMatchObject({ note: 'Meeting' });
    expect(p.publish('201', 'nope', undefined, 600)).toMatchObject({ status: 412 });
    const refreshed = p.publish('201', first.etag, undefined, 60);
    if (refreshed.status !== 200) throw new Error('not refreshed');
    expect(refreshed.etag).not.toBe(first.etag);
    expect(p.get('201')).toMatchObject({ note: 'Meeting' });
    jest.advanceTimersByTime(60_000);
    expect(p.get('201')).toBeUndefined();
    const again = p.publish('201', undefined, PIDF('Back'), 600);
    if (again.status !== 200) throw new Error('not published');
    expect(p.publish('201', again.etag, undefined, 0)).toMatchObject({ status: 200 });
    expect(p.get('201')).toBeUndefined();
    expect(changed).toEqual(['201', '201', '201', '201']);
    p.stop();
  });
});
