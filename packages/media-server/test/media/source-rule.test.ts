import { checkSource } from '../../src/media/source-rule';

const peer = { address: '10.0.0.5', port: 4000 };
const nat = { address: '10.0.0.5', port: 61000 };
const other = { address: '10.0.0.9', port: 4000 };

describe('checkSource (symmetric RTP latch rule)', () => {
  it('accepts nothing before a remote is signalled', () => {
    expect(checkSource(peer, undefined, undefined)).toEqual({ accept: false });
  });

  it('unlatched: any port of the signalled IP latches; other IPs are dropped', () => {
    expect(checkSource(peer, peer, undefined)).toEqual({ accept: true, latch: true });
    expect(checkSource(nat, peer, undefined)).toEqual({ accept: true, latch: true });
    expect(checkSource(other, peer, undefined)).toEqual({ accept: false });
  });

  it('latched: only the latched source, but the signalled address:port takes the latch back', () => {
    expect(checkSource(nat, peer, nat)).toEqual({ accept: true, latch: false });
    expect(checkSource({ address: '10.0.0.5', port: 61002 }, peer, nat)).toEqual({ accept: false });
    expect(checkSource(peer, peer, nat)).toEqual({ accept: true, latch: true });
    expect(checkSource(other, peer, nat)).toEqual({ accept: false });
  });

  it('symmetric off: accepts the signalled IP without latching', () => {
    expect(checkSource(nat, peer, undefined, false)).toEqual({ accept: true, latch: false });
    expect(checkSource(other, peer, undefined, false)).toEqual({ accept: false });
  });
});
