/**
 * Start-up recovery of the deposits a kill interrupted. Before a recording starts, the caller's
 * details are written beside it (`tmp-X.json`); the recording goes to `tmp-X.wav`, is renamed to
 * `msg-X.wav` when kept, then gets its row, then the sidecar goes. So at the next start each
 * sidecar left says how far its deposit got:
 *
 * - `msg-X.wav` has its row: only the sidecar's removal was cut; nothing to do.
 * - `msg-X.wav` without a row: judged and renamed, the row was cut; the row is written.
 * - `tmp-X.wav`: the recording itself was cut. What it holds (the samples present, whatever its
 *   header says) is judged like any message: enough sound and it is written out as a complete
 *   WAV `msg-X.wav` and gets its row, else it is dropped.
 *
 * Every step can itself be cut: the WAV is written first, the row after, so a rerun finds the
 * same state or the next one. What is left (`tmp-…`, row-less `msg-…`) is the clean-up's
 * (mailbox-files.ts). Malformed sidecars are logged and left to the clean-up.
 */
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '@pbx/store';
import { wavFile } from '../media/hold-tune';
import type { MailboxFiles } from './mailbox-files';
import { auditWav, readPcm16 } from './wav-audit';

/** What the deposit writes beside its recording. */
export interface DepositSidecar {
  readonly tel: string;
  readonly callerTel: string;
  readonly callerName: string;
  readonly receivedAt: number;
}

export interface RecoveryResult {
  /** Recordings cut by a kill, kept as messages (new), by station. */
  readonly kept: readonly string[];
  /** Kept recordings whose row was cut, written now. */
  readonly rows: number;
  /** Cut recordings with too little sound, left to the clean-up. */
  readonly dropped: number;
}

function parseSidecar(text: string, tel: string): DepositSidecar | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (
    o['tel'] !== tel ||
    typeof o['callerTel'] !== 'string' ||
    typeof o['callerName'] !== 'string' ||
    typeof o['receivedAt'] !== 'number'
  )
    return undefined;
  return {
    tel,
    callerTel: o['callerTel'],
    callerName: o['callerName'],
    receivedAt: o['receivedAt'],
  };
}

const exists = (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    () => false,
  );

/** Runs the recovery over every sidecar left; call it before `MailboxFiles.cleanup`. */
export async function recoverDeposits(
  files: MailboxFiles,
  store: Store,
  minMessageMs: number,
  log: Logger,
): Promise<RecoveryResult> {
  const kept: string[] = [];
  let rows = 0;
  let dropped = 0;
  const known = await store.voicemail.files();
  for (const side of await files.sidecars()) {
    const tel = path.basename(path.dirname(side));
    const temp = side.replace(/\.json$/, '.wav');
    const message = files.messageFor(temp);
    const meta = parseSidecar(await readFile(files.abs(side), 'utf8').catch(() => ''), tel);
    if (!meta) {
      log.warn({ file: side }, 'voice mail: unreadable deposit details, recording dropped');
      continue;
    }
    const addRow = async (durationMs: number): Promise<void> => {
      await store.voicemail.addMessage({ ...meta, durationMs, file: message });
    };
    try {
      if (known.has(message)) {
        // Done but for the sidecar.
      } else if (await exists(files.abs(message))) {
        await addRow((await auditWav(files.abs(message))).ms);
        rows += 1;
      } else if (await exists(files.abs(temp))) {
        const audit = await auditWav(files.abs(temp));
        if (audit.soundMs < minMessageMs) {
          dropped += 1;
          continue;
        }
        // A complete WAV (the header of a cut recording may say 0 bytes): then the row.
        const { rate, samples } = await readPcm16(files.abs(temp));
        await writeFile(files.abs(message), wavFile(samples, rate));
        await addRow(audit.ms);
        kept.push(tel);
      }
      await rm(files.abs(temp), { force: true });
      await rm(files.abs(side), { force: true });
    } catch (err) {
      log.warn({ err, file: temp }, 'voice mail: interrupted recording not recovered');
    }
  }
  return { kept, rows, dropped };
}
