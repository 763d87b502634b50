/**
 * Hold relay and park on a fake SIP port with jest's clock: the hold re-INVITE relayed, 11 +
 * station parking with its recall after the park recall time, 12 + station retrieving.
 */
import { phoneSdp } from './fake-sip-port';
import { advance, connected, h, useEngine } from './engine-test-setup';
import { settle, until } from './harness';

useEngine();

describe('hold and park', () => {
  test('a hold re-INVITE is relayed with the direction the other phone should see', async () => {
    const { caller, callee } = await connected();
    const reply = await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    expect(callee.reinvites.at(-1)).toContain('a=sendonly');
    expect(reply.answer).toContain('a=recvonly');
    expect(h.env.registry.heldCalls('201')).toEqual([expect.objectContaining({ party: '202' })]);
  });

  test('11 + station parks the held call; unretrieved, it recalls the parker after the recall time', async () => {
    const { caller, callee } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    const code = h.sip.call('201', '11201');
    await until('the code answered', () => code.final !== undefined);
    expect(code.final).toBe(480);
    expect(caller.byeSent).toBe(true);
    expect(callee.connected).toBe(true);
    expect(h.features.parks.list()).toEqual([
      expect.objectContaining({ slot: '201', party: '202', parkedBy: '201' }),
    ]);
    const before = h.sip.to('201').length;
    await advance(h.config.features.parkRecallTime * 1000 - 1);
    expect(h.sip.to('201')).toHaveLength(before);
    await advance(1);
    const recall = h.sip.to('201').at(-1)!;
    expect(h.sip.to('201')).toHaveLength(before + 1);
    expect(recall.options.from).toContain('sip:202@');
    const reinvites = callee.reinvites.length;
    recall.answer();
    await settle();
    expect(callee.reinvites.length).toBe(reinvites + 1);
    expect(callee.reinvites.at(-1)).toContain('a=sendrecv');
  });

  test("12 + station retrieves the parked call into the retriever's INVITE", async () => {
    const { caller, callee } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    const code = h.sip.call('201', '11201');
    await until('the park code answered', () => code.final !== undefined);
    const retriever = h.sip.call('203', '12201');
    await until('the retriever answered', () => retriever.final !== undefined);
    expect(retriever.final).toBe(200);
    expect(callee.reinvites.at(-1)).toContain('a=sendrecv');
    expect(h.features.parks.list()).toEqual([]);
    // Retrieved before the recall time: no recall rings.
    await advance(h.config.features.parkRecallTime * 1000);
    expect(h.sip.to('201')).toHaveLength(0);
  });
});
