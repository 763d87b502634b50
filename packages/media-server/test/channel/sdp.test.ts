import { answerDirection, buildLocalSdp, readRemoteSdp } from '../../src/channel/sdp';

const offer = (m: string, extra = ''): string =>
  `v=0\r\no=x 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n${m}\r\na=rtpmap:101 telephone-event/8000\r\n${extra}`;

describe('SDP offer/answer', () => {
  it("takes the offerer's first G.711 codec and the telephone-event type", () => {
    const r = readRemoteSdp(
      offer('m=audio 4000 RTP/AVP 96 8 0 101', 'a=rtpmap:96 opus/48000/2\r\n'),
    );
    expect(r).toMatchObject({
      ok: true,
      codec: { name: 'PCMA', payloadType: 8 },
      telephoneEvent: 101,
      remote: { address: '127.0.0.2', port: 4000, direction: 'sendrecv' },
    });
  });
  it('honours codec_string and maps hold directions', () => {
    const r = readRemoteSdp(offer('m=audio 4000 RTP/AVP 8 0 101', 'a=sendonly\r\n'), 'PCMU');
    expect(r).toMatchObject({
      ok: true,
      codec: { name: 'PCMU' },
      remoteDirection: 'sendonly',
      remote: { direction: 'recvonly' },
    });
    expect(answerDirection('inactive')).toBe('inactive');
  });
  it('refuses SRTP, codec-less and unparsable offers', () => {
    expect(readRemoteSdp(offer('m=audio 4000 RTP/SAVP 0 101'))).toEqual({
      ok: false,
      reason: 'srtp',
    });
    expect(readRemoteSdp(offer('m=audio 4000 RTP/AVP 9 101', 'a=rtpmap:9 G722/8000\r\n'))).toEqual({
      ok: false,
      reason: 'no-common-codec',
    });
    expect(readRemoteSdp('v=0\r\n')).toMatchObject({ ok: false });
  });
  it('builds an answer with one codec and a 3PCC offer with both', () => {
    const s = {
      sessionId: 42,
      version: 2,
      address: '127.0.0.1',
      port: 20000,
      username: 'FreeSWITCH',
    };
    const answer = buildLocalSdp(s, {
      codec: { name: 'PCMA', payloadType: 8, clockRate: 8000 },
      telephoneEvent: 101,
      direction: 'recvonly',
    });
    expect(answer).toContain('o=FreeSWITCH 42 2 IN IP4 127.0.0.1');
    expect(answer).toContain('m=audio 20000 RTP/AVP 8 101');
    expect(answer).toContain('a=fmtp:101 0-16');
    expect(answer).toContain('a=ptime:20');
    expect(answer).toContain('a=recvonly');
    expect(buildLocalSdp(s)).toContain('m=audio 20000 RTP/AVP 0 8 101');
  });
});
