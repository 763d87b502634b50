/**
 * `pbx ext set <tel> --challenge-invites on`: that station's INVITEs get 407 with a digest
 * challenge (Proxy-Authenticate) on top of the source check; the phone's answer with its own
 * credentials goes through, a wrong password is refused 403, logged in the access log and counted
 * by Comm Exclusive; stations without the option are not challenged.
 */
import { expectPhoneOk, received, startCallsPbx, type CallsPbx } from '../helpers/calls-harness';
import { INVITE_AUTH_REASON } from '../../src/registrar/invite-auth';

jest.setTimeout(60_000);

describe('INVITE challenge (per station)', () => {
  let h: CallsPbx;
  beforeAll(async () => {
    h = await startCallsPbx({
      overrides: (c) => {
        c.security.registerRetryLimit = 100;
      },
    });
    await h.station('2101', { challengeInvites: true });
    await h.station('2102', { challengeInvites: true });
    await h.station('2103');
    await h.station('2110');
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  it('407, then the call with Proxy-Authorization connects', async () => {
    const callee = await h.phone('2110', 'uas-answer.xml');
    const r = await h.call('2101', '2110', 'uac-invite-auth-expect-200.xml', {
      pauseMs: 200,
      // sipp's digest uri is remote_ip:port unless told: name the Request-URI.
      args: ['-au', '2101', '-ap', 'secret2101', '-auth_uri', `2110@${h.pbx.target}`],
    });
    expectPhoneOk(r, 'authenticated call');
    const challenge = received(r).find((m) => m.startsWith('SIP/2.0 407'));
    expect(challenge).toMatch(/Proxy-Authenticate: Digest realm="[^"]+", nonce="[^"]+"/);
    await callee.stop();
    await h.settle();
    const [cdr] = await h.pbx.ctx.store.cdrs.list({ ext: '2101', limit: 1 });
    expect(cdr).toMatchObject({ callerTel: '2101', disposition: 'answered' });
  });

  it('a wrong password is refused 403, logged and counted', async () => {
    const r = await h.call('2102', '2110', 'uac-invite-auth-expect-403.xml', {
      args: ['-au', '2102', '-ap', 'not-the-password', '-auth_uri', `2110@${h.pbx.target}`],
    });
    expectPhoneOk(r, 'refused call');
    const log = await h.pbx.ctx.store.accessLog.list();
    expect(log.some((e) => e.callerId === '2102' && e.reason === INVITE_AUTH_REASON.password)).toBe(
      true,
    );
    // Stations have succeeded from 127.0.0.1 (a shared address): counted for 2102 there.
    expect(h.pbx.registrar.comm.failureCount('127.0.0.1', Date.now(), '2102')).toBeGreaterThan(0);
  });

  it('credentials computed for another URI are refused 400 Digest URI Mismatch', async () => {
    // Without -auth_uri sipp computes the digest for sip:<remote_ip>:<port>, not the Request-URI.
    const r = await h.call('2101', '2110', 'uac-invite-auth-expect-400.xml', {
      args: ['-au', '2101', '-ap', 'secret2101'],
    });
    expectPhoneOk(r, 'mismatched uri');
    expect(received(r).some((m) => m.startsWith('SIP/2.0 400 Digest URI Mismatch'))).toBe(true);
    const log = await h.pbx.ctx.store.accessLog.list();
    expect(log.some((e) => e.callerId === '2101' && e.reason === INVITE_AUTH_REASON.uri)).toBe(
      true,
    );
  });

  it('a station without the option is not challenged', async () => {
    const callee = await h.phone('2110', 'uas-answer.xml');
    const r = await h.call('2103', '2110', 'uac-invite-expect-200.xml', { pauseMs: 200 });
    expectPhoneOk(r, 'unchallenged call');
    expect(received(r).some((m) => m.startsWith('SIP/2.0 407'))).toBe(false);
    await callee.stop();
  });
});
