import {
  contactProtocol,
  mustUseSrtp,
  refusesPlainMedia,
  refusesPlainMediaTo,
} from '../../src/engine/srtp-policy';
import { isSrtpSdp } from '../../src/sip/srtp';

const sdp = (m: string, extra = ''): string =>
  `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n${m}\r\n${extra}`;
const KEY =
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n';

describe('SRTP policy', () => {
  it('knows SRTP offers: RTP/SAVP, or a=crypto on RTP/AVP; not plain or unparsable ones', () => {
    expect(isSrtpSdp(sdp('m=audio 4000 RTP/SAVP 0', KEY))).toBe(true);
    expect(isSrtpSdp(sdp('m=audio 4000 RTP/AVP 0', KEY))).toBe(true);
    expect(isSrtpSdp(sdp('m=audio 4000 RTP/AVP 0'))).toBe(false);
    expect(isSrtpSdp(undefined)).toBe(false);
    expect(isSrtpSdp('garbage')).toBe(false);
  });

  it('requires SRTP of nobody, of stations on TLS, or of all', () => {
    expect(mustUseSrtp('optional', 'tls')).toBe(false);
    expect(mustUseSrtp('tls', 'tls')).toBe(true);
    expect(mustUseSrtp('tls', 'udp')).toBe(false);
    expect(mustUseSrtp('all', 'udp')).toBe(true);
    expect(refusesPlainMedia('tls', 'TLS', sdp('m=audio 4000 RTP/AVP 0'))).toBe(true);
    expect(refusesPlainMedia('tls', 'tls', sdp('m=audio 4000 RTP/SAVP 0', KEY))).toBe(false);
    expect(refusesPlainMedia('all', 'udp', sdp('m=audio 4000 RTP/AVP 0'))).toBe(true);
  });

  it('requires SRTP of a station set to required whatever its transport and the policy', () => {
    expect(mustUseSrtp('optional', 'udp', 'required')).toBe(true);
    expect(mustUseSrtp('tls', 'tcp', 'required')).toBe(true);
    expect(mustUseSrtp('optional', 'tls', 'policy')).toBe(false);
    expect(mustUseSrtp('all', 'udp', 'policy')).toBe(true);
    expect(refusesPlainMedia('optional', 'udp', sdp('m=audio 4000 RTP/AVP 0'), 'required')).toBe(
      true,
    );
    expect(
      refusesPlainMedia('optional', 'udp', sdp('m=audio 4000 RTP/SAVP 0', KEY), 'required'),
    ).toBe(false);
  });

  it("reads a contact's transport", () => {
    expect(contactProtocol('sip:202-x@127.0.0.1:5062;transport=tls')).toBe('tls');
    expect(contactProtocol('sips:202@127.0.0.1')).toBe('tls');
    expect(contactProtocol('sip:202@127.0.0.1:5060;transport=TCP')).toBe('tcp');
    expect(contactProtocol('sip:202@127.0.0.1:5060')).toBe('udp');
  });

  it('judges a contact by its transport as refusesPlainMedia does, for every policy', () => {
    const plain = sdp('m=audio 4000 RTP/AVP 0');
    const srtp = sdp('m=audio 4000 RTP/SAVP 0', KEY);
    for (const policy of ['optional', 'tls', 'all'] as const)
      for (const uri of [
        'sip:202@h',
        'sips:202@h',
        'sip:202@h;transport=tls',
        'sip:202@h;transport=tcp',
      ])
        for (const body of [plain, srtp])
          for (const station of ['policy', 'required'] as const)
            expect(refusesPlainMediaTo(policy, uri, body, station)).toBe(
              refusesPlainMedia(policy, contactProtocol(uri), body, station),
            );
  });
});
