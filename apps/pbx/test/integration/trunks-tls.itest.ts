/**
 * A TLS trunk on the wire. The provider is a second PBX (our SIP server and call control) with a
 * TLS listener on 127.0.0.1 and a self-signed certificate made with openssl for this test; the
 * trunk PBX trusts it through `trunks.tlsCa`, registers over TLS with digest, and places a call
 * through it to a sipp phone of the provider. A PBX that does not trust the certificate does not
 * register, and says why.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCert } from '../../../../packages/sip-server/test/transport/test-certs';
import type { PbxConfig } from '@pbx/config';
import {
  expectPhoneOk,
  findReceived,
  headerOf,
  startCallsPbx,
  waitFor,
  type CallsPbx,
} from '../helpers/calls-harness';

jest.setTimeout(90_000);

let dir = '';
let cert = '';
let key = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pbx-trunk-tls-'));
  ({ certFile: cert, keyFile: key } = makeCert(dir, 'provider', '127.0.0.1'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The provider: a PBX with TLS on a free port; station 300 is the trunk's account. */
async function provider(): Promise<{ h: CallsPbx; tlsPort: number }> {
  const h = await startCallsPbx({
    overrides: (c) => {
      c.sip.tlsCert = cert;
      c.sip.tlsKey = key;
      c.sip.tlsPort = 0;
    },
  });
  const tls = h.pbx.sipServer?.sipAddresses.find((a) => a.protocol === 'tls');
  if (!tls) throw new Error('the provider has no TLS listener');
  await h.station('300');
  await h.station('301');
  return { h, tlsPort: tls.port };
}

/**
 * The PBX with the trunk. Like drachtio, the SIP server sends TLS only from a TLS listener of its
 * own (Via and Contact name it), so this PBX has one too (the same certificate will do).
 */
async function trunkPbx(overrides: (c: PbxConfig) => void = () => undefined): Promise<CallsPbx> {
  return startCallsPbx({
    overrides: (c) => {
      c.sip.tlsCert = cert;
      c.sip.tlsKey = key;
      c.sip.tlsPort = 0;
      c.trunks.registerRetryMin = 0.5;
      c.trunks.registerRetryMax = 1;
      overrides(c);
    },
  });
}

async function addTlsTrunk(h: CallsPbx, port: number): Promise<void> {
  await h.pbx.ctx.store.trunks.create({
    name: 'itsp',
    host: '127.0.0.1',
    port,
    transport: 'tls',
    username: '300',
    password: 'secret300',
    realm: 'pbx.local',
    domain: 'pbx.local',
  });
  await h.pbx.changeApplied('trunks');
}

describe('TLS trunk', () => {
  it('registers over TLS with digest and calls out through the provider over TLS', async () => {
    const p = await provider();
    await using prov = p.h;
    await using h = await trunkPbx((c) => {
      c.trunks.tlsCa = cert;
    });
    await addTlsTrunk(h, p.tlsPort);
    await waitFor(
      'trunk registered over TLS',
      async () => (await h.pbx.ctx.store.trunks.statuses())[0]?.state === 'registered',
      15_000,
    ).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(await h.pbx.ctx.store.trunks.statuses())}`);
    });
    // The provider's registrar has the trunk's binding, made over TLS.
    expect(prov.pbx.registrar.bindings.live('300', Date.now())).toEqual([
      expect.objectContaining({ protocol: 'tls', sourceIp: '127.0.0.1' }),
    ]);

    await h.station('201');
    const phone = await prov.phone('301', 'uas-answer.xml');
    const r = await h.call('201', '9301', 'uac-invite-expect-200.xml', { pauseMs: 500 });
    expectPhoneOk(r, 'station 201 (trunk PBX)');
    const seen = await phone.done;
    expectPhoneOk(seen, 'station 301 (provider)');
    const invite = findReceived(seen, /^INVITE /);
    // The provider saw the trunk account as the caller.
    expect(headerOf(invite, 'From')).toMatch(/<sip:300@/);
    await h.settle();
    expect((await h.pbx.ctx.store.cdrs.list()).at(-1)).toMatchObject({
      callerTel: '201',
      trunk: 'itsp',
      calleeTel: '301',
      disposition: 'answered',
    });
    await prov.settle();
    expect((await prov.pbx.ctx.store.cdrs.list()).at(-1)).toMatchObject({
      callerTel: '300',
      calleeTel: '301',
      disposition: 'answered',
    });
  });

  it('does not register with a provider whose certificate it does not trust', async () => {
    const p = await provider();
    await using prov = p.h;
    await using h = await trunkPbx();
    await addTlsTrunk(h, p.tlsPort);
    await waitFor(
      'registration failed',
      async () => (await h.pbx.ctx.store.trunks.statuses())[0]?.state === 'failed',
      15_000,
    );
    const status = (await h.pbx.ctx.store.trunks.statuses())[0];
    expect(status?.lastError).toMatch(/certificate/i);
    expect(prov.pbx.registrar.bindings.live('300', Date.now())).toEqual([]);
  });
});
