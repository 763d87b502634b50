import { InvalidStateError } from '../../src/state/errors';
import {
  answerDirection,
  directionToOffer,
  initialMedia,
  isHolding,
  isOnHold,
  nextMedia,
  type Direction,
  type MediaDirectionState,
  type MediaEffect,
  type MediaEvent,
  type SideMedia,
} from '../../src/state/media-direction';
import { sdpDirection, withDirection } from '../../src/sip/sdp';

const BOTH: SideMedia = { wantsToSend: true, wantsToReceive: true };
const HOLDING: SideMedia = { wantsToSend: true, wantsToReceive: false }; // sent sendonly
const MUTED: SideMedia = { wantsToSend: false, wantsToReceive: true }; // sent recvonly
const OFF: SideMedia = { wantsToSend: false, wantsToReceive: false }; // sent inactive

function run(
  s: MediaDirectionState,
  ...events: MediaEvent[]
): [MediaDirectionState, MediaEffect[][]] {
  const all: MediaEffect[][] = [];
  for (const e of events) {
    const [next, effects] = nextMedia(s, e);
    s = next;
    all.push(effects);
  }
  return [s, all];
}

describe('directionToOffer (RFC 3264 §8.4)', () => {
  const cases: Array<[SideMedia, SideMedia, Direction]> = [
    [BOTH, BOTH, 'sendrecv'],
    [HOLDING, BOTH, 'sendonly'],
    [OFF, BOTH, 'inactive'],
    [BOTH, HOLDING, 'recvonly'],
    // The recipient already holds (recvonly towards it): holding it too gives inactive.
    [HOLDING, HOLDING, 'inactive'],
    [MUTED, BOTH, 'recvonly'],
    [BOTH, MUTED, 'sendonly'],
    [BOTH, OFF, 'inactive'],
  ];
  it.each(cases)('from %j to %j → %s', (from, to, d) => {
    expect(directionToOffer(from, to)).toBe(d);
  });
});

describe('answerDirection (RFC 3264 §6.1)', () => {
  const cases: Array<[Direction, Direction, Direction]> = [
    ['sendrecv', 'sendrecv', 'sendrecv'],
    ['sendonly', 'sendrecv', 'recvonly'],
    ['recvonly', 'sendrecv', 'sendonly'],
    ['inactive', 'sendrecv', 'inactive'],
    ['sendonly', 'sendonly', 'inactive'],
    ['sendrecv', 'sendonly', 'sendonly'],
  ];
  it.each(cases)('offer %s, wanting %s → %s', (offered, wanted, answer) => {
    expect(answerDirection(offered, wanted)).toBe(answer);
  });
});

