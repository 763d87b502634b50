import { groupDelivery, quotedName, writerLabel } from '../../src/messages/group-message';

describe('group message delivery', () => {
  const group = { number: '700', name: 'Sales' };
  const m = {
    fromTel: '201',
    recipient: '202',
    contentType: 'text/plain',
    body: 'Hello team',
    createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  };

  it('comes from the group address, names the writer in a text body, keeps the date', () => {
    expect(
      groupDelivery(m, group, { domain: 'pbx.local', writer: writerLabel('201', 'Alice') }),
    ).toEqual({
      from: '"Sales" <sip:700@pbx.local>',
      to: '<sip:202@pbx.local>',
      contentType: 'text/plain',
      body: 'Alice (201): Hello team',
      date: new Date(m.createdAt),
    });
  });

  it('leaves other bodies unchanged and matches text/plain with parameters', () => {
    const xml = { ...m, contentType: 'application/im-iscomposing+xml', body: '<x/>' };
    expect(groupDelivery(xml, group, { domain: 'd', writer: '201' }).body).toBe('<x/>');
    const utf8 = { ...m, contentType: 'text/plain;charset=UTF-8' };
    expect(groupDelivery(utf8, group, { domain: 'd', writer: '201' }).body).toBe('201: Hello team');
  });

  it('labels writers without a name by number and quotes group names safely', () => {
    expect(writerLabel('203', undefined)).toBe('203');
    expect(writerLabel('203', '  ')).toBe('203');
    expect(quotedName('Sales "A"\\\r\n')).toBe('"Sales A"');
  });
});
