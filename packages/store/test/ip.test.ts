import {
  AddressMatcher,
  formatIp,
  InvalidAddressError,
  normalizeIp,
  parseCidr,
  parseIp,
  parseWhitelistEntry,
} from '../src';

describe('IP parsing', () => {
  it.each([
    ['192.168.1.2', '192.168.1.2'],
    ['0.0.0.0', '0.0.0.0'],
    ['::1', '::1'],
    ['2001:DB8:0:0:0:0:0:5', '2001:db8::5'],
    ['2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[2001:db8::7]', '2001:db8::7'],
    ['::ffff:127.0.0.5', '127.0.0.5'],
    ['0:0:0:0:0:ffff:10.0.0.1', '10.0.0.1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::', '::'],
  ])('normalises %s to %s', (input, out) => {
    expect(normalizeIp(input)).toBe(out);
  });

  it.each([
    '256.1.1.1',
    '1.2.3',
    '01.2.3.4',
    '1.2.3.4.5',
    'abc',
    '',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    'g::1',
    '::1.2.3',
  ])('rejects %s', (input) => {
    expect(parseIp(input)).toBeUndefined();
  });

  it('formats a parsed v6 address back', () => {
    expect(formatIp(parseIp('2001:db8:0:1::')!)).toBe('2001:db8:0:1::');
  });

  it('parses CIDR blocks and clears host bits', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, network: 10n << 24n, prefix: 8 });
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0/x')).toBeUndefined();
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual({ family: 4, network: 10n << 24n, prefix: 8 });
  });
});

describe('parseWhitelistEntry', () => {
  it.each([
    ['192.168.1.255', '192.168.1.0/24', 'broadcast'],
    ['172.16.255.255', '172.16.0.0/16', 'broadcast'],
    ['10.255.255.255', '10.0.0.0/8', 'broadcast'],
    ['192.168.1.20', '192.168.1.20/32', 'address'],
    ['192.168.1.255/32', '192.168.1.255/32', 'cidr'],
    ['192.168.1.77/24', '192.168.1.0/24', 'cidr'],
    ['0.0.0.0/0', '0.0.0.0/0', 'cidr'],
    [' 2001:db8::5 ', '2001:db8::5/128', 'address'],
    ['2001:db8::/32', '2001:db8::/32', 'cidr'],
  ])('%s → %s (%s)', (input, cidr, form) => {
    expect(parseWhitelistEntry(input)).toEqual({ cidr, form });
  });

  it.each([
    ['255.255.255.255', /would allow every address/],
    ['192.168.1', /not an IP address, a CIDR block or a broadcast address/],
    ['192.168.1.0/40', /not a valid CIDR block/],
    ['host.example', /not an IP address/],
  ])('refuses %s', (input, message) => {
    expect(() => parseWhitelistEntry(input)).toThrow(InvalidAddressError);
    expect(() => parseWhitelistEntry(input)).toThrow(message);
  });
});

describe('AddressMatcher', () => {
  it('matches addresses of both families against the blocks', () => {
    const m = new AddressMatcher(['192.168.1.0/24', '2001:db8::/32', 'junk']);
    expect(m.size).toBe(2);
    expect(m.has('192.168.1.1')).toBe(true);
    expect(m.has('192.168.2.1')).toBe(false);
    expect(m.has('2001:db8:1::9')).toBe(true);
    expect(m.has('2001:db9::1')).toBe(false);
    expect(m.has('::ffff:192.168.1.9')).toBe(true);
  });
});