describe('hold and resume relayed through the PBX', () => {
  it('a holds b (sendonly), b answers recvonly, a resumes (sendrecv)', () => {
    const [held, [offerFx, answerFx]] = run(
      initialMedia(),
      { type: 'offer', from: 'a', direction: 'sendonly' },
      { type: 'answer', from: 'b', direction: 'recvonly' },
    );
    expect(offerFx).toEqual([
      { type: 'sendOffer', to: 'b', direction: 'sendonly' },
      { type: 'holdChanged', side: 'b', onHold: true },
    ]);
    expect(answerFx).toEqual([{ type: 'sendAnswer', to: 'a', direction: 'recvonly' }]);
    expect(isOnHold(held, 'b')).toBe(true);
    expect(isHolding(held, 'a')).toBe(true);
    expect(held.pending).toBeNull();

    const [resumed, [resumeFx, resumeAnswerFx]] = run(
      held,
      { type: 'offer', from: 'a', direction: 'sendrecv' },
      { type: 'answer', from: 'b', direction: 'sendrecv' },
    );
    expect(resumeFx).toEqual([
      { type: 'sendOffer', to: 'b', direction: 'sendrecv' },
      { type: 'holdChanged', side: 'b', onHold: false },
    ]);
    expect(resumeAnswerFx).toEqual([{ type: 'sendAnswer', to: 'a', direction: 'sendrecv' }]);
    expect(resumed).toEqual(initialMedia());
  });

  it('both hold: b is offered inactive, and a resuming keeps b holding', () => {
    // a holds b.
    const [s1] = run(
      initialMedia(),
      { type: 'offer', from: 'a', direction: 'sendonly' },
      { type: 'answer', from: 'b', direction: 'recvonly' },
    );
    // b now holds too: its phone offers inactive (it was recvonly).
    const [s2, [fx2]] = run(
      s1,
      { type: 'offer', from: 'b', direction: 'inactive' },
      { type: 'answer', from: 'a', direction: 'inactive' },
    );
    expect(fx2?.[0]).toEqual({ type: 'sendOffer', to: 'a', direction: 'inactive' });
    expect(isHolding(s2, 'a')).toBe(true);
    expect(isHolding(s2, 'b')).toBe(true);
    // a resumes with sendrecv: b still holds, so b must not be offered sendrecv but recvonly.
    const [s3, [fx3, fx3b]] = run(
      s2,
      { type: 'offer', from: 'a', direction: 'sendrecv' },
      { type: 'answer', from: 'b', direction: 'sendonly' },
    );
    expect(fx3).toEqual([
      { type: 'sendOffer', to: 'b', direction: 'recvonly' },
      { type: 'holdChanged', side: 'b', onHold: false },
    ]);
    expect(fx3b).toEqual([{ type: 'sendAnswer', to: 'a', direction: 'sendonly' }]);
    expect(isOnHold(s3, 'a')).toBe(true);
    expect(isHolding(s3, 'b')).toBe(true);
  });

  it('an inactive hold is relayed as inactive', () => {
    const [, [fx]] = run(initialMedia(), { type: 'offer', from: 'b', direction: 'inactive' });
    expect(fx).toEqual([
      { type: 'sendOffer', to: 'a', direction: 'inactive' },
      { type: 'holdChanged', side: 'a', onHold: true },
    ]);
  });

  it('a refused re-INVITE leaves the session as it was and relays the status', () => {
    const [s, [, fx]] = run(
      initialMedia(),
      { type: 'offer', from: 'a', direction: 'sendonly' },
      { type: 'offerRejected', from: 'b', status: 488 },
    );
    expect(fx).toEqual([
      { type: 'reject', to: 'a', status: 488 },
      { type: 'holdChanged', side: 'b', onHold: false },
    ]);
    expect(s).toEqual(initialMedia());
  });

  it('ignores an answer from the wrong side and a repeated answer', () => {
    const [s1] = run(initialMedia(), { type: 'offer', from: 'a', direction: 'sendonly' });
    expect(nextMedia(s1, { type: 'answer', from: 'a', direction: 'recvonly' })).toEqual([s1, []]);
    const [s2] = run(s1, { type: 'answer', from: 'b', direction: 'recvonly' });
    expect(nextMedia(s2, { type: 'answer', from: 'b', direction: 'recvonly' })).toEqual([s2, []]);
  });
});

