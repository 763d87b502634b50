import { DtmfReceiver, DtmfSender } from '../../src/media/dtmf';
import type { DtmfPacket } from '../../src/media/dtmf';

function runSender(s: DtmfSender, ticks: number): (DtmfPacket | undefined)[] {
  const out: (DtmfPacket | undefined)[] = [];
  for (let i = 0; i < ticks; i++) out.push(s.tick(1000 + i * 160));
  return out;
}

describe('DtmfSender (RFC 4733 out)', () => {
  it('sends one event: marker first, growing duration, end bit three times, then resolves', () => {
    const s = new DtmfSender();
    let done = false;
    s.enqueue('5', 100, () => (done = true));
    const pkts = runSender(s, 8);
    const ev = pkts.filter((p): p is DtmfPacket => p !== undefined);
    // 100 ms = 800 samples = 5 packets of growing duration + 3 end packets.
    expect(ev.map((p) => p.event.duration)).toEqual([160, 320, 480, 640, 800, 800, 800, 800]);
    expect(ev.map((p) => p.event.end)).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
    expect(ev.map((p) => p.marker)).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(new Set(ev.map((p) => p.timestamp))).toEqual(new Set([1000]));
    expect(ev.every((p) => p.event.event === 5)).toBe(true);
    expect(done).toBe(true);
    expect(s.busy).toBe(true); // the inter-digit gap
    runSender(s, 3);
    expect(s.busy).toBe(false);
  });

  it('gives each digit its own start timestamp and pauses for w/W', () => {
    const s = new DtmfSender();
    s.enqueue('1w#', 40, () => undefined);
    const pkts = runSender(s, 60);
    const starts = [
      ...new Set(pkts.filter((p) => p).map((p) => `${p?.event.event}@${p?.timestamp}`)),
    ];
    expect(starts).toHaveLength(2);
    const firstHash = pkts.findIndex((p) => p?.event.event === 11);
    // digit 1 (2 + 3 packets) + 3 gap + 25 pause frames before '#'.
    expect(firstHash).toBe(5 + 3 + 25);
  });

  it('clear() resolves pending digits', () => {
    const s = new DtmfSender();
    let done = 0;
    s.enqueue('123', 100, () => done++);
    s.tick(0);
    s.clear();
    expect(done).toBe(1);
    expect(s.busy).toBe(false);
  });
});

describe('DtmfReceiver (RFC 4733 in)', () => {
  it('reports one digit per event despite three end packets, with duration in samples', () => {
    const r = new DtmfReceiver();
    const got = [
      ...r.receive(500, { event: 1, end: false, volume: 10, duration: 160 }, 0),
      ...r.receive(500, { event: 1, end: false, volume: 10, duration: 320 }, 20),
      ...r.receive(500, { event: 1, end: true, volume: 10, duration: 480 }, 40),
      ...r.receive(500, { event: 1, end: true, volume: 10, duration: 480 }, 41),
      ...r.receive(500, { event: 1, end: true, volume: 10, duration: 480 }, 42),
      ...r.receive(2000, { event: 1, end: true, volume: 10, duration: 800 }, 300),
    ];
    expect(got).toEqual([
      { digit: '1', durationSamples: 480, source: 'RTP' },
      { digit: '1', durationSamples: 800, source: 'RTP' },
    ]);
  });

  it('reports a digit whose end packets were lost, when the next starts or when stale', () => {
    const r = new DtmfReceiver(500);
    expect(r.receive(100, { event: 10, end: false, volume: 10, duration: 320 }, 0)).toEqual([]);
    expect(r.receive(900, { event: 11, end: false, volume: 10, duration: 160 }, 100)).toEqual([
      { digit: '*', durationSamples: 320, source: 'RTP' },
    ]);
    expect(r.poll(200)).toEqual([]);
    expect(r.poll(700)).toEqual([{ digit: '#', durationSamples: 160, source: 'RTP' }]);
    expect(r.poll(2000)).toEqual([]);
    // A late end packet of the digit already reported is ignored.
    expect(r.receive(900, { event: 11, end: true, volume: 10, duration: 480 }, 2100)).toEqual([]);
  });

  it('ignores events that are not digits', () => {
    expect(
      new DtmfReceiver().receive(1, { event: 70, end: true, volume: 0, duration: 1 }, 0),
    ).toEqual([]);
  });
});
