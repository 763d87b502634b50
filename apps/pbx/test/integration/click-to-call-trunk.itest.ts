/**
 * Click to call of an external contact through a trunk: the contact's number is dialled as a
 * phone would dial it (trunk access code + number), through Kamailio as the provider's proxy to
 * a sipp PSTN gateway. The user's phone rings first showing the contact's name, the gateway gets
 * the user's SDP, the user is re-INVITEd with the gateway's, and the record names the trunk and
 * bills the user's station.
 */
import {
  bodyOf,
  expectPhoneOk,
  findReceived,
  headerOf,
  received,
  sent,
} from '../helpers/calls-harness';
import { EventClient, loggedIn } from '../helpers/http-client';
import { freePort } from '../helpers/sipp';
import { NUMBER, mainTrunk, records, world } from '../helpers/trunk-world';

jest.setTimeout(90_000);

describe('click to call through a trunk', () => {
  it('calls a shared external contact: user first, then the provider; bridged and recorded', async () => {
    await using w = await world('uas-gateway-answer.xml', 'uas-gateway-answer.xml');
    await mainTrunk(w);
    const { h } = w;
    const base = h.pbx.http.url;
    await h.station('201', { name: 'Alice' });
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    await h.pbx.ctx.store.webAuth.setCtiPassword('201', 'alice-cti');
    const admin = await loggedIn(base, 'admin', 'admin-pw-1');
    const alice = await loggedIn(base, '201', 'alice-cti');
    const contact = await admin.request('POST', '/api/external-contacts', {
      name: 'Acme Plumbing',
      number: `9${NUMBER}`,
    });
    expect(contact.status).toBe(201);
    const listed = await alice.request('GET', '/api/external-contacts?q=acme');
    expect(listed.body).toEqual([expect.objectContaining({ number: `9${NUMBER}`, shared: true })]);

    const events = await EventClient.open(base, alice.token!, 'calls');
    try {
      const userPort = await freePort('udp', '127.0.0.1');
      const user = await h.phone('201', 'uas-answer-expect-reinvite-mport.xml', {
        pauseMs: 300,
        keys: { mport: String(userPort) },
      });
      const placed = await alice.request('POST', '/api/me/calls', {
        to: contact.body.number,
        name: contact.body.name,
      });
      expect(placed.status).toBe(202);
      const ref = placed.body.ref as string;
      await events.waitFor(
        (e) =>
          e.topic === 'calls' &&
          e.data.ref === ref &&
          e.data.state === 'connected' &&
          e.data.answeredAt !== null,
        20_000,
        'connected through the trunk',
      );
      expect((await alice.request('DELETE', `/api/calls/${ref}`)).status).toBe(200);
      const userDone = await user.done;
      expectPhoneOk(userDone, 'user phone 201');
      const gw = await w.gwA.done;
      expectPhoneOk(gw, 'gateway A');

      expect(headerOf(findReceived(userDone, /^INVITE /), 'From')).toMatch(
        new RegExp(`^"Acme Plumbing" <sip:9${NUMBER}@`),
      );
      const toGateway = findReceived(gw, /^INVITE /);
      expect(toGateway?.split('\r\n')[0]).toContain(`sip:${NUMBER}@`);
      expect(bodyOf(toGateway)).toMatch(new RegExp(`^m=audio ${userPort} `, 'm'));
      // The gateway's own 200 (as it sent it): its media port is what the user is given.
      const gwOk = sent(gw).find((m) => m.startsWith('SIP/2.0 200') && /^m=audio/m.test(m));
      const gwMedia = /^m=audio (\d+) /m.exec(bodyOf(gwOk))?.[1];
      expect(gwMedia).toBeDefined();
      const invites = received(userDone).filter((m) => m.startsWith('INVITE '));
      expect(invites).toHaveLength(2);
      expect(bodyOf(invites[1])).toMatch(new RegExp(`^m=audio ${gwMedia} `, 'm'));

      const rec = (await records(h)).find((r) => r.callRef === ref);
      expect(rec).toMatchObject({
        callerTel: '201',
        disposition: 'answered',
        trunk: 'main',
        account: '201',
      });
    } finally {
      await events.close();
    }
  });
});