describe('overlapping re-INVITEs (RFC 3261 14.2)', () => {
  it('answers glare with 491', () => {
    const [s1] = run(initialMedia(), { type: 'offer', from: 'a', direction: 'sendonly' });
    expect(nextMedia(s1, { type: 'offer', from: 'b', direction: 'sendonly' })).toEqual([
      s1,
      [{ type: 'reject', to: 'b', status: 491 }],
    ]);
  });
  it('answers a second re-INVITE from the same side with 500', () => {
    const [s1] = run(initialMedia(), { type: 'offer', from: 'a', direction: 'sendonly' });
    expect(nextMedia(s1, { type: 'offer', from: 'a', direction: 'sendrecv' })).toEqual([
      s1,
      [{ type: 'reject', to: 'a', status: 500 }],
    ]);
  });
  it('answers a re-INVITE crossing our own with 491', () => {
    const [s1] = run(initialMedia(), { type: 'reoffer', to: 'b' });
    expect(nextMedia(s1, { type: 'offer', from: 'b', direction: 'sendrecv' })[1]).toEqual([
      { type: 'reject', to: 'b', status: 491 },
    ]);
  });

  // Glare on our own re-INVITE (a's hold learned from its ACK, on its way to b) while b's
  // re-INVITE crosses it: each end answers the other 491. b retries its own; only a retry of
  // ours tells b that a holds, so the reducer asks for one, and the retry carries the hold.
  it('retries our own re-INVITE after glare, and the retry still carries the hold', () => {
    const [s1, [, fx2]] = run(
      initialMedia(),
      { type: 'offer', from: 'a', direction: null },
      { type: 'answer', from: 'a', direction: 'sendonly' },
    );
    expect(fx2).toEqual([
      { type: 'sendOffer', to: 'b', direction: 'sendonly' },
      { type: 'holdChanged', side: 'b', onHold: true },
    ]);
    // b's crossing re-INVITE gets 491, and so does ours from b.
    const [s2, [fx3, fx4]] = run(
      s1,
      { type: 'offer', from: 'b', direction: 'sendrecv' },
      { type: 'offerRejected', from: 'b', status: 491 },
    );
    expect(fx3).toEqual([{ type: 'reject', to: 'b', status: 491 }]);
    expect(fx4).toEqual([{ type: 'retryOffer', to: 'b' }]);
    expect(s2).toEqual({ a: HOLDING, b: BOTH, pending: null });
    // The retry (a reoffer once the wait is over) offers b the hold again; b's answer settles it.
    const [s3, [fx5, fx6]] = run(
      s2,
      { type: 'reoffer', to: 'b' },
      { type: 'answer', from: 'b', direction: 'recvonly' },
    );
    expect(fx5).toEqual([{ type: 'sendOffer', to: 'b', direction: 'sendonly' }]);
    expect(fx6).toEqual([]);
    expect(s3).toEqual({ a: HOLDING, b: BOTH, pending: null });
  });

  it('does not retry our re-INVITE after a refusal other than 491', () => {
    const [s1] = run(initialMedia(), { type: 'reoffer', to: 'b' });
    expect(nextMedia(s1, { type: 'offerRejected', from: 'b', status: 488 })).toEqual([
      initialMedia(),
      [],
    ]);
  });

  it('passes a 491 to a relayed re-INVITE back to its sender, who retries it', () => {
    const [s1] = run(initialMedia(), { type: 'offer', from: 'a', direction: 'sendonly' });
    const [s2, [fx]] = run(s1, { type: 'offerRejected', from: 'b', status: 491 });
    expect(fx).toEqual([
      { type: 'reject', to: 'a', status: 491 },
      { type: 'holdChanged', side: 'b', onHold: false },
    ]);
    expect(s2).toEqual(initialMedia());
  });
});

describe('re-INVITE without SDP', () => {
  it('offers the other side’s media in the 2xx and learns nothing new from a sendrecv ACK', () => {
    const [s, [fx1, fx2]] = run(
      initialMedia(),
      { type: 'offer', from: 'a', direction: null },
      { type: 'answer', from: 'a', direction: 'sendrecv' },
    );
    expect(fx1).toEqual([{ type: 'offerInAnswer', to: 'a', direction: 'sendrecv' }]);
    expect(fx2).toEqual([]);
    expect(s).toEqual(initialMedia());
  });

  it('keeps the other side’s hold in the offer', () => {
    const held = initialMedia(BOTH, HOLDING); // b holds a
    const [, [fx]] = run(held, { type: 'offer', from: 'a', direction: null });
    expect(fx).toEqual([{ type: 'offerInAnswer', to: 'a', direction: 'sendonly' }]);
  });

  it('relays a hold given in the ACK to the other side', () => {
    const [s, [, fx2, fx3]] = run(
      initialMedia(),
      { type: 'offer', from: 'a', direction: null },
      { type: 'answer', from: 'a', direction: 'sendonly' },
      { type: 'answer', from: 'b', direction: 'recvonly' },
    );
    expect(fx2).toEqual([
      { type: 'sendOffer', to: 'b', direction: 'sendonly' },
      { type: 'holdChanged', side: 'b', onHold: true },
    ]);
    expect(fx3).toEqual([]);
    expect(isHolding(s, 'a')).toBe(true);
    expect(s.pending).toBeNull();
  });

  it('an ACK without the answer changes nothing', () => {
    const [s] = run(
      initialMedia(),
      { type: 'offer', from: 'b', direction: null },
      { type: 'offerRejected', from: 'b', status: 400 },
    );
    expect(s).toEqual(initialMedia());
  });
});

