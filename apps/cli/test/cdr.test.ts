import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CDR_CSV_COLUMNS } from '@pbx/store';
import { CliFixture, expectFailure } from './helpers';

const T0 = Date.parse('2024-05-01T10:00:00Z');

interface RecordJson {
  callRef: string;
  callerTel: string;
  calleeTel: string | null;
  startAt: string;
  answerAt: string | null;
  endAt: string | null;
  disposition: string | null;
  durationMs: number | null;
}

describe('pbx cdr', () => {
  let f: CliFixture;
  beforeEach(async () => {
    f = new CliFixture();
    f.now = T0 + 2 * 3_600_000; // 12:00
    const store = await f.store();
    try {
      // 10:00 201 → 202 answered 62 s; 10:30 203 → 202 forwarded to 204, no answer;
      // 11:30 205 "Doe, Jane" → 201 busy; 11:50 201 dials 601205 (feature); 11:59 206 → 202 still ringing.
      await store.cdrs.record({
        callRef: 'a',
        callerTel: '201',
        callerName: 'Alice',
        calleeTel: '202',
        dialled: '202',
        startAt: T0,
        answerAt: T0 + 3_000,
        at: T0 + 65_000,
        disposition: 'answered',
        sipStatus: 200,
        hangupSide: 'callee',
      });
      await store.cdrs.record({
        callRef: 'b',
        callerTel: '203',
        calleeTel: '204',
        dialled: '202',
        forwardedFrom: '202',
        forwardReason: 'unconditional',
        startAt: T0 + 1_800_000,
        at: T0 + 1_815_000,
        disposition: 'no-answer',
        sipStatus: 480,
        hangupSide: 'system',
      });
      await store.cdrs.record({
        callRef: 'c',
        callerTel: '205',
        callerName: 'Doe, "Jane"',
        calleeTel: '201',
        dialled: '201',
        startAt: T0 + 5_400_000,
        at: T0 + 5_400_100,
        disposition: 'busy',
        sipStatus: 486,
        hangupSide: 'callee',
      });
      await store.cdrs.record({
        callRef: 'd',
        callerTel: '201',
        dialled: '601205',
        feature: 'forward.all',
        note: 'forward-set',
        startAt: T0 + 6_600_000,
        at: T0 + 6_600_000,
        disposition: 'feature',
        sipStatus: 480,
        hangupSide: 'system',
      });
      await store.cdrs.start({
        callRef: 'e',
        callerTel: '206',
        calleeTel: '202',
        dialled: '202',
        startAt: T0 + 7_140_000,
      });
    } finally {
      await store.close();
    }
  });
  afterEach(() => f.cleanup());

  const refs = (rs: RecordJson[]): string[] => rs.map((r) => r.callRef);

  it('lists records oldest first with ISO times in JSON', async () => {
    const all = await f.json<RecordJson[]>('cdr', 'list');
    expect(refs(all)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(all[0]).toMatchObject({
      callerTel: '201',
      calleeTel: '202',
      startAt: '2024-05-01T10:00:00.000Z',
      answerAt: '2024-05-01T10:00:03.000Z',
      endAt: '2024-05-01T10:01:05.000Z',
      disposition: 'answered',
      durationMs: 62_000,
    });
    expect(all[4]).toMatchObject({ disposition: null, endAt: null });
  });

  it('prints a table with the outcome, talk time and markers', async () => {
    const out = await f.ok('cdr', 'list');
    expect(out).toMatch(
      /│ 2024-05-01T10:00:00Z │ 201 \(Alice\)\s+│ 202\s+│ 202\s+│ answered\s+│ 200 │ 1m 2s │ callee\s+│/,
    );
    expect(out).toMatch(/│ no-answer\s+│ 480 │\s+│ system\s+│ forwarded by 202 \(unconditional\)/);
    expect(out).toMatch(
      /│ 601205\s+│\s+│ feature\s+│ 480 │\s+│ system\s+│ forward\.all; forward-set/,
    );
    expect(out).toMatch(/│ in progress/);
  });

  it('filters with --since (duration or ISO), --until, --ext and --limit', async () => {
    expect(refs(await f.json<RecordJson[]>('cdr', 'list', '--since', '1h'))).toEqual([
      'c',
      'd',
      'e',
    ]);
    expect(
      refs(await f.json<RecordJson[]>('cdr', 'list', '--since', '2024-05-01T10:30:00Z')),
    ).toEqual(['b', 'c', 'd', 'e']);
    expect(
      refs(await f.json<RecordJson[]>('cdr', 'list', '--since', '2h', '--until', '1h')),
    ).toEqual(['a', 'b']);
    expect(refs(await f.json<RecordJson[]>('cdr', 'list', '--ext', '201'))).toEqual([
      'a',
      'c',
      'd',
    ]);
    expect(refs(await f.json<RecordJson[]>('cdr', 'list', '--ext', '202'))).toEqual([
      'a',
      'b',
      'e',
    ]);
    expect(
      refs(await f.json<RecordJson[]>('cdr', 'list', '--ext', '202', '--since', '1h')),
    ).toEqual(['e']);
    expect(refs(await f.json<RecordJson[]>('cdr', 'list', '--limit', '2'))).toEqual(['d', 'e']);
    expect(await f.ok('cdr', 'list', '--ext', '299')).toBe('no call records\n');
  });

  it('refuses bad filters with exit 2', async () => {
    expectFailure(
      await f.pbx('cdr', 'list', '--since', 'yesterday'),
      2,
      /^error: --since: must be an ISO time/,
    );
    expectFailure(
      await f.pbx('cdr', 'list', '--until', 'soon'),
      2,
      /^error: --until: must be an ISO time/,
    );
    expectFailure(
      await f.pbx('cdr', 'list', '--limit', '0'),
      2,
      '--limit: must be a positive integer (got "0")',
    );
    expectFailure(
      await f.pbx('cdr', 'list', '--ext', '20a'),
      2,
      /^error: --ext: must be a station or dialled number/,
    );
    expectFailure(await f.pbx('cdr', 'export', '--ext', 'x'), 2, /^error: --ext: /);
  });

  it('exports RFC 4180 CSV with a header row to standard output', async () => {
    const csv = await f.ok('cdr', 'export', '--ext', '201');
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(CDR_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(5); // header, a, c, d, and the empty tail after the last CRLF
    expect(lines[4]).toBe('');
    expect(lines[1]).toBe(
      '1,a,2024-05-01T10:00:00.000Z,2024-05-01T10:00:03.000Z,2024-05-01T10:01:05.000Z,62,201,Alice,202,202,,,,,,answered,200,callee,,,,',
    );
    expect(lines[2]).toContain(',205,"Doe, ""Jane""",201,201,');
    expect(lines[3]).toContain(',forward.all,feature,480,system,forward-set');
  });

  it('exports to a file with --out', async () => {
    const out = join(f.dir, 'calls.csv');
    expect(await f.ok('cdr', 'export', '--since', '1h', '--out', out)).toBe(
      `exported 3 call records to ${out}\n`,
    );
    const lines = readFileSync(out, 'utf8').split('\r\n');
    expect(lines[0]).toBe(CDR_CSV_COLUMNS.join(','));
    expect(lines.slice(1, -1).map((l) => l.split(',')[1])).toEqual(['c', 'd', 'e']);
    expectFailure(
      await f.pbx('cdr', 'export', '--out', join(f.dir, 'missing', 'calls.csv')),
      1,
      /^error: --out: cannot write .*missing\/calls\.csv: ENOENT/,
    );
  });

  it('exports only the header when nothing matches', async () => {
    expect(await f.ok('cdr', 'export', '--ext', '299')).toBe(`${CDR_CSV_COLUMNS.join(',')}\r\n`);
  });
});
