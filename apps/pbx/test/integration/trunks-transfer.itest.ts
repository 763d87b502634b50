/**
 * Calls a station sends out of the office without dialling them: a forward set with 601-604 to
 * trunk access code + outside number, and a blind REFER to an outside number. Both leave through
 * the provider (Kamailio, digest on INVITE, record-routing) with the trunk's rules: the access
 * code stripped, the trunk's caller ID, billing to the forwarding or transferring station and
 * prepaid refusal. sipp gateways and phones on 127.0.0.x.
 */
import { bodyOf, expectPhoneOk, findReceived, headerOf, received } from '../helpers/calls-harness';
import type { SippResult } from '../helpers/sipp';
import { KAM_IP, NUMBER, mainTrunk, records, world } from '../helpers/trunk-world';

jest.setTimeout(90_000);

const CALLER_ID = '0399990001';
const kamIp = KAM_IP.replace(/\./g, '\\.');

const notifies = (r: SippResult): string[] =>
  received(r)
    .filter((m) => m.startsWith('NOTIFY '))
    .map((m) => bodyOf(m).split(/\r?\n/)[0] ?? '');

describe('forward 601-604 to an outside number', () => {
  it('601 + 9 + number sets the forward; a call to the station then leaves on the trunk', async () => {
    await using w = await world();
    await mainTrunk(w, { callerId: CALLER_ID });
    await w.h.station('201');
    await w.h.station('202');
    const set = await w.h.call('202', `6019${NUMBER}`, 'uac-invite-expect-480.xml');
    expectPhoneOk(set, 'station 202 dialling 601');
    await w.h.settle();
    expect((await w.h.pbx.ctx.store.stations.get('202'))?.forwardAll).toBe(`9${NUMBER}`);
    const r = await w.h.call('201', '202', 'uac-invite-expect-200.xml', { pauseMs: 300 });
    expectPhoneOk(r, 'station 201');
    const gw = await w.gwA.done;
    expectPhoneOk(gw, 'gateway A');
    const invite = findReceived(gw, /^INVITE /);
    // The provider gets the number without the access code, the trunk's caller ID, Diversion.
    expect(invite?.split('\r\n')[0]).toMatch(new RegExp(`^INVITE sip:${NUMBER}@${kamIp}`));
    expect(headerOf(invite, 'From')).toMatch(new RegExp(`<sip:${CALLER_ID}@${kamIp}>`));
    expect(headerOf(invite, 'Diversion')).toBe(
      '<sip:202@pbx.local>;reason=unconditional;counter=1',
    );
    expect((await records(w.h)).find((c) => c.dialled === '202')).toMatchObject({
      callerTel: '201',
      forwardedFrom: '202',
      trunk: 'main',
      account: '202',
      disposition: 'answered',
    });
  });
});

describe('blind transfer (REFER) to an outside number', () => {
  it('sends the transferee out on the trunk, NOTIFY 100/180/200, billed to the transferor', async () => {
    await using w = await world();
    await mainTrunk(w, { callerId: CALLER_ID });
    const store = w.h.pbx.ctx.store;
    await store.billing.replaceRates([
      { prefix: '03', perMinute: 600_000, minSeconds: 0, incrementSeconds: 1, setupFee: 0 },
    ]);
    await w.h.station('201', { name: 'Alice' });
    await w.h.station('202', { name: 'Bob' });
    const b = await w.h.phone('202', 'uas-held-then-reconnected.xml', { pauseMs: 1_000 });
    const a = await w.h.call('201', '202', 'uac-invite-hold-refer-blind.xml', {
      keys: { target: `9${NUMBER}` },
    });
    expectPhoneOk(a, 'transferor 201');
    expect(notifies(a)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
    const br = await b.done;
    expectPhoneOk(br, 'transferee 202 (reconnected to the gateway, then hung up)');
    // The transferee's last re-INVITE carries the gateway's SDP.
    const reinvites = received(br).filter((m) => m.startsWith('INVITE '));
    expect(bodyOf(reinvites.at(-1))).toMatch(/^o=gw /m);
    const gw = await w.gwA.done;
    expectPhoneOk(gw, 'gateway A (answered, BYE from the transferee)');
    const invite = findReceived(gw, /^INVITE /);
    expect(invite?.split('\r\n')[0]).toMatch(new RegExp(`^INVITE sip:${NUMBER}@${kamIp}`));
    expect(headerOf(invite, 'From')).toMatch(new RegExp(`<sip:${CALLER_ID}@${kamIp}>`));
    expect(bodyOf(invite)).toMatch(/^o=202 /m);
    expect(bodyOf(invite)).toContain('a=sendrecv');
    const rec = (await records(w.h)).find((c) => c.transferredBy === '201');
    expect(rec).toMatchObject({
      callerTel: '202',
      dialled: `9${NUMBER}`,
      trunk: 'main',
      account: '201',
      disposition: 'answered',
    });
    expect(rec?.charge).toBeGreaterThan(0);
  });

  it("refuses the transfer when the transferor's prepaid balance cannot pay (NOTIFY 402), the call stays", async () => {
    await using w = await world();
    await mainTrunk(w);
    const store = w.h.pbx.ctx.store;
    await store.billing.replaceRates([
      { prefix: '03', perMinute: 600_000, minSeconds: 0, incrementSeconds: 1, setupFee: 0 },
    ]);
    await store.billing.createAccount({ id: '201', kind: 'prepaid' });
    await w.h.station('201');
    await w.h.station('202');
    const b = await w.h.phone('202', 'uas-hold-resume.xml');
    const a = await w.h.call('201', '202', 'uac-invite-hold-refer-expect-failure.xml', {
      keys: { target: `9${NUMBER}` },
    });
    expectPhoneOk(a, 'transferor 201');
    expect(notifies(a)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 402 Payment Required']);
    expectPhoneOk(await b.done, 'transferee 202 resumed and hung up by 201');
    // Nothing reached the provider's gateway.
    expect(w.kam.requests().filter((l) => l.startsWith('REQ INVITE'))).toEqual([]);
    const rec = (await records(w.h)).find((c) => c.transferredBy === '201');
    expect(rec).toMatchObject({ callerTel: '202', sipStatus: 402, account: '201' });
  });
});
