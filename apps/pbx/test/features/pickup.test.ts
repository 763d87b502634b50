/**
 * Directed pickup (13 + station) on a fake SIP port: the ringing phone is cancelled, picker
 * and caller are answered; nothing ringing gives 480.
 */
import { h, useEngine } from './engine-test-setup';
import { settle, until } from './harness';

useEngine();

describe('pickup', () => {
  test('13 + station: the ringing phone gets CANCEL, the picker and the caller are answered', async () => {
    const caller = h.sip.call('201', '202');
    await settle();
    const [to202] = h.sip.to('202');
    to202!.ring();
    await settle();
    const picker = h.sip.call('203', '13202');
    await until('the picker answered', () => picker.final !== undefined);
    expect(to202!.cancelled).toBe(true);
    expect(picker.final).toBe(200);
    expect(caller.final).toBe(200);
    caller.dialog!.hangUp();
    await settle();
    expect(picker.dialog!.byeSent).toBe(true);
    await h.env.cdr.flush();
    expect(h.cdrs.find((r) => r.disposition === 'answered')).toMatchObject({
      calleeTel: '203',
      pickedUpFrom: '202',
    });
  });

  test('nothing ringing: 480', async () => {
    const picker = h.sip.call('203', '13202');
    await until('the picker answered', () => picker.final !== undefined);
    expect(picker.final).toBe(480);
  });
});