describe('PBX re-offers (after transfer, park retrieve, pickup)', () => {
  it('offers sendrecv to a party that was held by someone who left', () => {
    // The retriever (b) is fresh; the parked party (a) still wants both ways.
    const [s, [fx, fx2]] = run(
      initialMedia(BOTH, BOTH),
      { type: 'reoffer', to: 'a' },
      { type: 'answer', from: 'a', direction: 'sendrecv' },
    );
    expect(fx).toEqual([{ type: 'sendOffer', to: 'a', direction: 'sendrecv' }]);
    expect(fx2).toEqual([]);
    expect(s.pending).toBeNull();
  });

  it('keeps a party’s own hold when re-offering to it', () => {
    const [, [fx]] = run(initialMedia(HOLDING, BOTH), { type: 'reoffer', to: 'a' });
    expect(fx).toEqual([{ type: 'sendOffer', to: 'a', direction: 'recvonly' }]);
  });

  it('refuses a re-offer while an exchange is pending', () => {
    const [s1] = run(initialMedia(), { type: 'offer', from: 'a', direction: 'sendonly' });
    expect(() => nextMedia(s1, { type: 'reoffer', to: 'a' })).toThrow(InvalidStateError);
  });

  it('learns only what the answer could tell', () => {
    // We offered recvonly to a (b holds), so a's answer says nothing about a receiving.
    const start = initialMedia({ wantsToSend: true, wantsToReceive: false }, HOLDING);
    const [s] = run(
      start,
      { type: 'reoffer', to: 'a' },
      { type: 'answer', from: 'a', direction: 'sendonly' },
    );
    expect(s.a).toEqual({ wantsToSend: true, wantsToReceive: false });
  });
});

describe('sdpDirection', () => {
  const sdp = (...lines: string[]) => lines.join('\r\n') + '\r\n';
  const head = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0'];
  const cases: Array<[string, string, Direction]> = [
    ['no attribute', sdp(...head, 'm=audio 4000 RTP/AVP 0'), 'sendrecv'],
    ['media level', sdp(...head, 'm=audio 4000 RTP/AVP 0', 'a=sendonly'), 'sendonly'],
    [
      'session level',
      sdp(...head.slice(0, 4), 'a=recvonly', 't=0 0', 'm=audio 4000 RTP/AVP 0'),
      'recvonly',
    ],
    [
      'media overrides session',
      sdp(...head, 'a=inactive', 'm=audio 4000 RTP/AVP 0', 'a=sendrecv'),
      'sendrecv',
    ],
    [
      'first audio stream wins',
      sdp(...head, 'm=audio 4000 RTP/AVP 0', 'a=sendonly', 'm=audio 4002 RTP/AVP 0', 'a=inactive'),
      'sendonly',
    ],
    [
      'video first is skipped',
      sdp(...head, 'm=video 5000 RTP/AVP 96', 'a=inactive', 'm=audio 4000 RTP/AVP 0', 'a=recvonly'),
      'recvonly',
    ],
    [
      'old hold c=0.0.0.0',
      sdp(
        'v=0',
        'o=- 1 1 IN IP4 127.0.0.1',
        's=-',
        'c=IN IP4 0.0.0.0',
        't=0 0',
        'm=audio 4000 RTP/AVP 0',
      ),
      'sendonly',
    ],
    [
      'old hold at media level with recvonly',
      sdp(...head, 'm=audio 4000 RTP/AVP 0', 'c=IN IP4 0.0.0.0', 'a=recvonly'),
      'inactive',
    ],
    ['LF line endings', ['v=0', 'm=audio 4000 RTP/AVP 0', 'a=inactive'].join('\n'), 'inactive'],
  ];
  it.each(cases)('%s', (_name, body, d) => {
    expect(sdpDirection(body)).toBe(d);
  });
});

describe('withDirection', () => {
  it('replaces direction attributes at every level and keeps CRLF', () => {
    const body = [
      'v=0',
      's=-',
      'a=sendrecv',
      'm=audio 4000 RTP/AVP 0',
      'a=rtpmap:0 PCMU/8000',
      'a=sendrecv',
      'm=video 5000 RTP/AVP 96',
      '',
    ].join('\r\n');
    expect(withDirection(body, 'sendonly')).toBe(
      [
        'v=0',
        's=-',
        'm=audio 4000 RTP/AVP 0',
        'a=rtpmap:0 PCMU/8000',
        'a=sendonly',
        'm=video 5000 RTP/AVP 96',
        'a=sendonly',
        '',
      ].join('\r\n'),
    );
  });
  it('round-trips through sdpDirection', () => {
    // sdp-transform writes the mandatory s= line, so the body has one.
    const body = 'v=0\ns=-\nc=IN IP4 127.0.0.1\nm=audio 4000 RTP/AVP 0\n';
    for (const d of ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const) {
      expect(sdpDirection(withDirection(body, d))).toBe(d);
    }
    expect(withDirection(body, 'inactive')).toBe(
      'v=0\ns=-\nc=IN IP4 127.0.0.1\nm=audio 4000 RTP/AVP 0\na=inactive\n',
    );
  });
});
