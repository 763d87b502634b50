/**
 * A mailbox's own greeting, set from a WAV file (`pbx vm greeting`, `PUT
 * /api/stations/:tel/voicemail/greeting`) or reset to the default one. The file must be one the
 * media server plays as it is (RIFF/WAVE, 16-bit PCM, mono, 8 or 16 kHz) and between half a
 * second and a minute long, as a greeting recorded from the phone menu is at most; anything
 * else is refused with what is wrong and the sox command that converts it, rather than converted
 * here (a resampler is not this package's business and sox does it better).
 */
import { rename, rm, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { wavInfo } from '@pbx/config';
import type { Store } from '@pbx/store';
import { InputError } from './errors';

/** Longest greeting (s): as long as the phone menu records one. */
export const GREETING_MAX_SECONDS = 60;
/** Shortest greeting (s): less is a click, not a greeting. */
export const GREETING_MIN_SECONDS = 0.5;
/** Largest file taken: a minute at 16 kHz, with room for extra chunks (bytes). */
export const GREETING_MAX_BYTES = GREETING_MAX_SECONDS * 16_000 * 2 + 64 * 1024;

const CONVERT = 'convert it: sox in.wav -r 8000 -c 1 -b 16 greeting.wav';

/** The greeting's file name, relative to the voice-mail folder (as the phone menu stores it). */
export function greetingFile(tel: string): string {
  if (!/^[0-9]{1,8}$/.test(tel)) throw new InputError(`${tel}: not a station number`);
  return path.join('boxes', tel, 'greeting.wav');
}

/** What a greeting file holds, or an {@link InputError} saying what is wrong with it. */
export function checkGreeting(wav: Buffer, label: string): { sampleRate: number; seconds: number } {
  if (wav.length > GREETING_MAX_BYTES)
    throw new InputError(
      `${label}: ${wav.length} bytes is too big for a greeting of at most ${GREETING_MAX_SECONDS} s`,
    );
  let info: ReturnType<typeof wavInfo>;
  try {
    info = wavInfo(wav, label);
  } catch (err) {
    throw new InputError(`${(err as Error).message}; ${CONVERT}`);
  }
  if (info.dataAt + info.dataBytes > wav.length)
    throw new InputError(
      `${label}: the file is cut short (${info.dataBytes} bytes of audio announced, ${Math.max(0, wav.length - info.dataAt)} there)`,
    );
  if (info.seconds < GREETING_MIN_SECONDS)
    throw new InputError(
      `${label}: ${info.seconds.toFixed(2)} s is too short for a greeting (at least ${GREETING_MIN_SECONDS} s)`,
    );
  if (info.seconds > GREETING_MAX_SECONDS)
    throw new InputError(
      `${label}: ${info.seconds.toFixed(1)} s is too long for a greeting (at most ${GREETING_MAX_SECONDS} s)`,
    );
  return { sampleRate: info.sampleRate, seconds: info.seconds };
}

/**
 * Checks `wav` and makes it the station's greeting: written under a temporary name and renamed
 * over the old one (a caller never hears half a file), then the mailbox row names it.
 * `voicemailDir` is the voice-mail folder (beside the database).
 */
export async function setGreeting(
  store: Store,
  voicemailDir: string,
  tel: string,
  wav: Buffer,
  label: string,
): Promise<{ sampleRate: number; seconds: number }> {
  const info = checkGreeting(wav, label);
  const rel = greetingFile(tel);
  const abs = path.join(voicemailDir, rel);
  await mkdir(path.dirname(abs), { recursive: true });
  const temp = `${abs}.${process.pid}-${Date.now()}.part`;
  try {
    await writeFile(temp, wav);
    await rename(temp, abs);
  } finally {
    await rm(temp, { force: true });
  }
  await store.voicemail.setBox(tel, { greeting: rel });
  return info;
}

/** Back to the default greeting: the row first (callers hear the default at once), then the file. */
export async function resetGreeting(
  store: Store,
  voicemailDir: string,
  tel: string,
): Promise<void> {
  const rel = greetingFile(tel);
  await store.voicemail.setBox(tel, { greeting: '' });
  await rm(path.join(voicemailDir, rel), { force: true });
}
