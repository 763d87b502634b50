import {
  canAdd,
  newConference,
  nextConference,
  type ConferenceEvent,
  type ConferenceState,
} from '../../src/state/conference';
import { legId } from '../../src/state/ids';

const L = legId;
const add = (member: string, owner: string, ownerTalking = false): ConferenceEvent => ({
  type: 'add',
  member: { legId: L(`m-${member}`), party: member },
  ownerLeg: { legId: L(`o-${owner}`), party: '201' },
  ownerTalking,
});

function run(s: ConferenceState, ...events: ConferenceEvent[]) {
  const effects = [];
  for (const e of events) {
    const [next, out] = nextConference(s, e);
    s = next;
    effects.push(...out);
  }
  return { s, effects };
}

describe('ad-hoc conference (46), the manual’s flow', () => {
  const fresh = () => newConference('201', 'adhoc', 5);

  it('46 with 202 held: 202 goes onto the mixer, the owner keeps its held leg', () => {
    const { s, effects } = run(fresh(), add('202', 'a'));
    expect(s.phase).toBe('building');
    expect(s.parties).toEqual([{ legId: 'm-202', party: '202', role: 'member' }]);
    expect(s.ownerLeg).toBe('o-a');
    expect(effects).toEqual([{ type: 'toMixer', legId: 'm-202', refresh: false }]);
  });

  it('the owner’s next call connected clears the previous held leg; 46 adds 203; 46 starts', () => {
    let { s } = run(fresh(), add('202', 'a'));
    let r = run(s, { type: 'ownerCallConnected' });
    expect(r.effects).toEqual([{ type: 'release', legId: 'o-a' }]);
    expect(r.s.ownerLeg).toBeNull();
    s = run(r.s, add('203', 'b')).s;
    expect(s.parties.map((p) => p.party)).toEqual(['202', '203']);
    expect(s.ownerLeg).toBe('o-b');
    r = run(s, { type: 'start' });
    expect(r.s.phase).toBe('started');
    // Everyone is re-INVITEd (redundantly for those on the mixer), the owner's held leg too.
    expect(r.effects).toEqual([
      { type: 'toMixer', legId: 'm-202', refresh: true },
      { type: 'toMixer', legId: 'm-203', refresh: true },
      { type: 'toMixer', legId: 'o-b', refresh: false },
    ]);
    expect(r.s.parties.map((p) => p.role)).toEqual(['member', 'member', 'owner']);
    expect(r.s.ownerLeg).toBeNull();
  });

  it('an owner phone that did not hold joins the mixer at once', () => {
    const { s, effects } = run(fresh(), add('202', 'a', true));
    expect(effects).toEqual([
      { type: 'toMixer', legId: 'm-202', refresh: false },
      { type: 'toMixer', legId: 'o-a', refresh: false },
    ]);
    expect(s.ownerLeg).toBeNull();
    expect(s.parties.map((p) => p.role)).toEqual(['member', 'owner']);
  });

  it('an owner that resumes before the start joins the mixer from its own re-INVITE', () => {
    const { s, effects } = run(fresh(), add('202', 'a'), { type: 'ownerResumed' });
    expect(effects.at(-1)).toEqual({ type: 'toMixer', legId: 'o-a', refresh: false });
    expect(s.ownerLeg).toBeNull();
  });

  it('a member leaving a started conference of four leaves three on the mixer', () => {
    const started = run(
      fresh(),
      add('202', 'a'),
      { type: 'ownerCallConnected' },
      add('203', 'b'),
      { type: 'ownerCallConnected' },
      add('204', 'c'),
      { type: 'start' },
    ).s;
    const { s, effects } = run(started, { type: 'left', legId: L('m-203') });
    expect(effects).toEqual([{ type: 'dropEndpoint', legId: 'm-203' }]);
    expect(s.phase).toBe('started');
    expect(s.parties.map((p) => p.party)).toEqual(['202', '204', '201']);
  });

  it('down to two after the start: the two are connected directly and the mixer goes', () => {
    const started = run(fresh(), add('202', 'a'), { type: 'ownerCallConnected' }, add('203', 'b'), {
      type: 'start',
    }).s;
    const { s, effects } = run(started, { type: 'left', legId: L('m-202') });
    expect(s.phase).toBe('ended');
    expect(effects).toEqual([
      { type: 'dropEndpoint', legId: 'm-202' },
      { type: 'dropEndpoint', legId: 'm-203' },
      { type: 'dropEndpoint', legId: 'o-b' },
      { type: 'connectDirect', a: 'm-203', b: 'o-b' },
      { type: 'ended' },
    ]);
  });

  it('owner and one member (46, 46) become a plain call; a lone member is released', () => {
    const two = run(fresh(), add('202', 'a'), { type: 'start' });
    expect(two.effects.map((e) => e.type)).toEqual([
      'toMixer',
      'dropEndpoint',
      'dropEndpoint',
      'connectDirect',
      'ended',
    ]);
    // The owner's held leg was cleared by its next call, which it then hung up: 202 alone.
    const lone = run(fresh(), add('202', 'a'), { type: 'ownerCallConnected' }, { type: 'start' });
    expect(lone.s.phase).toBe('ended');
    expect(lone.effects.slice(-2)).toEqual([
      { type: 'release', legId: 'm-202' },
      { type: 'ended' },
    ]);
  });

  it('while building, members stay whatever their number; the last one gone ends it', () => {
    const building = run(
      fresh(),
      add('202', 'a'),
      { type: 'ownerCallConnected' },
      add('203', 'b'),
    ).s;
    let r = run(building, { type: 'left', legId: L('m-202') });
    expect(r.s.phase).toBe('building');
    expect(r.effects).toEqual([{ type: 'dropEndpoint', legId: 'm-202' }]);
    r = run(r.s, { type: 'left', legId: L('m-203') });
    expect(r.s.phase).toBe('ended');
    expect(r.effects).toEqual([
      { type: 'dropEndpoint', legId: 'm-203' },
      { type: 'release', legId: 'o-b' },
      { type: 'ended' },
    ]);
  });

  it('the limit counts the owner once: four members and the owner make five', () => {
    let s = fresh();
    for (const [i, m] of ['202', '203', '204', '205'].entries()) {
      expect(canAdd(s, 5)).toBe(true);
      s = run(s, add(m, `o${i}`), { type: 'ownerCallConnected' }).s;
    }
    expect(canAdd(s, 5)).toBe(false);
    expect(canAdd(undefined, 5)).toBe(true);
  });

  it('ignores input after the end and unknown legs', () => {
    const ended = { ...newConference('201', 'adhoc', 5), phase: 'ended' as const };
    expect(nextConference(ended, add('202', 'a'))).toEqual([ended, []]);
    const s = run(fresh(), add('202', 'a')).s;
    expect(nextConference(s, { type: 'left', legId: L('nobody') })).toEqual([s, []]);
  });
});

describe('conference room (dial-in)', () => {
  it('answers each caller from the mixer up to the limit, ends when the last leaves', () => {
    let s = newConference('800', 'room', 3);
    const out = [];
    for (const n of ['1', '2', '3', '4']) {
      const [next, effects] = nextConference(s, { type: 'dialIn', legId: L(n), party: n });
      s = next;
      out.push(...effects);
    }
    expect(out).toEqual([
      { type: 'answerOnMixer', legId: '1' },
      { type: 'answerOnMixer', legId: '2' },
      { type: 'answerOnMixer', legId: '3' },
      { type: 'refuse', legId: '4', reason: 'full' },
    ]);
    // Two left: a room is not collapsed, the others wait for more.
    let r = run(s, { type: 'left', legId: L('1') }, { type: 'left', legId: L('2') });
    expect(r.s.phase).toBe('started');
    r = run(r.s, { type: 'left', legId: L('3') });
    expect(r.s.phase).toBe('ended');
    expect(r.effects.at(-1)).toEqual({ type: 'ended' });
  });
});
