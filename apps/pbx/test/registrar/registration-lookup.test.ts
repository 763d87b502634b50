import type { Registration } from '@pbx/store';
import { inviteTarget, matchesRegistration } from '../../src/registrar/registration-lookup';

const reg = (over: Partial<Registration> = {}): Registration => ({
  id: 1,
  tel: '201',
  contact: 'sip:201@10.0.0.5:5062',
  sourceIp: '203.0.113.7',
  sourcePort: 40000,
  protocol: 'udp',
  userAgent: '',
  expiresAt: 0,
  callId: 'x',
  cseq: 1,
  extra: {},
  registeredAt: 0,
  updatedAt: 0,
  ...over,
});

describe('matchesRegistration (the manual source check)', () => {
  test('NAT check ip: the IP must match, any port', () => {
    expect(matchesRegistration([reg()], { address: '203.0.113.7', port: 1 }, 'ip')).toBe(true);
    expect(matchesRegistration([reg()], { address: '::ffff:203.0.113.7', port: 1 }, 'ip')).toBe(
      true,
    );
    expect(matchesRegistration([reg()], { address: '203.0.113.8', port: 40000 }, 'ip')).toBe(false);
  });

  test('NAT check ip-port: the port must match too', () => {
    expect(matchesRegistration([reg()], { address: '203.0.113.7', port: 40000 }, 'ip-port')).toBe(
      true,
    );
    expect(matchesRegistration([reg()], { address: '203.0.113.7', port: 40001 }, 'ip-port')).toBe(
      false,
    );
  });

  test('no registration, no match', () => {
    expect(matchesRegistration(undefined, { address: '127.0.0.1', port: 5060 }, 'ip')).toBe(false);
    expect(matchesRegistration([], { address: '127.0.0.1', port: 5060 }, 'ip')).toBe(false);
  });
});

describe('inviteTarget', () => {
  test('NAT check ip: straight to the Contact', () => {
    expect(inviteTarget(reg(), 'ip')).toEqual({ uri: 'sip:201@10.0.0.5:5062' });
  });

  test('NAT check ip-port behind NAT: the source address is the next hop', () => {
    expect(inviteTarget(reg(), 'ip-port')).toEqual({
      uri: 'sip:201@10.0.0.5:5062',
      nextHop: 'sip:203.0.113.7:40000',
    });
    expect(inviteTarget(reg({ protocol: 'tcp' }), 'ip-port').nextHop).toBe(
      'sip:203.0.113.7:40000;transport=tcp',
    );
  });
});
