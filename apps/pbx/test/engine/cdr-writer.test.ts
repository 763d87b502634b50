import { Writable } from 'node:stream';
import pino from 'pino';
import {
  CdrWriter,
  type CallRecordInput,
  type CdrSink,
  type CdrWrite,
  type OpenCallInput,
} from '../../src/engine/cdr-writer';

/** A pino logger whose lines are kept, parsed. */
function capturingLogger(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

const end = (callRef: string): CallRecordInput => ({
  callRef,
  callerTel: '201',
  dialled: '202',
  disposition: 'busy',
  sipStatus: 486,
});
const open = (callRef: string): OpenCallInput => ({
  callRef,
  callerTel: '201',
  dialled: '202',
  answerAt: 1,
});

/** A sink that stores groups when `release` is called, failing the writes named in `failing`. */
class GroupSink implements CdrSink {
  readonly groups: string[][] = [];
  readonly failing = new Set<string>();
  private waiting: Array<() => void> = [];

  async write(): Promise<void> {
    throw new Error('writeMany expected');
  }

  async writeMany(writes: readonly CdrWrite[]): Promise<unknown[]> {
    this.groups.push(writes.map((w) => `${w.kind}:${w.record.callRef}`));
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return writes.map((w) =>
      this.failing.has(w.record.callRef) ? new Error('disk full') : undefined,
    );
  }

  /** Lets the writes under way finish; resolves once one is waiting to be released. */
  async release(): Promise<void> {
    while (this.waiting.length === 0) await new Promise((r) => setImmediate(r));
    for (const r of this.waiting.splice(0)) r();
  }
}

describe('CdrWriter', () => {
  test('the records of one turn go in one group, in order; each is told once it is stored', async () => {
    const { log, lines } = capturingLogger();
    const sink = new GroupSink();
    const w = new CdrWriter(sink, log);
    const told: string[] = [];
    w.onWritten((r) => told.push(r.callRef));
    w.open(open('c1'));
    w.record(end('c0'));
    w.record(end('c1'));
    let flushed = false;
    const flushing = w.flush().then(() => (flushed = true));
    await sink.release();
    // c1's open is superseded by its end in the same group.
    expect(sink.groups).toEqual([['end:c0', 'end:c1']]);
    // Records arriving while a group is being written form the next group.
    w.record(end('c2'));
    w.open(open('c3'));
    await flushing;
    expect(told).toEqual(['c0', 'c1']);
    expect(flushed).toBe(true);
    const second = w.flush();
    await sink.release();
    await second;
    expect(sink.groups).toEqual([
      ['end:c0', 'end:c1'],
      ['end:c2', 'open:c3'],
    ]);
    expect(told).toEqual(['c0', 'c1', 'c2']);
    expect(lines.filter((l) => l.msg === 'call record').map((l) => l.callRef)).toEqual([
      'c0',
      'c1',
      'c2',
    ]);
  });

  test('a write the sink refuses is logged and not told; the others are', async () => {
    const { log, lines } = capturingLogger();
    const sink = new GroupSink();
    sink.failing.add('bad').add('bad-open');
    const w = new CdrWriter(sink, log);
    const told: string[] = [];
    w.onWritten((r) => told.push(r.callRef));
    w.record(end('ok-1'));
    w.record(end('bad'));
    w.open(open('bad-open'));
    w.record(end('ok-2'));
    const flushing = w.flush();
    await sink.release();
    await flushing;
    expect(told).toEqual(['ok-1', 'ok-2']);
    const errors = lines.filter((l) => l.level === 50).map((l) => [l.msg, l.callRef]);
    expect(errors).toEqual([
      ['call record not written', 'bad'],
      ['open call record not written', 'bad-open'],
    ]);
  });

  test('with a window, records a few ms apart share a group', async () => {
    const { log } = capturingLogger();
    const sink = new GroupSink();
    const w = new CdrWriter(sink, log, 1_000);
    w.record(end('w1'));
    // A later turn, well inside the window (which a same-turn group would not wait for).
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    w.record(end('w2'));
    const flushing = w.flush();
    await sink.release();
    await flushing;
    expect(sink.groups).toEqual([['end:w1', 'end:w2']]);
  });

  test('a sink without writeMany gets the writes one by one, in order', async () => {
    const { log } = capturingLogger();
    const calls: string[] = [];
    const sink: CdrSink = {
      async write(r) {
        calls.push(`end:${r.callRef}`);
        if (r.callRef === 'bad') throw new Error('no');
      },
      async open(r) {
        calls.push(`open:${r.callRef}`);
      },
    };
    const w = new CdrWriter(sink, log);
    const told: string[] = [];
    w.onWritten((r) => told.push(r.callRef));
    w.open(open('a'));
    w.open(open('b'));
    w.record(end('bad'));
    w.record(end('a'));
    await w.flush();
    // a's open is superseded by its end in the same group; b's is not.
    expect(calls).toEqual(['open:b', 'end:bad', 'end:a']);
    expect(told).toEqual(['a']);
  });

  test('an open whose end is in the same group is not written; one whose end comes later is', async () => {
    const { log } = capturingLogger();
    const sink = new GroupSink();
    const w = new CdrWriter(sink, log);
    const told: string[] = [];
    w.onWritten((r) => told.push(r.callRef));
    w.open(open('short'));
    w.open(open('long'));
    w.record(end('short'));
    const first = w.flush();
    await sink.release();
    await first;
    w.record(end('long'));
    const second = w.flush();
    await sink.release();
    await second;
    expect(sink.groups).toEqual([['open:long', 'end:short'], ['end:long']]);
    expect(told).toEqual(['short', 'long']);
  });

  test('an end written before its own open keeps that open (only later ends supersede)', async () => {
    const { log } = capturingLogger();
    const sink = new GroupSink();
    const w = new CdrWriter(sink, log);
    w.record(end('x'));
    w.open(open('x'));
    const flushing = w.flush();
    await sink.release();
    await flushing;
    expect(sink.groups).toEqual([['end:x', 'open:x']]);
  });

  test('when the end that superseded an open is not stored, the open is written after all', async () => {
    const { log, lines } = capturingLogger();
    const sink = new GroupSink();
    const w = new CdrWriter(sink, log);
    const told: string[] = [];
    w.onWritten((r) => told.push(r.callRef));
    // The sink refuses ends of 'e' (by call ref) but stores the rest; the first attempt fails.
    const refusing = new Set(['e']);
    const writeMany = sink.writeMany.bind(sink);
    sink.writeMany = async (writes) => {
      const errors = await writeMany(writes);
      return writes.map((x, i) =>
        x.kind === 'end' && refusing.has(x.record.callRef) ? new Error('disk full') : errors[i],
      );
    };
    w.open(open('e'));
    w.open(open('ok'));
    w.record(end('e'));
    w.record(end('ok'));
    const flushing = w.flush();
    await sink.release();
    await sink.release();
    await flushing;
    expect(sink.groups).toEqual([['end:e', 'end:ok'], ['open:e']]);
    expect(told).toEqual(['ok']);
    const errors = lines.filter((l) => l.level === 50).map((l) => [l.msg, l.callRef]);
    expect(errors).toEqual([['call record not written', 'e']]);
  });

  test('a whole group refused: the superseded opens are tried alone, and what fails is logged', async () => {
    const { log, lines } = capturingLogger();
    const sink = new GroupSink();
    sink.failing.add('gone');
    const w = new CdrWriter(sink, log);
    w.open(open('gone'));
    w.record(end('gone'));
    const flushing = w.flush();
    await sink.release();
    await sink.release();
    await flushing;
    expect(sink.groups).toEqual([['end:gone'], ['open:gone']]);
    const errors = lines.filter((l) => l.level === 50).map((l) => [l.msg, l.callRef]);
    expect(errors).toEqual([
      ['call record not written', 'gone'],
      ['open call record not written', 'gone'],
    ]);
  });
});
