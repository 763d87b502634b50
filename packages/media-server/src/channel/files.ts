/** Where a playback argument points (spec §3.6 "file names"): variables, sound prefix, rate dirs. */
import fs from 'node:fs';
import path from 'node:path';
import type { Channel } from './channel';

/** Resolves a playback spec: streams pass through; relative names go under the sound prefix. */
/** What name resolution reads from a channel (variables); conference plays have none. */
export type VariableScope = Pick<Channel, 'expand' | 'vars'>;

/** A scope without variables. */
export const noVariables: VariableScope = { expand: (text) => text, vars: new Map() };

export function resolvePlayable(
  ch: VariableScope,
  soundsDir: string | undefined,
  spec: string,
): string {
  const s = ch.expand(spec).trim();
  if (/^[a-z_]+:\/\//.test(s) || path.isAbsolute(s)) return s;
  const prefix = ch.vars.get('sound_prefix') ?? soundsDir;
  if (!prefix) return path.resolve(s);
  const base = path.join(prefix, s);
  if (fs.existsSync(base)) return base;
  for (const rate of ['8000', '16000', '32000', '48000']) {
    const candidate = path.join(path.dirname(base), rate, path.basename(base));
    if (fs.existsSync(candidate)) return candidate;
  }
  return base;
}

/** Recording paths: relative ones go under `recordings_dir` or the working directory. */
export function resolveRecordPath(ch: Channel, spec: string): string {
  const s = ch.expand(spec).trim();
  if (path.isAbsolute(s)) return s;
  return path.resolve(ch.vars.get('recordings_dir') ?? '.', s);
}

/** Does a digit end playback/record under `playback_terminators` (none, any, or a digit set)? */
export function isTerminator(terminators: string | undefined, digit: string): boolean {
  if (terminators === undefined || terminators === '' || terminators === 'none') return false;
  if (terminators === 'any') return true;
  return terminators.includes(digit);
}
