import type { Rate, TrunkRoute } from '@pbx/store';
import { offerCodecs } from '../../src/trunks/codecs';
import { chooseRoutes } from '../../src/trunks/lcr';
import {
  affordableSeconds,
  billedSeconds,
  chargeFor,
  firstIncrementPrice,
  rateFor,
} from '../../src/trunks/rating';

const route = (
  prefix: string,
  trunk: string,
  priority: number,
  strip = 0,
  addPrefix = '',
): TrunkRoute => ({
  prefix,
  trunk,
  priority,
  strip,
  addPrefix,
});

describe('chooseRoutes (LCR)', () => {
  const routes = [
    route('', 'any', 0),
    route('04', 'mobile-b', 2),
    route('04', 'mobile-a', 1, 1, '+61'),
    route('0', 'national', 0),
  ];
  const trunks = ['any', 'mobile-a', 'mobile-b', 'national'];

  it('tries the longest prefix first by priority, then shorter prefixes, each trunk once', () => {
    expect(chooseRoutes('0412345678', routes, trunks)).toEqual([
      { trunk: 'mobile-a', number: '+61412345678' },
      { trunk: 'mobile-b', number: '0412345678' },
      { trunk: 'national', number: '0412345678' },
      { trunk: 'any', number: '0412345678' },
    ]);
    expect(chooseRoutes('0398722900', routes, trunks).map((c) => c.trunk)).toEqual([
      'national',
      'any',
    ]);
    expect(chooseRoutes('1800', routes, trunks).map((c) => c.trunk)).toEqual(['any']);
  });

  it('uses every trunk in name order without an LCR table, and skips unknown trunks', () => {
    expect(chooseRoutes('123', [], ['b', 'a'])).toEqual([
      { trunk: 'a', number: '123' },
      { trunk: 'b', number: '123' },
    ]);
    expect(chooseRoutes('0412', [route('04', 'gone', 0)], ['a'])).toEqual([]);
  });
});

describe('rating', () => {
  const rates: Rate[] = [
    { prefix: '0', perMinute: 100_000, minSeconds: 0, incrementSeconds: 60, setupFee: 0 },
    { prefix: '04', perMinute: 300_000, minSeconds: 30, incrementSeconds: 6, setupFee: 20_000 },
  ];
  const mobile = rates[1]!;

  it('takes the longest prefix', () => {
    expect(rateFor('0412', rates)?.prefix).toBe('04');
    expect(rateFor('0398', rates)?.prefix).toBe('0');
    expect(rateFor('1800', rates)).toBeUndefined();
  });

  it('bills the minimum, then whole increments, plus the setup fee', () => {
    expect(billedSeconds(1, mobile)).toBe(30);
    expect(billedSeconds(31, mobile)).toBe(36);
    expect(chargeFor(31_000, mobile)).toBe(20_000 + (300_000 * 36) / 60);
    expect(chargeFor(61_000, rates[0]!)).toBe(200_000);
    expect(firstIncrementPrice(mobile)).toBe(20_000 + 150_000);
  });

  it('says how long a balance lasts: the end of the last increment it pays in full', () => {
    expect(affordableSeconds(169_999, mobile)).toBe(0);
    expect(affordableSeconds(170_000, mobile)).toBe(30);
    // 30 s + one increment of 6 s costs 20 000 + 180 000.
    expect(affordableSeconds(200_000, mobile)).toBe(36);
    expect(affordableSeconds(229_999, mobile)).toBe(36);
    expect(affordableSeconds(230_000, mobile)).toBe(42);
    const flat: Rate = {
      prefix: '',
      perMinute: 0,
      minSeconds: 0,
      incrementSeconds: 1,
      setupFee: 0,
    };
    expect(affordableSeconds(0, flat)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('offerCodecs', () => {
  const offer =
    'v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
    'm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n' +
    'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n';

  it("keeps the trunk's codecs in its order, with telephone-event", () => {
    const out = offerCodecs(offer, ['PCMA']);
    expect(out).toContain('m=audio 4000 RTP/AVP 8 101\r\n');
    expect(out).not.toContain('a=rtpmap:0 ');
    expect(out).toContain('a=fmtp:101 0-15');
    expect(offerCodecs(offer, ['PCMA', 'PCMU'])).toContain('m=audio 4000 RTP/AVP 8 0 101');
  });

  it('returns undefined when no codec is left', () => {
    expect(offerCodecs(offer, ['G722'])).toBeUndefined();
  });
});
