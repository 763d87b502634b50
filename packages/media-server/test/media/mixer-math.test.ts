import { accumulate, mixMinusOwn } from '../../src/media/mixer';

describe('mixer math', () => {
  it('each output is the sum minus its own contribution', () => {
    const a = new Int16Array(160).fill(100);
    const b = new Int16Array(160).fill(-30);
    const c = new Int16Array(160).fill(7);
    const acc = new Int32Array(160);
    for (const f of [a, b, c]) accumulate(acc, f);
    expect(acc[0]).toBe(77);
    expect(mixMinusOwn(acc, a, null)[0]).toBe(-23);
    expect(mixMinusOwn(acc, b, null)[5]).toBe(107);
    expect(mixMinusOwn(acc, c, null)[159]).toBe(70);
    expect(mixMinusOwn(acc, null, null)[0]).toBe(77); // a muted or silent member hears everyone
  });

  it('adds a private playback and clamps only at the end', () => {
    const loud = new Int16Array(160).fill(30000);
    const acc = new Int32Array(160);
    accumulate(acc, loud);
    accumulate(acc, loud);
    accumulate(acc, loud);
    expect(acc[0]).toBe(90000); // no wrap in the accumulator
    expect(mixMinusOwn(acc, loud, null)[0]).toBe(32767);
    const neg = new Int16Array(160).fill(-32768);
    const acc2 = new Int32Array(160);
    accumulate(acc2, neg);
    accumulate(acc2, neg);
    expect(mixMinusOwn(acc2, null, neg)[0]).toBe(-32768);
    expect(mixMinusOwn(acc2, neg, loud)[0]).toBe(-2768);
  });
});
