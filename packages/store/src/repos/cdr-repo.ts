import type { Database, Queryable } from '../database';
import { ConflictError, NotFoundError } from '../errors';
import { planChunks, writeChunks, type CdrColumns, type GroupedWrite } from './cdr-grouped-writes';

/** How a call attempt ended. `feature`: the digits were a feature code (answered 480). */
export type CdrDisposition =
  'answered' | 'no-answer' | 'busy' | 'rejected' | 'cancelled' | 'failed' | 'feature';
/** Who ended the call: a party's BYE/CANCEL, or the PBX (timeout, error, feature code). */
export type HangupSide = 'caller' | 'callee' | 'system';
/** RFC 5806 diversion reasons. */
export type ForwardReason =
  | 'unknown'
  | 'user-busy'
  | 'no-answer'
  | 'unavailable'
  | 'unconditional'
  | 'time-of-day'
  | 'do-not-disturb'
  | 'deflection'
  | 'follow-me'
  | 'out-of-service'
  | 'away';

/** Every disposition, in the order the CLI documents them. */
export const CDR_DISPOSITIONS: readonly CdrDisposition[] = [
  'answered',
  'no-answer',
  'busy',
  'rejected',
  'cancelled',
  'failed',
  'feature',
];

/** One call attempt. Times are epoch ms. */
export interface CallRecord {
  id: number;
  /** Our CallRef (one per call), not a SIP Call-ID. */
  callRef: string;
  callerTel: string;
  callerName: string;
  /** The station rung last or the one that answered; null when nothing rang. */
  calleeTel: string | null;
  /** The digits dialled (station, ring group, feature code with argument). */
  dialled: string;
  /** The station whose forward sent the call to `calleeTel` (newest Diversion). */
  forwardedFrom: string | null;
  forwardReason: ForwardReason | null;
  /** The station whose ringing call was picked up; `calleeTel` is then the picking station. */
  pickedUpFrom: string | null;
  /** The station that transferred the call. */
  transferredBy: string | null;
  /** The feature id when the digits were a feature code. */
  feature: string | null;
  startAt: number;
  answerAt: number | null;
  endAt: number | null;
  /** Null while the call is in progress. */
  disposition: CdrDisposition | null;
  /** Final SIP status given to the caller. */
  sipStatus: number | null;
  hangupSide: HangupSide | null;
  /** Talk time (end − answer); null when not answered or not ended. */
  durationMs: number | null;
  /** A feature's result or why it changed nothing. */
  note: string;
  /** `restart`: the call was up when the PBX stopped without ending it; the next start closed it. */
  endReason: 'restart' | null;
  /** The trunk of an outside call (in or out); null for internal calls. */
  trunk: string | null;
  /** The account the call is billed to (a station or an auth code's account). */
  account: string | null;
  /** The rated price in micro-units; null when not rated. */
  charge: number | null;
}

/** Fields that may be filled in or corrected while the call goes on. */
export interface CallRecordPatch {
  callerName?: string;
  calleeTel?: string | null;
  forwardedFrom?: string | null;
  forwardReason?: ForwardReason | null;
  pickedUpFrom?: string | null;
  transferredBy?: string | null;
  note?: string;
  trunk?: string | null;
  account?: string | null;
  charge?: number | null;
}

/** Input of {@link CdrRepo.start}: what is known when the INVITE arrives. */
export interface CallAttempt {
  callRef: string;
  callerTel: string;
  callerName?: string;
  calleeTel?: string | null;
  dialled: string;
  forwardedFrom?: string | null;
  forwardReason?: ForwardReason | null;
  feature?: string | null;
  note?: string;
  /** Defaults to the repository's clock. */
  startAt?: number;
}

/** Input of {@link CdrRepo.answer}. */
export interface CallAnswer extends CallRecordPatch {
  at?: number;
}

/** Input of {@link CdrRepo.end}. */
export interface CallEnd extends CallRecordPatch {
  at?: number;
  disposition: CdrDisposition;
  sipStatus?: number | null;
  hangupSide?: HangupSide | null;
}

