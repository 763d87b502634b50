import {
  parseContact,
  parseContacts,
  parseSipUri,
  parseTopVia,
  splitList,
  userOfNameAddr,
} from '../../src/sip/header-values';

describe('Contact', () => {
  test('a joined header splits outside quotes and brackets', () => {
    expect(splitList('"Doe, John" <sip:a@h;x=1,2>;q=1, <sip:b@h>')).toEqual([
      '"Doe, John" <sip:a@h;x=1,2>;q=1',
      '<sip:b@h>',
    ]);
  });

  test('name-addr with header parameters; expires is read and left out of the others', () => {
    const c = parseContact(
      '"Desk" <sip:201@192.168.1.2:5062;transport=tcp>;expires=120;+sip.instance="<urn:uuid:1>";reg-id=1',
    );
    expect(c).toMatchObject({
      kind: 'address',
      uri: 'sip:201@192.168.1.2:5062;transport=tcp',
      displayName: 'Desk',
    });
    if (c?.kind !== 'address') throw new Error('not an address');
    expect(c.params.get('expires')).toBe('120');
    expect(c.params.get('+sip.instance')).toBe('<urn:uuid:1>');
    expect(c.otherParams).toBe(';+sip.instance="<urn:uuid:1>";reg-id=1');
  });

  test('without brackets every parameter belongs to the header', () => {
    const c = parseContact('sip:201@10.0.0.1:5060;expires=0');
    expect(c).toMatchObject({ kind: 'address', uri: 'sip:201@10.0.0.1:5060' });
    if (c?.kind === 'address') expect(c.params.get('expires')).toBe('0');
  });

  test('star, empty and bad values', () => {
    expect(parseContacts(' * ')).toEqual([{ kind: 'star' }]);
    expect(parseContacts(undefined)).toEqual([]);
    expect(parseContacts('')).toEqual([]);
    expect(parseContacts('<sip:a@h>, <mailto:x@y>')).toBeUndefined();
    expect(parseContact('<sip:a@h')).toBeUndefined();
  });
});

describe('URIs and Via', () => {
  test('parseSipUri reads user, host, port and parameters', () => {
    expect(parseSipUri('sips:%32%30%31@[2001:db8::1]:5061;transport=tls')).toMatchObject({
      scheme: 'sips',
      user: '201',
      host: '2001:db8::1',
      port: 5061,
    });
    expect(parseSipUri('sip:Example.COM')).toMatchObject({
      user: '',
      host: 'example.com',
      port: undefined,
    });
    expect(parseSipUri('sip:201:pw@h')?.user).toBe('201');
    // Parameters, read on demand: lower-case names, values unescaped, flags null.
    const withParams = parseSipUri('sip:201@h;Transport=TCP;LR;maddr=%41');
    expect([...(withParams?.params ?? [])]).toEqual([
      ['transport', 'TCP'],
      ['lr', null],
      ['maddr', 'A'],
    ]);
    expect(withParams?.params).toBe(withParams?.params);
    expect(parseSipUri('sip:a@h:70000')).toBeUndefined();
    expect(parseSipUri('tel:+1234')).toBeUndefined();
  });

  test('userOfNameAddr takes the user of To/From in every form', () => {
    expect(userOfNameAddr('"x" <sip:201@pbx.local>;tag=1')).toBe('201');
    expect(userOfNameAddr('sip:202@pbx.local;tag=1')).toBe('202');
    expect(userOfNameAddr('<sip:pbx.local>')).toBeUndefined();
    expect(userOfNameAddr(undefined)).toBeUndefined();
  });

  test('parseTopVia reads the first sent-by of a joined header', () => {
    expect(
      parseTopVia(
        'SIP/2.0/UDP 192.168.1.50:5062;branch=z9hG4bK1;rport=40000;received=1.2.3.4, SIP/2.0/TCP p:5060',
      ),
    ).toMatchObject({
      transport: 'UDP',
      host: '192.168.1.50',
      port: 5062,
    });
    expect(parseTopVia('SIP / 2.0 / tcp [::1];branch=z')).toMatchObject({
      transport: 'TCP',
      host: '::1',
      port: undefined,
    });
    expect(parseTopVia('garbage')).toBeUndefined();
    expect(parseTopVia(undefined)).toBeUndefined();
  });
});
