/**
 * The statements of `CdrRepo.writeMany`: a batch of call-record writes in a constant number of
 * statements, two per chunk of up to {@link MAX_ROWS} writes, instead of two per write. A chunk's
 * writes travel as ONE JSON text parameter (as the registration upserts do, see
 * registration-upserts.ts): an `UPDATE … FROM json_each(?)` completes the open row of every call
 * that has one and returns their CallRefs, then an `INSERT … SELECT … FROM json_each(?)` adds a
 * row for each of the others, in the order of the writes.
 *
 * Each write is applied as it would be alone (`upsertOpenRow` in cdr-repo.ts): it updates its
 * call's newest open row (disposition null), or without one inserts a row. A call's writes go to
 * consecutive chunks in their order, one per chunk, so each sees the row its predecessor left:
 * a write after an open updates the row that open left open (it never inserts), and any other
 * write (a call's first, or one after an end) may insert, so it goes to a chunk no earlier than
 * that of every earlier such write, which keeps the new rows' ids in the order of the writes.
 * A batch of opens of new calls and ends of calls opened before is one chunk per 512 writes; an
 * open and its end in one batch take two.
 */
import type { Queryable } from '../database';

/** Column values of one write, keyed by column name (what `upsertOpenRow` takes). */
export type CdrColumns = Readonly<Record<string, string | number | null>>;

/** One write to apply: an open (`openConnected`) or an end (`record`), validated. */
export interface GroupedWrite {
  callRef: string;
  open: boolean;
  columns: CdrColumns;
}

/**
 * Every column an end writes, in the order of a row's values; an open writes the first
 * {@link OPEN_COLUMNS} only (cdr-repo.ts `openColumns` and `endColumns`, which the tests compare
 * with the one-by-one path field by field).
 */
export const WRITE_COLUMNS = [
  'caller_tel',
  'caller_name',
  'callee_tel',
  'dialled',
  'forwarded_from',
  'forward_reason',
  'feature',
  'note',
  'start_at',
  'answer_at',
  'picked_up_from',
  'transferred_by',
  'end_at',
  'disposition',
  'sip_status',
  'hangup_side',
  'trunk',
  'account',
  'charge',
] as const;
const OPEN_COLUMNS = 10;

/** Writes per statement at most (a chunk's JSON text stays around 100 KB). */
export const MAX_ROWS = 512;

/**
 * A row of a chunk's JSON: `[callRef, open (1) or end (0), ...values of WRITE_COLUMNS]`, null
 * for the columns an open does not write.
 */
type JsonRow = Array<string | number | null>;

/**
 * Completes the newest open row of each call of the chunk: an end sets every column, an open
 * those it writes and keeps the others (as `UPDATE … SET` of its columns only).
 */
const UPDATE_SQL = `UPDATE cdrs SET ${WRITE_COLUMNS.map((name, i) =>
  i < OPEN_COLUMNS
    ? `${name} = j.value ->> ${i + 2}`
    : `${name} = CASE WHEN j.value ->> 1 THEN cdrs.${name} ELSE j.value ->> ${i + 2} END`,
).join(', ')}
  FROM json_each(?) AS j
  WHERE cdrs.id = (SELECT max(o.id) FROM cdrs AS o
                   WHERE o.call_ref = j.value ->> 0 AND o.disposition IS NULL)
  RETURNING call_ref`;

/**
 * A row per write, in their order. The columns an open does not write go in as null, their
 * default: the columns of migrations 0005 and 0009 that an open leaves out have no DEFAULT.
 */
const INSERT_SQL = `INSERT INTO cdrs (call_ref, ${WRITE_COLUMNS.join(', ')})
  SELECT j.value ->> 0, ${WRITE_COLUMNS.map((_, i) => `j.value ->> ${i + 2}`).join(', ')}
  FROM json_each(?) AS j ORDER BY j.key`;

/** A lone UTF-16 surrogate: stored as U+FFFD when bound, as something else through JSON. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SURROGATE = /[\ud800-\udfff]/;

/**
 * The chunks of `writes` (indices, each chunk in the order of the writes; `undefined` writes are
 * left out) and their rows, or `undefined` when a value would not come out of JSON as it is
 * stored when bound (a number that is not finite, a value that is neither a string, a number nor
 * null, a CallRef with a UTF-16 surrogate) or the columns are not those expected: those batches
 * go the one-by-one way.
 */
export function planChunks(
  writes: ReadonlyArray<GroupedWrite | undefined>,
): { chunks: number[][]; rows: JsonRow[] } | undefined {
  const chunks: number[][] = [];
  const rows: JsonRow[] = new Array<JsonRow>(writes.length);
  /** The chunk of the newest write of each call so far, and whether it was an open. */
  const last = new Map<string, { chunk: number; open: boolean }>();
  /** The chunk of the newest write that may insert. */
  let inserting = 0;
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i];
    if (!w) continue;
    const row = toRow(w);
    if (!row) return undefined;
    rows[i] = row;
    const prev = last.get(w.callRef);
    const follows = prev !== undefined && prev.open;
    let k = follows ? prev.chunk + 1 : Math.max(inserting, prev ? prev.chunk + 1 : 0);
    while ((chunks[k]?.length ?? 0) >= MAX_ROWS) k++;
    (chunks[k] ??= []).push(i);
    if (!follows) inserting = k;
    last.set(w.callRef, { chunk: k, open: w.open });
  }
  return { chunks, rows };
}

function toRow(w: GroupedWrite): JsonRow | undefined {
  // Two CallRefs told apart here might be stored the same (lone surrogates become U+FFFD).
  if (typeof w.callRef !== 'string' || SURROGATE.test(w.callRef)) return undefined;
  const row: JsonRow = new Array<string | number | null>(WRITE_COLUMNS.length + 2);
  row[0] = w.callRef;
  row[1] = w.open ? 1 : 0;
  const n = w.open ? OPEN_COLUMNS : WRITE_COLUMNS.length;
  // Exactly the columns expected (a column added to openColumns or endColumns but not here goes
  // the one-by-one way, until added).
  if (Object.keys(w.columns).length !== n) return undefined;
  for (let c = 0; c < WRITE_COLUMNS.length; c++) {
    let v = c < n ? w.columns[WRITE_COLUMNS[c]!] : null;
    if (typeof v === 'string') {
      if (SURROGATE.test(v)) v = v.replace(LONE_SURROGATE, '\ufffd');
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return undefined;
    } else if (v !== null) return undefined; // undefined too: a column not written
    row[c + 2] = v;
  }
  return row;
}

/** Applies the planned chunks in order, two statements each (one when every call had a row). */
export async function writeChunks(
  tx: Queryable,
  plan: { chunks: number[][]; rows: JsonRow[] },
): Promise<void> {
  for (const chunk of plan.chunks) {
    const rows = chunk.map((i) => plan.rows[i]!);
    const updated = await tx.all<{ call_ref: string }>(UPDATE_SQL, [JSON.stringify(rows)]);
    if (updated.length === rows.length) continue;
    // A chunk names each call once, so the CallRef tells which writes found no open row.
    const done = new Set(updated.map((r) => r.call_ref));
    const inserts = done.size === 0 ? rows : rows.filter((r) => !done.has(r[0] as string));
    await tx.run(INSERT_SQL, [JSON.stringify(inserts)]);
  }
}
