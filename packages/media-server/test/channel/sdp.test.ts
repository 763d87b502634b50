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
  it('refuses SRTP without a usable SDES key, DTLS-SRTP, codec-less and unparsable offers', () => {
    expect(readRemoteSdp(offer('m=audio 4000 RTP/SAVP 0 101'))).toEqual({
      ok: false,
      reason: 'srtp',
    });
    // Only AES_CM_128_HMAC_SHA1_80 with a 30-byte inline key and no MKI is usable.
    const key = Buffer.alloc(30, 7).toString('base64');
    for (const line of [
      `a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${key}\r\n`,
      `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^20|1:4\r\n`,
      `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(16).toString('base64')}\r\n`,
    ])
      expect(readRemoteSdp(offer('m=audio 4000 RTP/SAVP 0 101', line))).toEqual({
        ok: false,
        reason: 'srtp',
      });
    expect(
      readRemoteSdp(
        offer(
          'm=audio 4000 UDP/TLS/RTP/SAVP 0 101',
          `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}\r\n`,
        ),
      ),
    ).toEqual({ ok: false, reason: 'srtp' });
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
  it("reads SDES keys in the offerer's order and answers RTP/SAVP with our own key", () => {
    const k32 = Buffer.alloc(30, 1).toString('base64');
    const k80 = Buffer.alloc(30, 2).toString('base64');
    const r = readRemoteSdp(
      offer(
        'm=audio 4000 RTP/SAVP 0 101',
        `a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${k32}\r\n` +
          `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${k80}|2^31\r\n`,
      ),
    );
    expect(r).toMatchObject({ ok: true, profile: 'RTP/SAVP', crypto: { tag: 2, key: k80 } });
    // Best-effort SRTP: RTP/AVP with a key is encrypted too.
    expect(
      readRemoteSdp(
        offer('m=audio 4000 RTP/AVP 0 101', `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${k80}\r\n`),
      ),
    ).toMatchObject({ ok: true, profile: 'RTP/AVP', crypto: { tag: 3 } });
    const ours = Buffer.alloc(30, 9).toString('base64');
    const answer = buildLocalSdp(
      {
        sessionId: 1,
        version: 1,
        address: '127.0.0.1',
        port: 20000,
        username: 'FreeSWITCH',
        crypto: { tag: 2, key: ours, profile: 'RTP/SAVP' },
      },
      { codec: { name: 'PCMU', payloadType: 0, clockRate: 8000 }, telephoneEvent: 101 },
    );
    expect(answer).toContain('m=audio 20000 RTP/SAVP 0 101');
    expect(answer).toContain(`a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${ours}`);
  });
});
