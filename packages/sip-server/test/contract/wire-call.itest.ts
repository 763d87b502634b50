/**
 * A complete inbound call seen on the control connection (drachtio-wire-protocol.md Appendix B,
 * §3.1, §4.1, §4.4, §5.4, §5.5), with a raw client in the application's place and sipp calling.
 * Checks token positions, dialog ids and the echo-before-ACK ordering srf depends on.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import { describeSippResult, runSipp, startSippUas, type SippTransport } from '../helpers/sipp';
import { protocolOf, startHarness } from './harness';
import { WireClient, type WireFrame } from './wire-client';

jest.setTimeout(60_000);

const scenarios = join(__dirname, '..', 'sipp');
const TIME = /^\d\d:\d\d:\d\d\.\d{6}$/;

function header(sip: string, name: string): string {
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(sip);
  if (!match) throw new Error(`no ${name} header in:\n${sip}`);
  return (match[1] as string).trim();
}

function tagOf(value: string): string | undefined {
  return /;\s*tag=([^;>\s]+)/i.exec(value)?.[1];
}

/** A response as srf writes it: lower-case names, headers copied from the request. */
function responseFor(request: string, status: string, extra: string[] = [], body = ''): string {
  const lines = [
    `SIP/2.0 ${status}`,
    `Call-ID: ${header(request, 'Call-ID')}`,
    `cseq: ${header(request, 'CSeq')}`,
    `from: ${header(request, 'From')}`,
    `to: ${header(request, 'To')}`,
    ...extra,
    `Content-Length: ${body.length}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

function expectNetworkSip(f: WireFrame, protocol: 'udp' | 'tcp'): void {
  expect(f.tokens[1]).toBe('sip');
  expect(f.tokens[2]).toBe('network');
  expect(Number(f.tokens[3])).toBe(Buffer.byteLength(f.sip ?? '', 'utf8'));
  expect(f.tokens[4]).toBe(protocol);
  expect(f.tokens[5]).toBe('127.0.0.1');
  expect(f.tokens[6]).toMatch(/^\d+$/);
  expect(f.tokens[7]).toMatch(TIME);
  expect(f.tokens[8]).toBeTruthy();
}

describe.each<[SippTransport]>([['u1'], ['t1']])('inbound call on the wire (%s)', (transport) => {
  const protocol = protocolOf(transport);

  it('delivers INVITE, echoes 180/200 with the dialog id, then ACK and BYE in order', async () => {
    await using harness = await startHarness();
    await using app = await WireClient.connect(harness.server.control.port);
    expect((await app.authenticate(harness.secret)).tokens[3]).toBe('OK');
    const routeId = app.command('route|invite');
    expect((await app.responseTo(routeId)).tokens[3]).toBe('OK');

    const call = runSipp({
      scenario: join(scenarios, 'uac-invite-expect-200.xml'),
      target: harness.sipTarget(protocol),
      transport,
      service: '200',
      traceMessages: true,
      timeoutMs: 15_000,
    });

    // §3.3 a: a new request, with recvAddress/recvPort and the trailing empty token.
    const invite = await app.next(10_000);
    expectNetworkSip(invite, protocol);
    expect(invite.tokens).toHaveLength(13);
    expect(invite.tokens[9]).toBe('');
    expect(invite.tokens[10]).toBe('127.0.0.1');
    expect(invite.tokens[11]).toBe(String(harness.sipPort(protocol)));
    expect(invite.tokens[12]).toBe('');
    const request = invite.sip as string;
    expect(request).toMatch(/^INVITE sip:200@127\.0\.0\.1:\d+ SIP\/2\.0\r\n/);
    expect(header(request, 'Via')).toMatch(new RegExp(`;rport=${invite.tokens[6] as string}`));
    const txnId = invite.tokens[8] as string;
    const callId = header(request, 'Call-ID');
    const dialogId = `${callId};from-tag=${tagOf(header(request, 'From')) as string}`;

    // §4.4: the echo of the 180 carries txnId and the dialog id; To gets our tag.
    const ringingId = app.command(`sip|${txnId}|\r\n${responseFor(request, '180 Ringing')}`);
    const ringing = await app.responseTo(ringingId);
    expect(ringing.tokens).toHaveLength(15);
    expect(ringing.tokens.slice(3, 5)).toEqual(['OK', 'application']);
    expect(ringing.tokens[10]).toBe(txnId);
    expect(ringing.tokens[11]).toBe(dialogId);
    expect(ringing.tokens[12]).toBe('');
    expect(ringing.tokens[13]).toBe('Msg sent:');
    expect(ringing.sip).toMatch(/^SIP\/2\.0 180 Ringing\r\n/);
    const localTag = tagOf(header(ringing.sip as string, 'To'));
    expect(localTag).toBeTruthy();

    const sdp =
      'v=0\r\no=app 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 15000 RTP/AVP 0\r\n';
    const okId = app.command(
      `sip|${txnId}|\r\n${responseFor(request, '200 OK', ['Content-Type: application/sdp'], sdp)}`,
    );
    const ok = await app.responseTo(okId);
    // The ACK may only follow the echo (§1.5): nothing for this call may come before it.
    expect(ok.skipped).toEqual([]);
    expect(ok.tokens[3]).toBe('OK');
    expect(ok.tokens[11]).toBe(dialogId);
    const sent = ok.sip as string;
    expect(sent).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(tagOf(header(sent, 'To'))).toBe(localTag);
    expect(header(sent, 'Contact')).toMatch(/sip:.*127\.0\.0\.1:\d+/);
    expect(header(sent, 'Content-Length')).toBe(String(Buffer.byteLength(sdp)));
    expect(sent.endsWith(sdp)).toBe(true);

    // §5.4: the ACK arrives with a fresh txnId and the dialog id.
    const ack = await app.next(5_000);
    expectNetworkSip(ack, protocol);
    expect(ack.sip).toMatch(/^ACK /);
    expect(ack.tokens[8]).not.toBe(txnId);
    expect(ack.tokens[9]).toBe(dialogId);

    // §5.5: the BYE; once it arrived the dialog is gone, so the echo has an empty dialog id.
    const bye = await app.next(5_000);
    expectNetworkSip(bye, protocol);
    expect(bye.sip).toMatch(/^BYE /);
    expect(bye.tokens[9]).toBe(dialogId);
    const byeOkId = app.command(
      `sip|${bye.tokens[8] as string}|\r\n${responseFor(bye.sip as string, '200 OK')}`,
    );
    const byeOk = await app.responseTo(byeOkId);
    expect(byeOk.tokens[3]).toBe('OK');
    expect(byeOk.tokens[11]).toBe('');

    const result = await call;
    if (result.code !== 0) throw new Error(describeSippResult(result));
    // §6.1: 100 Trying went out before the application answered.
    expect(result.messages).toMatch(/SIP\/2\.0 100 Trying/);
  });

  it('answers 503 when no application routes INVITE', async () => {
    await using harness = await startHarness();
    await using app = await WireClient.connect(harness.server.control.port);
    expect((await app.authenticate(harness.secret)).tokens[3]).toBe('OK');
    const result = await runSipp({
      scenario: join(scenarios, 'uac-invite-expect-503.xml'),
      target: harness.sipTarget(protocol),
      transport,
      timeoutMs: 10_000,
    });
    if (result.code !== 0) throw new Error(describeSippResult(result));
    // Nothing may reach a client that did not route the method.
    await expect(app.next(300)).rejects.toThrow(/no frame/);
  });

  it('passes a request sent by the client and its response back with the echoed txnId', async () => {
    await using harness = await startHarness();
    await using app = await WireClient.connect(harness.server.control.port);
    expect((await app.authenticate(harness.secret)).tokens[3]).toBe('OK');
    await using peer = await startSippUas({
      scenario: join(scenarios, 'uas-answer-options.xml'),
      transport,
    });
    const target = `sip:peer@127.0.0.1:${peer.port}${transport === 't1' ? ';transport=tcp' : ''}`;
    const msgId = randomUUID();
    app.send(
      `${msgId}|sip||\r\nOPTIONS ${target} SIP/2.0\r\nfrom: <sip:app@localhost>\r\nContent-Length: 0\r\n\r\n`,
    );
    const echo = await app.responseTo(msgId);
    // §4.1: request echo tokens: ... |10 txnId |11 'Msg sent:' |12 ''.
    expect(echo.tokens).toHaveLength(13);
    expect(echo.tokens.slice(3, 5)).toEqual(['OK', 'application']);
    expect(echo.tokens[11]).toBe('Msg sent:');
    const sent = echo.sip as string;
    expect(sent).toMatch(/^OPTIONS sip:peer@127\.0\.0\.1:\d+/);
    // The @localhost placeholder is rewritten to our address (§4.2), a From tag is added.
    expect(header(sent, 'From')).toMatch(
      new RegExp(`<sip:app@127\\.0\\.0\\.1:${harness.sipPort(protocol)}>;tag=`),
    );
    expect(header(sent, 'Via')).toMatch(/;branch=z9hG4bK/);
    const response = await app.next(5_000);
    expectNetworkSip(response, protocol);
    expect(response.tokens[8]).toBe(echo.tokens[10]);
    expect(response.tokens[9]).toBe('');
    expect(response.sip).toMatch(/^SIP\/2\.0 200 OK/);
    const peerResult = await peer.done;
    if (peerResult.code !== 0) throw new Error(describeSippResult(peerResult));
  });
});
