/**
 * Ring groups on a fake SIP port with jest's clock: batches of 4, 50 ms apart, first answer
 * wins; all busy/DND; nobody answering.
 */
import { advance, h, useEngine } from './engine-test-setup';
import { settle, until } from './harness';

useEngine();

describe('ring group', () => {
  beforeEach(() => {
    h.plan.setGroup('500', ['202', '203', '204', '205', '206']);
  });

  test('rings 4 members at once and the 5th 50 ms later; the first answer wins, the rest get CANCEL', async () => {
    const invite = h.sip.call('201', '500');
    // The group number is no station: the router first re-reads the stations (real I/O).
    await until('the first batch', () => h.sip.sent.length > 0);
    expect(h.sip.sent.map((o) => o.station)).toEqual(['202', '203', '204', '205']);
    await advance(49);
    expect(h.sip.sent).toHaveLength(4);
    await advance(1);
    expect(h.sip.sent.map((o) => o.station)).toEqual(['202', '203', '204', '205', '206']);
    h.sip.to('204')[0]!.answer();
    await settle();
    expect(invite.final).toBe(200);
    for (const tel of ['202', '203', '205', '206']) expect(h.sip.to(tel)[0]!.cancelled).toBe(true);
    invite.dialog!.hangUp();
    await settle();
    await h.env.cdr.flush();
    expect(h.cdrs.at(-1)).toMatchObject({
      dialled: '500',
      calleeTel: '204',
      disposition: 'answered',
    });
  });

  test('every member busy or in DND: 486 without ringing', async () => {
    h.plan.setGroup('501', ['203', '204']);
    for (const tel of ['203', '204'])
      await h.store.stations.update(tel, { dnd: true }, { realm: 'pbx.local' });
    await h.env.stations.load();
    const invite = h.sip.call('201', '501');
    await until('the caller answered', () => invite.final !== undefined);
    expect(invite.final).toBe(486);
    expect(h.sip.sent).toHaveLength(0);
  });

  test('nobody answers: 480 at the ringing timeout, every member CANCELled', async () => {
    const invite = h.sip.call('201', '500');
    await until('the first batch', () => h.sip.sent.length > 0);
    await advance(h.config.features.ringingTimeout * 1000);
    expect(invite.final).toBe(480);
    expect(h.sip.sent.every((o) => o.cancelled)).toBe(true);
  });
});