/** Which records {@link CdrRepo.list}, `count`, `iterate` and `exportCsv` look at. */
export interface CdrFilter {
  /** Started at or after (epoch ms). */
  since?: number;
  /** Started before (epoch ms). */
  until?: number;
  /**
   * Calls that involve this number: as caller, callee, forwarding station, the station picked up
   * from, or the transferring station.
   */
  ext?: string;
  callRef?: string;
  disposition?: CdrDisposition;
  /** Calls billed to this account. */
  account?: string;
  /** Calls on this trunk. */
  trunk?: string;
}

/** One page of {@link CdrRepo.list}. */
export interface CdrPage {
  /** Newest records to return (default 100). */
  limit?: number;
  /** Only records older than this id: pass the first id of the previous page to page back. */
  beforeId?: number;
}

/**
 * One write of {@link CdrRepo.writeMany}: `open` is {@link CdrRepo.openConnected}'s input,
 * `end` is {@link CdrRepo.record}'s.
 */
export type CdrWrite =
  | { kind: 'open'; record: CallAttempt & { answerAt: number } }
  | { kind: 'end'; record: CallAttempt & CallEnd & { answerAt?: number | null } };

interface Row {
  id: number;
  call_ref: string;
  caller_tel: string;
  caller_name: string;
  callee_tel: string | null;
  dialled: string;
  forwarded_from: string | null;
  forward_reason: ForwardReason | null;
  picked_up_from: string | null;
  transferred_by: string | null;
  feature: string | null;
  start_at: number;
  answer_at: number | null;
  end_at: number | null;
  disposition: CdrDisposition | null;
  sip_status: number | null;
  hangup_side: HangupSide | null;
  duration_ms: number | null;
  note: string;
  end_reason: 'restart' | null;
  trunk: string | null;
  account: string | null;
  charge: number | null;
}

const toRecord = (r: Row): CallRecord => ({
  id: r.id,
  callRef: r.call_ref,
  callerTel: r.caller_tel,
  callerName: r.caller_name,
  calleeTel: r.callee_tel,
  dialled: r.dialled,
  forwardedFrom: r.forwarded_from,
  forwardReason: r.forward_reason,
  pickedUpFrom: r.picked_up_from,
  transferredBy: r.transferred_by,
  feature: r.feature,
  startAt: r.start_at,
  answerAt: r.answer_at,
  endAt: r.end_at,
  disposition: r.disposition,
  sipStatus: r.sip_status,
  hangupSide: r.hangup_side,
  durationMs: r.duration_ms,
  note: r.note,
  endReason: r.end_reason ?? null,
  trunk: r.trunk,
  account: r.account,
  charge: r.charge,
});

const PATCH_COLUMNS: Record<keyof CallRecordPatch, string> = {
  callerName: 'caller_name',
  calleeTel: 'callee_tel',
  forwardedFrom: 'forwarded_from',
  forwardReason: 'forward_reason',
  pickedUpFrom: 'picked_up_from',
  transferredBy: 'transferred_by',
  note: 'note',
  trunk: 'trunk',
  account: 'account',
  charge: 'charge',
};
const PATCH_KEYS = Object.keys(PATCH_COLUMNS) as (keyof CallRecordPatch)[];

/** The columns of {@link CdrRepo.exportCsv}, in order. */
export const CDR_CSV_COLUMNS = [
  'id',
  'call_ref',
  'start',
  'answer',
  'end',
  'duration_s',
  'caller',
  'caller_name',
  'callee',
  'dialled',
  'forwarded_from',
  'forward_reason',
  'picked_up_from',
  'transferred_by',
  'feature',
  'disposition',
  'sip_status',
  'hangup_side',
  'note',
  'trunk',
  'account',
  'charge',
] as const;

/**
 * The `cdrs` table: one row per call attempt, inserted when the call starts (`start`), then
 * `answer` and `end`. Writes do not bump a change counter. Listing is by id, which follows
 * insertion and so the start of the calls.
 */
