/**
 * `record <path> [limit_secs] [silence_thresh] [silence_hits]` (blocks) and `record_session
 * <path> [+limit]` / `stop_record_session <path|all>` (background) — spec §3.6.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RecorderOptions } from '../../media/types';
import { isTerminator, resolveRecordPath } from '../files';
import { aborted } from './types';
import type { AppCall, Application } from './types';

async function openRecorder(
  call: AppCall,
  file: string,
  options?: RecorderOptions,
): ReturnType<AppCall['ctx']['engine']['openRecorder']> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  return call.ctx.engine.openRecorder(file, options);
}

export const record: Application = async (call) => {
  const { ch, signal, ctx } = call;
  const [rawPath, limitArg, threshArg, hitsArg] = call.arg.trim().split(/\s+/);
  if (!rawPath) return '-ERR no file';
  const file = resolveRecordPath(ch, rawPath);
  const limitMs = Number(limitArg ?? 0) * 1000;
  const thresh = Number(threshArg ?? 0);
  const hitFrames = Math.max(1, Number(hitsArg ?? 3)) * 50;
  let stop: (why: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  let recorder: Awaited<ReturnType<typeof openRecorder>>;
  try {
    // The silence check runs on every frame, so it runs in the engine beside the recorder.
    recorder = await openRecorder(
      call,
      file,
      thresh > 0
        ? { silence: { threshold: thresh, frames: hitFrames, onSilence: () => stop('silence') } }
        : undefined,
    );
  } catch (err) {
    ctx.log.warn({ err: String(err), file }, 'record: cannot open file');
    return '-ERR cannot open file';
  }
  ch.fire('RECORD_START', [['Record-File-Path', file]]);
  ch.rtp.addSink(recorder);
  const previous = ch.digitListener;
  ch.digitListener = (d) => {
    if (isTerminator(ch.vars.get('playback_terminators'), d)) {
      ch.setVar('playback_terminator_used', d);
      stop('terminator');
    }
  };
  const timer = limitMs > 0 ? setTimeout(() => stop('limit'), limitMs) : undefined;
  void aborted(signal).then(() => stop('break'));
  await stopped;
  if (timer) clearTimeout(timer);
  ch.digitListener = previous;
  ch.rtp.removeSink(recorder);
  const result = await recorder.close();
  ch.setVar('record_ms', String(result.ms));
  ch.setVar('record_seconds', String(Math.floor(result.ms / 1000)));
  ch.setVar('record_samples', String(result.samples));
  ch.fire('RECORD_STOP', [['Record-File-Path', file]]);
  return undefined;
};

export const recordSession: Application = async (call) => {
  const { ch, ctx } = call;
  const parts = call.arg.trim().split(/\s+/);
  const rawPath = parts[0];
  if (!rawPath) return '-ERR no file';
  const file = resolveRecordPath(ch, rawPath);
  const limit = parts.slice(1).find((p) => p.startsWith('+'));
  let recorder: Awaited<ReturnType<typeof openRecorder>>;
  try {
    recorder = await openRecorder(call, file);
  } catch (err) {
    ctx.log.warn({ err: String(err), file }, 'record_session: cannot open file');
    return '-ERR cannot open file';
  }
  // FreeSWITCH records both directions mixed unless RECORD_READ_ONLY / RECORD_WRITE_ONLY is set.
  const tap =
    ch.vars.get('RECORD_READ_ONLY') === 'true'
      ? 'read'
      : ch.vars.get('RECORD_WRITE_ONLY') === 'true'
        ? 'write'
        : 'both';
  ch.rtp.addSink(recorder, tap);
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const stop = async (): Promise<void> => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    ch.sessionRecordings.delete(file);
    ch.rtp.removeSink(recorder);
    const result = await recorder.close();
    ch.setVar('record_ms', String(result.ms));
    ch.setVar('record_samples', String(result.samples));
    ch.fire('RECORD_STOP', [['Record-File-Path', file]]);
  };
  if (limit) {
    const secs = Number(limit.slice(1));
    if (secs > 0) timer = setTimeout(() => void stop(), secs * 1000);
  }
  ch.sessionRecordings.set(file, stop);
  ch.fire('RECORD_START', [['Record-File-Path', file]]);
  return undefined;
};

export const stopRecordSession: Application = async (call) => {
  const { ch } = call;
  const target = call.arg.trim();
  const all = target === 'all' || target === '';
  const file = all ? undefined : resolveRecordPath(ch, target);
  for (const [p, stop] of [...ch.sessionRecordings]) if (all || p === file) await stop();
  return undefined;
};
