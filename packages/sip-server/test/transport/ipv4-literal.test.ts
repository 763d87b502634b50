import net from 'node:net';
import { isIPv4Literal } from '../../src/transport/listeners';

describe('isIPv4Literal', () => {
  it('agrees with net.isIPv4', () => {
    const cases = [
      '127.0.0.1',
      '0.0.0.0',
      '255.255.255.255',
      '256.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      '01.2.3.4',
      '1.2.3.04',
      '1..3.4',
      '.1.2.3',
      '1.2.3.',
      '1.2.3.4 ',
      'a.b.c.d',
      'localhost',
      '::1',
      '::ffff:1.2.3.4',
      '',
      '1000.1.1.1',
      '10.0.0.255',
      '192.168.100.200',
    ];
    for (const c of cases) expect([c, isIPv4Literal(c)]).toEqual([c, net.isIPv4(c)]);
  });
});
