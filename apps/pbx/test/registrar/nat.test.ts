import { contactTarget, isBehindNat, type PacketSource } from '../../src/registrar/nat';
import { parseContacts, parseTopVia } from '../../src/sip/header-values';

const reg = (
  contact: string,
  sourceIp: string,
  sourcePort: number,
  protocol: PacketSource['protocol'] = 'udp',
) => ({
  contact,
  sourceIp,
  sourcePort,
  protocol,
});

describe('contactTarget', () => {
  test('NAT Check ip: always the Contact (only the IP is compared; the manual sends to the Contact)', () => {
    for (const r of [
      reg('sip:201@10.0.0.5:5062', '10.0.0.5', 40000),
      reg('sip:201@192.168.1.2:5060', '203.0.113.7', 61000),
    ]) {
      expect(contactTarget(r, { natCheck: 'ip' })).toEqual({
        requestUri: r.contact,
        via: 'contact',
      });
    }
  });

  test('NAT Check ip-port: the packet source when IP or port differ, else the Contact', () => {
    expect(
      contactTarget(reg('sip:201@10.0.0.5:5062', '10.0.0.5', 5062), { natCheck: 'ip-port' }),
    ).toEqual({
      requestUri: 'sip:201@10.0.0.5:5062',
      via: 'contact',
    });
    expect(
      contactTarget(reg('sip:201@10.0.0.5', '10.0.0.5', 5060), { natCheck: 'ip-port' }).via,
    ).toBe('contact');
    expect(
      contactTarget(reg('sip:201@10.0.0.5:5062', '10.0.0.5', 40000), { natCheck: 'ip-port' }),
    ).toEqual({
      requestUri: 'sip:201@10.0.0.5:5062',
      routeUrl: 'sip:10.0.0.5:40000',
      via: 'source',
    });
    expect(
      contactTarget(reg('sip:201@192.168.1.2:5060', '203.0.113.7', 5060, 'tcp'), {
        natCheck: 'ip-port',
      }).routeUrl,
    ).toBe('sip:203.0.113.7:5060;transport=tcp');
    expect(
      contactTarget(reg('sip:201@[fd00::2]:5060', '2001:db8::7', 5060), { natCheck: 'ip-port' })
        .routeUrl,
    ).toBe('sip:[2001:db8::7]:5060');
  });
});

describe('isBehindNat', () => {
  const src = (
    ip: string,
    port: number,
    protocol: PacketSource['protocol'] = 'udp',
  ): PacketSource => ({ ip, port, protocol });
  const contacts = (h: string) => parseContacts(h)!;

  test('Via and Contact matching the packet source: not behind NAT', () => {
    expect(
      isBehindNat(
        src('10.0.0.5', 5062),
        parseTopVia('SIP/2.0/UDP 10.0.0.5:5062;branch=z'),
        contacts('<sip:201@10.0.0.5:5062>'),
      ),
    ).toBe(false);
    expect(
      isBehindNat(
        src('10.0.0.5', 5060),
        parseTopVia('SIP/2.0/UDP 10.0.0.5;branch=z'),
        contacts('<sip:201@10.0.0.5>'),
      ),
    ).toBe(false);
  });

  test('Via host or UDP port, or a Contact address, differing from the source: behind NAT', () => {
    expect(
      isBehindNat(
        src('203.0.113.7', 5062),
        parseTopVia('SIP/2.0/UDP 192.168.1.2:5062;branch=z'),
        [],
      ),
    ).toBe(true);
    expect(
      isBehindNat(src('10.0.0.5', 40000), parseTopVia('SIP/2.0/UDP 10.0.0.5:5062;branch=z'), []),
    ).toBe(true);
    expect(
      isBehindNat(src('10.0.0.5', 5062), undefined, contacts('<sip:201@192.168.1.2:5062>')),
    ).toBe(true);
  });

  test('over TCP the ephemeral source port is not NAT; host names are not compared', () => {
    expect(
      isBehindNat(
        src('10.0.0.5', 40000, 'tcp'),
        parseTopVia('SIP/2.0/TCP 10.0.0.5:5060;branch=z'),
        contacts('<sip:201@10.0.0.5:5060;transport=tcp>'),
      ),
    ).toBe(false);
    expect(
      isBehindNat(
        src('10.0.0.5', 5060),
        parseTopVia('SIP/2.0/UDP phone.local;branch=z'),
        contacts('<sip:201@phone.local>'),
      ),
    ).toBe(false);
  });
});
