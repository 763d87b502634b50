/**
 * Feature codes on a fake SIP port: DND and forward all set by code (480 to the code, the
 * effect on the next call), a bad argument changing nothing.
 */
import { h, useEngine } from './engine-test-setup';
import { settle, until } from './harness';

useEngine();

describe('feature codes', () => {
  test('40 + 1 sets DND (480 to the code); calls to the station then get 486 without ringing', async () => {
    const code = h.sip.call('202', '401');
    await until('the code answered', () => code.final !== undefined);
    expect(code.final).toBe(480);
    expect(h.env.stations.peek('202')?.settings.dnd).toBe(true);
    expect((await h.store.stations.get('202'))?.dnd).toBe(true);
    const invite = h.sip.call('201', '202');
    await settle();
    expect(invite.final).toBe(486);
    expect(h.sip.to('202')).toHaveLength(0);
    await h.env.cdr.flush();
    expect(h.cdrs.find((r) => r.disposition === 'feature')).toMatchObject({
      dialled: '401',
      feature: 'dnd',
      sipStatus: 480,
    });
  });

  test('601 + station sets forward all; the next call goes there with reason unconditional', async () => {
    const code = h.sip.call('202', '601203');
    await until('the code answered', () => code.final !== undefined);
    expect(code.final).toBe(480);
    h.sip.call('201', '202');
    await settle();
    expect(h.sip.to('202')).toHaveLength(0);
    expect(h.sip.to('203')[0]?.options.headers?.['Diversion']).toBe(
      '<sip:202@pbx.local>;reason=unconditional;counter=1',
    );
  });

  test('a code with a bad argument changes nothing and still answers 480', async () => {
    const code = h.sip.call('202', '409');
    await until('the code answered', () => code.final !== undefined);
    expect(code.final).toBe(480);
    expect(h.env.stations.peek('202')?.settings.dnd).toBe(false);
  });
});