export class CdrRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Records a new call attempt (disposition still null). */
  async start(input: CallAttempt): Promise<CallRecord> {
    const row = (
      await this.db.all<Row>(
        `INSERT INTO cdrs (call_ref, caller_tel, caller_name, callee_tel, dialled, forwarded_from,
           forward_reason, feature, note, start_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          input.callRef,
          input.callerTel,
          input.callerName ?? '',
          input.calleeTel ?? null,
          input.dialled,
          input.forwardedFrom ?? null,
          input.forwardReason ?? null,
          input.feature ?? null,
          input.note ?? '',
          input.startAt ?? this.clock(),
        ],
      )
    )[0];
    return toRecord(row as Row);
  }

  /**
   * A finished attempt in one write, for calls that end at once (a feature code answered 480, an
   * unknown number answered 404). `at` is the end; the start defaults to it.
   */
  async record(input: CallAttempt & CallEnd & { answerAt?: number | null }): Promise<CallRecord> {
    const columns = this.endColumns(input);
    return this.db.transaction((tx) => writeOpenRow(tx, input.callRef, columns));
  }

  /**
   * Writes a call that has just connected, still open (disposition null), so that a crash before
   * its end cannot lose it: {@link record} completes this row when the call ends, and
   * {@link closeInterrupted} closes it at the next start if the PBX never got there.
   */
  async openConnected(input: CallAttempt & { answerAt: number }): Promise<CallRecord> {
    const columns = openColumns(input);
    return this.db.transaction((tx) => writeOpenRow(tx, input.callRef, columns));
  }

  /**
   * {@link openConnected} and {@link record} for many calls, in this order, in one
   * `BEGIN IMMEDIATE … COMMIT` and two statements per chunk of up to 512 writes (see
   * cdr-grouped-writes.ts), instead of a transaction and four or five statements each: what a
   * busy PBX's call records cost. The rows are the same, ids included. Resolves once committed,
   * with, per write, `undefined` when stored or the error that kept that one out; a COMMIT that
   * fails rejects every write. When a grouped statement fails (a row breaks a constraint), the
   * batch is rolled back and written again two statements per write, so that only the bad write
   * fails (SQLite undoes the failing statement only).
   */
  async writeMany(writes: readonly CdrWrite[]): Promise<Array<unknown>> {
    const errors: unknown[] = writes.map(() => undefined);
    const grouped = writes.map((w, i): GroupedWrite | undefined => {
      try {
        const columns = w.kind === 'open' ? openColumns(w.record) : this.endColumns(w.record);
        return { callRef: w.record.callRef, open: w.kind === 'open', columns };
      } catch (err) {
        errors[i] = err;
        return undefined;
      }
    });
    if (grouped.every((g) => g === undefined)) return errors;
    const plan = planChunks(grouped);
    if (plan) {
      try {
        await this.db.transaction((tx) =>
          writeChunks(tx, plan).catch((err: unknown) => {
            throw new GroupRefused('grouped call-record write failed', { cause: err });
          }),
        );
        return errors;
      } catch (err) {
        // BEGIN or COMMIT failed: every write's error, as below.
        if (!(err instanceof GroupRefused)) throw err;
      }
    }
    await this.db.transaction(async (tx) => {
      // One after the other: each write's two statements must run in their order.
      for (let i = 0; i < writes.length; i++) {
        const g = grouped[i];
        if (!g) continue;
        await upsertOpenRow(tx, g.callRef, g.columns, g.open).catch(
          (err: unknown) => void (errors[i] = err),
        );
      }
    });
    return errors;
  }

  /** The columns {@link record} writes; throws when the end is not possible. */
  private endColumns(
    input: CallAttempt & CallEnd & { answerAt?: number | null },
  ): Record<string, string | number | null> {
    const endAt = input.at ?? this.clock();
    const answerAt = input.answerAt ?? null;
    checkEnd(undefined, input.disposition, answerAt, input.feature ?? null);
    return {
      ...attemptColumns(input),
      picked_up_from: input.pickedUpFrom ?? null,
      transferred_by: input.transferredBy ?? null,
      start_at: input.startAt ?? endAt,
      answer_at: answerAt,
      end_at: endAt,
      disposition: input.disposition,
      sip_status: input.sipStatus ?? null,
      hangup_side: input.hangupSide ?? null,
      trunk: input.trunk ?? null,
      account: input.account ?? null,
      charge: input.charge ?? null,
    };
  }

  /**
   * Closes every record still open: calls the PBX was carrying when it stopped without ending
   * them. They end at `at` (the restart; the real end is unknown but not later), by the system,
   * with `end_reason` 'restart'. Returns how many were closed.
   */
  async closeInterrupted(at: number = this.clock()): Promise<number> {
    const r = await this.db.run(
      `UPDATE cdrs SET
         end_at = MAX(?, start_at, COALESCE(answer_at, start_at)),
         disposition = CASE WHEN answer_at IS NULL THEN 'failed' ELSE 'answered' END,
         sip_status = COALESCE(sip_status, CASE WHEN answer_at IS NULL THEN 500 ELSE 200 END),
         hangup_side = 'system',
         end_reason = 'restart',
         note = CASE WHEN note = '' THEN 'ended by PBX restart'
                ELSE note || '; ended by PBX restart' END
       WHERE disposition IS NULL`,
      [at],
    );
    return r.changes;
  }

  /** Fills in or corrects fields of a record (a forward found, a pickup, a transfer). */
  async update(id: number, patch: CallRecordPatch): Promise<CallRecord> {
    return this.db.transaction(async (tx) => {
      await mustGet(tx, id);
      await applyPatch(tx, id, patch, {});
      return mustGet(tx, id);
    });
  }

  /** Marks the call answered. A second answer keeps the first time (a 200 retransmission). */
  async answer(id: number, input: CallAnswer = {}): Promise<CallRecord> {
    return this.db.transaction(async (tx) => {
      const current = await mustGet(tx, id);
      const extra: Record<string, unknown> =
        current.answerAt === null ? { answer_at: input.at ?? this.clock() } : {};
      await applyPatch(tx, id, input, extra);
      return mustGet(tx, id);
    });
  }

  /**
   * Ends the call. An end after the record was ended is ignored (the record is returned as it
   * was). `answered` needs an answer time; `feature` needs the record's feature id.
   */
  async end(id: number, input: CallEnd): Promise<CallRecord> {
    return this.db.transaction(async (tx) => {
      const current = await mustGet(tx, id);
      if (current.disposition !== null) return current;
      checkEnd(id, input.disposition, current.answerAt, current.feature);
      await applyPatch(tx, id, input, {
        end_at: input.at ?? this.clock(),
        disposition: input.disposition,
        sip_status: input.sipStatus ?? null,
        hangup_side: input.hangupSide ?? null,
      });
      return mustGet(tx, id);
    });
  }

  async get(id: number): Promise<CallRecord | undefined> {
    const row = await this.db.get<Row>('SELECT * FROM cdrs WHERE id = ?', [id]);
    return row ? toRecord(row) : undefined;
  }

  /** The newest record of a call. */
  async findByCallRef(callRef: string): Promise<CallRecord | undefined> {
    const row = await this.db.get<Row>(
      'SELECT * FROM cdrs WHERE call_ref = ? ORDER BY id DESC LIMIT 1',
      [callRef],
    );
    return row ? toRecord(row) : undefined;
  }

  /** The newest `limit` records matching the filter, returned oldest first. */
  async list(filter: CdrFilter & CdrPage = {}): Promise<CallRecord[]> {
    const { where, params } = whereClause(filter);
    if (filter.beforeId !== undefined) {
      where.push('id < ?');
      params.push(filter.beforeId);
    }
    const limit = Math.max(0, Math.floor(filter.limit ?? 100));
    const rows = await this.db.all<Row>(
      `SELECT * FROM cdrs ${sqlWhere(where)} ORDER BY id DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.reverse().map(toRecord);
  }

  async count(filter: CdrFilter = {}): Promise<number> {
    const { where, params } = whereClause(filter);
    const row = await this.db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM cdrs ${sqlWhere(where)}`,
      params,
    );
    return row?.n ?? 0;
  }

  /** Every matching record, oldest first, read `pageSize` at a time (for exports). */
  async *iterate(filter: CdrFilter = {}, pageSize = 500): AsyncGenerator<CallRecord> {
    let after = 0;
    for (;;) {
      const { where, params } = whereClause(filter);
      where.push('id > ?');
      const rows = await this.db.all<Row>(
        `SELECT * FROM cdrs ${sqlWhere(where)} ORDER BY id LIMIT ?`,
        [...params, after, Math.max(1, pageSize)],
      );
      for (const r of rows) yield toRecord(r);
      const last = rows.at(-1);
      if (!last || rows.length < pageSize) return;
      after = last.id;
    }
  }

  /**
   * Writes the matching records as RFC 4180 CSV (header row, CRLF line ends, fields quoted when
   * they hold a comma, quote, CR or LF), oldest first. Times are ISO 8601 UTC with milliseconds,
   * the duration in seconds. `write` may return a promise to apply back-pressure. Returns the
   * number of records written.
   */
  async exportCsv(filter: CdrFilter, write: (chunk: string) => unknown): Promise<number> {
    await write(csvLine(CDR_CSV_COLUMNS));
    let n = 0;
    let chunk = '';
    for await (const r of this.iterate(filter)) {
      chunk += csvLine(csvFields(r));
      n++;
      if (n % 500 === 0) {
        await write(chunk);
        chunk = '';
      }
    }
    if (chunk) await write(chunk);
    return n;
  }

  /** Deletes records that started before `before`; returns how many. */
  async prune(before: number): Promise<number> {
    return (await this.db.run('DELETE FROM cdrs WHERE start_at < ?', [before])).changes;
  }
}

function whereClause(filter: CdrFilter): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.since !== undefined) {
    where.push('start_at >= ?');
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    where.push('start_at < ?');
    params.push(filter.until);
  }
  if (filter.ext !== undefined) {
    // One equality per indexed column, so SQLite can use its multi-index OR plan.
    where.push(
      '(caller_tel = ? OR callee_tel = ? OR forwarded_from = ? OR picked_up_from = ? OR transferred_by = ?)',
    );
    params.push(filter.ext, filter.ext, filter.ext, filter.ext, filter.ext);
  }
  if (filter.callRef !== undefined) {
    where.push('call_ref = ?');
    params.push(filter.callRef);
  }
  if (filter.account !== undefined) {
    where.push('account = ?');
    params.push(filter.account);
  }
  if (filter.trunk !== undefined) {
    where.push('trunk = ?');
    params.push(filter.trunk);
  }
  if (filter.disposition !== undefined) {
    where.push('disposition = ?');
    params.push(filter.disposition);
  }
  return { where, params };
}

/** `answered` needs an answer time and `feature` a feature id (the table checks both too). */
function checkEnd(
  id: number | undefined,
  disposition: CdrDisposition,
  answerAt: number | null,
  feature: string | null,
): void {
  const what = id === undefined ? 'a call record' : `call record ${id}`;
  if (disposition === 'answered' && answerAt === null) {
    throw new ConflictError(`${what} cannot end as answered: it was never answered`);
  }
  if (disposition === 'feature' && feature === null) {
    throw new ConflictError(`${what} cannot end as a feature call: it names no feature`);
  }
}

/** A grouped statement of {@link CdrRepo.writeMany} failed: its batch is written one by one. */
class GroupRefused extends Error {
  override name = 'GroupRefused';
}

const sqlWhere = (where: string[]): string => (where.length ? `WHERE ${where.join(' AND ')}` : '');

async function mustGet(q: Queryable, id: number): Promise<CallRecord> {
  const row = await q.get<Row>('SELECT * FROM cdrs WHERE id = ?', [id]);
  if (!row) throw new NotFoundError('call record', String(id));
  return toRecord(row);
}

async function applyPatch(
  q: Queryable,
  id: number,
  patch: CallRecordPatch,
  extra: Record<string, unknown>,
): Promise<void> {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const key of PATCH_KEYS) {
    if (patch[key] === undefined) continue;
    sets.push(`${PATCH_COLUMNS[key]} = ?`);
    values.push(patch[key]);
  }
  for (const [column, value] of Object.entries(extra)) {
    sets.push(`${column} = ?`);
    values.push(value);
  }
  if (sets.length === 0) return;
  await q.run(`UPDATE cdrs SET ${sets.join(', ')} WHERE id = ?`, [...values, id]);
}

const iso = (ms: number | null): string => (ms === null ? '' : new Date(ms).toISOString());

function csvFields(r: CallRecord): string[] {
  return [
    String(r.id),
    r.callRef,
    iso(r.startAt),
    iso(r.answerAt),
    iso(r.endAt),
    r.durationMs === null ? '' : String(r.durationMs / 1000),
    r.callerTel,
    r.callerName,
    r.calleeTel ?? '',
    r.dialled,
    r.forwardedFrom ?? '',
    r.forwardReason ?? '',
    r.pickedUpFrom ?? '',
    r.transferredBy ?? '',
    r.feature ?? '',
    r.disposition ?? '',
    r.sipStatus === null ? '' : String(r.sipStatus),
    r.hangupSide ?? '',
    r.note,
    r.trunk ?? '',
    r.account ?? '',
    r.charge === null ? '' : formatMoney(r.charge),
  ];
}

/** One RFC 4180 record: fields with a comma, quote, CR or LF are quoted, quotes doubled. */
export function csvLine(fields: readonly string[]): string {
  return `${fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',')}\r\n`;
}

/** Micro-units as a decimal amount with up to 6 places, trailing zeros kept to 2 (`1.5` → `1.50`). */
export function formatMoney(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / 1_000_000);
  let frac = String(abs % 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${sign}${whole}.${frac}`;
}

/**
 * Writes `columns` into the call's open row (written when it connected, disposition still null)
 * or, without one, into a new row: one call, one row, whichever comes first.
 */
async function writeOpenRow(
  tx: Queryable,
  callRef: string,
  columns: CdrColumns,
): Promise<CallRecord> {
  const names = Object.keys(columns);
  const values = Object.values(columns);
  const open = await tx.get<{ id: number }>(
    'SELECT id FROM cdrs WHERE call_ref = ? AND disposition IS NULL ORDER BY id DESC LIMIT 1',
    [callRef],
  );
  if (open) {
    await tx.run(`UPDATE cdrs SET ${names.map((n) => `${n} = ?`).join(', ')} WHERE id = ?`, [
      ...values,
      open.id,
    ]);
    return mustGet(tx, open.id);
  }
  const row = await tx.get<Row>(
    `INSERT INTO cdrs (call_ref, ${names.join(', ')})
     VALUES (?${', ?'.repeat(names.length)}) RETURNING *`,
    [callRef, ...values],
  );
  return toRecord(row as Row);
}

/** Who called whom and how: the columns an open and an ended record both write. */
function attemptColumns(input: CallAttempt): Record<string, string | number | null> {
  return {
    caller_tel: input.callerTel,
    caller_name: input.callerName ?? '',
    callee_tel: input.calleeTel ?? null,
    dialled: input.dialled,
    forwarded_from: input.forwardedFrom ?? null,
    forward_reason: input.forwardReason ?? null,
    feature: input.feature ?? null,
    note: input.note ?? '',
  };
}

/** The columns {@link CdrRepo.openConnected} writes. */
function openColumns(
  input: CallAttempt & { answerAt: number },
): Record<string, string | number | null> {
  return {
    ...attemptColumns(input),
    start_at: Math.min(input.startAt ?? input.answerAt, input.answerAt),
    answer_at: input.answerAt,
  };
}

/** The call's newest open row (written when it connected, disposition still null). */
const OPEN_ROW =
  'SELECT id FROM cdrs WHERE call_ref = ? AND disposition IS NULL ORDER BY id DESC LIMIT 1';

/**
 * {@link writeOpenRow} in two statements, no row read back: an UPDATE of the
 * call's open row and an INSERT of a new one guarded by "no open row". For an open record the
 * UPDATE goes first (the INSERT then sees the row still open and adds none); for an end the
 * INSERT goes first (with an open row it adds none and the UPDATE closes that row; without, it
 * adds the closed row and the UPDATE finds no open one). Either way: one call, one row.
 */
async function upsertOpenRow(
  tx: Queryable,
  callRef: string,
  columns: CdrColumns,
  open: boolean,
): Promise<void> {
  const names = Object.keys(columns);
  const values = Object.values(columns);
  const update = (): Promise<unknown> =>
    tx.run(`UPDATE cdrs SET ${names.map((n) => `${n} = ?`).join(', ')} WHERE id = (${OPEN_ROW})`, [
      ...values,
      callRef,
    ]);
  const insert = (): Promise<unknown> =>
    tx.run(
      `INSERT INTO cdrs (call_ref, ${names.join(', ')})
       SELECT ?${', ?'.repeat(names.length)}
       WHERE NOT EXISTS (SELECT 1 FROM cdrs WHERE call_ref = ? AND disposition IS NULL)`,
      [callRef, ...values, callRef],
    );
  if (open) {
    await update();
    await insert();
  } else {
    await insert();
    await update();
  }
}
