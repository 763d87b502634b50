/** Waits on a mailbox's recording in progress (the deposit's temporary WAV in its folder). */
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from './calls-harness';

/**
 * Resolves once a temporary recording in `boxDir` (voice-mail files root/boxes/<tel>) holds
 * `seconds` of 8 kHz 16-bit audio after its 44-byte header; rejects after `withinMs`.
 */
export async function recordingUnderWay(
  boxDir: string,
  seconds = 2,
  withinMs = 20_000,
): Promise<void> {
  const bytes = 44 + seconds * 16_000;
  await waitFor(
    `${seconds} s recorded in ${boxDir}`,
    () =>
      fs.existsSync(boxDir) &&
      fs
        .readdirSync(boxDir)
        .some((f) => f.startsWith('tmp-') && fs.statSync(path.join(boxDir, f)).size > bytes),
    withinMs,
  );
}
