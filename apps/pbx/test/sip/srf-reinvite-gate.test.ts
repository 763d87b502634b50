/**
 * A re-INVITE srf dispatches in the same call stack that hands the dialog over (the 200's
 * confirmation, the ACK and the hold re-INVITE in one read of the drachtio socket, which the
 * SIP server in a worker thread makes likely) reaches the engine's listener attached after
 * `await`, instead of srf's own 200 with our last SDP.
 */
import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import pino from 'pino';
import type { SrfApp, SrfRequest, SrfResponse } from '../../src/signalling/srf';
import { srfCallPort } from '../../src/signalling/srf-call-port';
import { reinviteGate } from '../../src/signalling/srf-reinvite-gate';

const log = pino({ level: 'silent' });

interface FakeRes {
  sent: Array<{ status: number; body?: string; headers?: Record<string, string> }>;
  res: SrfResponse;
}

function fakeRes(): FakeRes {
  const sent: FakeRes['sent'] = [];
  const res = {
    send: (status: number, opts?: { body?: string; headers?: Record<string, string> }) =>
      sent.push({ status, ...(opts ?? {}) }),
  } as unknown as SrfResponse;
  return { sent, res };
}

function fakeReq(cseq: number, body: string): SrfRequest {
  const headers: Record<string, string> = { cseq: `${cseq} INVITE` };
  return {
    body,
    has: (n: string) => n.toLowerCase() in headers,
    get: (n: string) => headers[n.toLowerCase()],
  } as unknown as SrfRequest;
}

function fakeDialog(): Srf.Dialog & EventEmitter {
  const d = new EventEmitter() as EventEmitter & Record<string, unknown>;
  d['sip'] = { callId: 'c1', localTag: 'l1', remoteTag: 'r1' };
  d['local'] = { uri: 'sip:pbx', sdp: 'v=0 ours', contact: '<sip:pbx@127.0.0.1>' };
  d['remote'] = { uri: 'sip:201', sdp: 'v=0 theirs' };
  d['connected'] = true;
  return d as unknown as Srf.Dialog & EventEmitter;
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('srf re-INVITE gate', () => {
  it('holds a re-INVITE that came before the owner listened and gives it to the owner', async () => {
    const d = fakeDialog();
    const gate = reinviteGate(d);
    const early = fakeRes();
    d.emit('modify', fakeReq(2, 'a=sendonly'), early.res);
    await Promise.resolve();
    const got: number[] = [];
    gate.listen((req) => got.push(Number.parseInt(req.get('CSeq'), 10)));
    await nextTurn();
    expect(got).toEqual([2]);
    expect(early.sent).toEqual([]);
  });

  it('keeps the order: held ones first, then one arriving while they wait', async () => {
    const d = fakeDialog();
    const gate = reinviteGate(d);
    d.emit('modify', fakeReq(2, ''), fakeRes().res);
    const got: number[] = [];
    gate.listen((req) => got.push(Number.parseInt(req.get('CSeq'), 10)));
    d.emit('modify', fakeReq(3, ''), fakeRes().res);
    expect(got).toEqual([]);
    await nextTurn();
    expect(got).toEqual([2, 3]);
    d.emit('modify', fakeReq(4, ''), fakeRes().res);
    expect(got).toEqual([2, 3, 4]);
  });

  it('answers as srf does (200, our last SDP, our Contact) when nobody listens', async () => {
    const d = fakeDialog();
    reinviteGate(d);
    const r = fakeRes();
    d.emit('modify', fakeReq(2, ''), r.res);
    expect(r.sent).toEqual([]);
    await nextTurn();
    expect(r.sent).toEqual([
      {
        status: 200,
        body: 'v=0 ours',
        headers: { Contact: '<sip:pbx@127.0.0.1>', 'Content-Type': 'application/sdp' },
      },
    ]);
  });

  it('the call port: a re-INVITE dispatched with the 200 of our INVITE reaches onReinvite after await', async () => {
    const d = fakeDialog();
    const early = fakeRes();
    const srf = {
      createUAC: (
        _uri: string,
        _opts: unknown,
        _progress: unknown,
        cb: (err: unknown, dialog: Srf.Dialog) => void,
      ) => {
        // srf's order within one read: the dialog to the callback, then the phone's re-INVITE.
        cb(null, d);
        d.emit('modify', fakeReq(2, 'v=0\r\na=sendonly\r\n'), early.res);
      },
    } as unknown as SrfApp;
    const out = srfCallPort(srf, log).invite({
      uri: 'sip:202@127.0.0.1',
      from: '<sip:201@pbx.local>;tag=x',
      to: '<sip:202@pbx.local>',
      sdp: 'v=0',
    });
    const dialog = await out.answered;
    const sdps: string[] = [];
    dialog.onReinvite((r) => {
      sdps.push(r.sdp);
      r.accept('v=0\r\na=recvonly\r\n');
    });
    await nextTurn();
    expect(sdps).toEqual(['v=0\r\na=sendonly\r\n']);
    // Answered once, by the engine's accept (srf's own 200 would have come first).
    expect(early.sent.map((s) => s.status)).toEqual([200]);
  });
});
