/**
 * The in-process user agent: two instances on loopback call each other (INVITE/200/ACK, BYE
 * from the UAS dialog, CANCEL before the answer, OPTIONS).
 */
import { randomBranch, randomCallId, randomTag } from '../../src/message';
import type { SipRequest, SipResponse } from '../../src/message/types';
import { startSipUserAgent, UasDialog } from '../../src/user-agent';
import type { IncomingSipRequest, SipUserAgent } from '../../src/user-agent';

function waitFor<T>(register: (resolve: (v: T) => void) => void, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

describe('startSipUserAgent', () => {
  let uas: SipUserAgent;
  let uac: SipUserAgent;
  let onRequest: (r: IncomingSipRequest) => void = () => undefined;
  let uacRequests: (r: IncomingSipRequest) => void = () => undefined;
  let acks: SipRequest[] = [];

  beforeAll(async () => {
    uas = await startSipUserAgent({
      host: '127.0.0.1',
      port: 0,
      protocols: ['udp'],
      onRequest: (r) => onRequest(r),
      onAck: (a) => acks.push(a),
    });
    uac = await startSipUserAgent({
      host: '127.0.0.1',
      port: 0,
      protocols: ['udp'],
      onRequest: (r) => uacRequests(r),
    });
  });
  afterAll(async () => {
    await uas.stop();
    await uac.stop();
  });
  beforeEach(() => {
    acks = [];
  });

  const uacPort = (): number => uac.addresses[0]!.port;
  const uasPort = (): number => uas.addresses[0]!.port;
  const invite = (method = 'INVITE', cid = randomCallId()): SipRequest => ({
    kind: 'request',
    method,
    uri: `sip:drachtio@127.0.0.1:${uasPort()}`,
    headers: [
      { name: 'Via', value: `SIP/2.0/UDP 127.0.0.1:${uacPort()};rport;branch=${randomBranch()}` },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<sip:a@127.0.0.1>;tag=${randomTag()}` },
      { name: 'To', value: '<sip:drachtio@127.0.0.1>' },
      { name: 'Call-ID', value: cid },
      { name: 'CSeq', value: `1 ${method}` },
      { name: 'Contact', value: `<sip:a@127.0.0.1:${uacPort()}>` },
    ],
    body: Buffer.alloc(0),
  });
  const dest = (): { protocol: 'udp'; address: string; port: number } => ({
    protocol: 'udp',
    address: '127.0.0.1',
    port: uasPort(),
  });

  it('answers an INVITE, passes the ACK up and sends BYE in the dialog', async () => {
    let dialog: UasDialog | undefined;
    onRequest = (r) => {
      dialog = new UasDialog({
        invite: r.message,
        info: r.info,
        localTag: r.localTag,
        localContact: `sip:mod_sofia@127.0.0.1:${uasPort()}`,
        via: { protocol: 'udp', host: '127.0.0.1', port: uasPort() },
      });
      void r.respond(200, {
        body: Buffer.from('v=0\r\n'),
        headers: [{ name: 'Content-Type', value: 'application/sdp' }],
      });
    };
    const req = invite();
    const res: SipResponse = await uac.request(req, dest());
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('v=0\r\n');
    const toHeader = res.headers.find((h) => h.name === 'To')!.value;
    const ack: SipRequest = {
      ...req,
      method: 'ACK',
      headers: req.headers.map((h) =>
        h.name === 'Via'
          ? {
              name: 'Via',
              value: `SIP/2.0/UDP 127.0.0.1:${uacPort()};rport;branch=${randomBranch()}`,
            }
          : h.name === 'To'
            ? { name: 'To', value: toHeader }
            : h.name === 'CSeq'
              ? { name: 'CSeq', value: '1 ACK' }
              : h,
      ),
    };
    const gotAck = waitFor<void>((resolve) => {
      const t = setInterval(() => {
        if (acks.length > 0) {
          clearInterval(t);
          resolve();
        }
      }, 10);
    });
    await uac.sendAck(ack, dest());
    await gotAck;
    expect(dialog!.matches(acks[0]!)).toBe(true);

    const bye = waitFor<IncomingSipRequest>((resolve) => {
      uacRequests = (r) => {
        void r.respond(200);
        resolve(r);
      };
    });
    const { request, dest: byeDest } = dialog!.build('BYE');
    expect(byeDest.port).toBe(uacPort());
    const byeRes = await uas.request(request, byeDest);
    expect(byeRes.status).toBe(200);
    const received = await bye;
    expect(received.message.method).toBe('BYE');
    expect(received.message.uri).toBe(`sip:a@127.0.0.1:${uacPort()}`);
  });

  it('answers CANCEL with 200 and the INVITE with 487, and tells the handler', async () => {
    let pending: IncomingSipRequest | undefined;
    const cancelled = waitFor<void>((resolve) => {
      onRequest = (r) => {
        pending = r;
        r.onCancel(resolve);
      };
    });
    const req = invite();
    const final = uac.request(req, dest());
    await waitFor<void>((resolve) => {
      const t = setInterval(() => {
        if (pending) {
          clearInterval(t);
          resolve();
        }
      }, 10);
    });
    const cancel: SipRequest = {
      ...req,
      method: 'CANCEL',
      headers: req.headers.map((h) =>
        h.name === 'CSeq' ? { name: 'CSeq', value: '1 CANCEL' } : h,
      ),
    };
    const cancelRes = await uac.request(cancel, dest());
    expect(cancelRes.status).toBe(200);
    await cancelled;
    expect((await final).status).toBe(487);
    expect(pending!.answered).toBe(true);
  });

  it('binds UDP and TCP on one port when asked for port 0', async () => {
    const both = await startSipUserAgent({
      host: '127.0.0.1',
      port: 0,
      onRequest: () => undefined,
    });
    try {
      expect(both.addresses.map((a) => a.protocol).sort()).toEqual(['tcp', 'udp']);
      expect(both.addresses[0]!.port).toBe(both.addresses[1]!.port);
    } finally {
      await both.stop();
    }
  });

  it('answers CANCEL for an unknown INVITE with 481', async () => {
    const res = await uac.request(invite('CANCEL'), dest());
    expect(res.status).toBe(481);
  });

  it('hands OPTIONS to the handler', async () => {
    onRequest = (r) =>
      void r.respond(200, {
        headers: [{ name: 'Allow', value: 'INVITE, ACK, BYE, CANCEL, OPTIONS' }],
      });
    const res = await uac.request(invite('OPTIONS'), dest());
    expect(res.status).toBe(200);
    expect(res.headers.find((h) => h.name === 'Allow')?.value).toContain('OPTIONS');
  });
});
