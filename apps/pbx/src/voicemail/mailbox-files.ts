/**
 * Where voice mail keeps its audio: `<data>/voicemail/` beside the database, with `prompts/` and
 * one folder per mailbox under `boxes/<tel>/`. A recording is written under a temporary name
 * (`tmp-….wav`, its caller's details beside it in `tmp-….json`) and becomes a message only once it
 * is complete and judged worth keeping: renamed to `msg-…` and then its row inserted. So a kill
 * leaves a temporary recording (recovery.ts keeps what it holds at the next start, or it is
 * removed) or a renamed file without a row (recovered from its sidecar): never a row without its
 * audio.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { greetingFile } from '@pbx/admin';

export interface CleanupResult {
  /** Temporary recordings of interrupted calls, removed. */
  readonly temporary: number;
  /** Message files without a row, removed. */
  readonly orphans: number;
  /** Rows whose file is gone (relative names): the caller deletes those rows. */
  readonly missing: readonly string[];
}

export class MailboxFiles {
  readonly prompts: string;
  private readonly boxes: string;

  constructor(readonly root: string) {
    this.prompts = path.join(root, 'prompts');
    this.boxes = path.join(root, 'boxes');
  }

  /** The absolute path of a stored name (relative to the voice-mail folder). */
  abs(rel: string): string {
    return path.join(this.root, rel);
  }

  /** A new temporary recording name in the station's folder (relative). */
  temp(tel: string): string {
    return path.join(
      'boxes',
      safeTel(tel),
      `tmp-${Date.now()}-${randomBytes(4).toString('hex')}.wav`,
    );
  }

  /** The message name a finished temporary recording is renamed to (relative). */
  messageName(tel: string): string {
    return path.join(
      'boxes',
      safeTel(tel),
      `msg-${Date.now()}-${randomBytes(4).toString('hex')}.wav`,
    );
  }

  /** The message name of a temporary recording: the same stamp, `msg-` instead of `tmp-`. */
  messageFor(temp: string): string {
    return path.join(path.dirname(temp), path.basename(temp).replace(/^tmp-/, 'msg-'));
  }

  /**
   * The caller's details written beside a temporary recording before it starts (`tmp-….json`),
   * so a recording a kill cut can still become a message at the next start.
   */
  sidecarOf(temp: string): string {
    return temp.replace(/\.wav$/, '.json');
  }

  /** Relative names of the deposits' sidecars left in every mailbox folder. */
  async sidecars(): Promise<string[]> {
    const out: string[] = [];
    for (const tel of await readdir(this.boxes).catch(() => [] as string[])) {
      const files = await readdir(path.join(this.boxes, tel)).catch(() => [] as string[]);
      for (const f of files)
        if (f.startsWith('tmp-') && f.endsWith('.json')) out.push(path.join('boxes', tel, f));
    }
    return out;
  }

  /** The station's own greeting (relative). */
  greetingName(tel: string): string {
    return greetingFile(safeTel(tel));
  }

  /**
   * Start-up clean-up: removes temporary recordings and message files without a row; reports rows
   * whose file is missing.
   */
  async cleanup(known: ReadonlySet<string>): Promise<CleanupResult> {
    let temporary = 0;
    let orphans = 0;
    const seen = new Set<string>();
    const tels = await readdir(this.boxes).catch(() => [] as string[]);
    for (const tel of tels) {
      const dir = path.join(this.boxes, tel);
      const files = await readdir(dir).catch(() => [] as string[]);
      for (const f of files) {
        const rel = path.join('boxes', tel, f);
        if (f.startsWith('tmp-')) {
          await rm(path.join(dir, f), { force: true });
          temporary += 1;
        } else if (f.startsWith('msg-')) {
          if (known.has(rel)) seen.add(rel);
          else {
            await rm(path.join(dir, f), { force: true });
            orphans += 1;
          }
        }
      }
    }
    const missing: string[] = [];
    for (const rel of known) {
      if (seen.has(rel)) continue;
      const there = await stat(this.abs(rel)).then(
        () => true,
        () => false,
      );
      if (!there) missing.push(rel);
    }
    return { temporary, orphans, missing };
  }
}

/** Station numbers are digits; anything else never becomes part of a path. */
function safeTel(tel: string): string {
  if (!/^[0-9]{1,8}$/.test(tel)) throw new RangeError(`not a station number: ${tel}`);
  return tel;
}
