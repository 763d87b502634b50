import type { SipMessage, SipRequest, SipResponse } from '../../src/message';
import { parseMessage } from '../../src/message';

/** Joins header lines with CRLF, adds the empty line and the body. */
export function sip(lines: string[], body: string | Buffer = ''): Buffer {
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  return Buffer.concat([head, typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

export const SDP = [
  'v=0',
  'o=- 1234 1234 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 10000 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  '',
].join('\r\n');

/** A typical INVITE from a phone on loopback (about 600 bytes). */
export function invite(extra: string[] = [], body: string | Buffer = SDP): Buffer {
  const len = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  return sip(
    [
      'INVITE sip:201@127.0.0.1:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK776asdhds;rport',
      'Max-Forwards: 70',
      'From: "Station 200" <sip:200@127.0.0.1>;tag=1928301774',
      'To: <sip:201@127.0.0.1>',
      'Call-ID: a84b4c76e66710@127.0.0.2',
      'CSeq: 314159 INVITE',
      'Contact: <sip:200@127.0.0.2:5062;transport=udp>',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS',
      ...extra,
      'Content-Type: application/sdp',
      `Content-Length: ${len}`,
    ],
    body,
  );
}

export function parseOk(data: Buffer): SipMessage {
  const r = parseMessage(data);
  if (!r.ok) throw new Error(`expected a message, got: ${r.error.reason}`);
  return r.message;
}

export function parseRequest(data: Buffer): SipRequest {
  const m = parseOk(data);
  if (m.kind !== 'request') throw new Error('expected a request');
  return m;
}

export function parseResponse(data: Buffer): SipResponse {
  const m = parseOk(data);
  if (m.kind !== 'response') throw new Error('expected a response');
  return m;
}
