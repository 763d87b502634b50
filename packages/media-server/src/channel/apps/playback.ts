/**
 * `playback` and `endless_playback` (spec §3.6): delimiter lists, `@@<sample>` seek, terminators,
 * `playback_timeout_sec`, PLAYBACK_START/STOP, FILE PLAYED / FILE NOT FOUND, playback_* variables.
 */
import { MediaFileError } from '../../media/types';
import type { AudioSource, PlaybackResult } from '../../media/types';
import type { Channel } from '../channel';
import { isTerminator, resolvePlayable } from '../files';
import type { AppCall, Application } from './types';

export interface PlayOutcome {
  status: 'played' | 'not-found' | 'error' | 'break' | 'terminated';
  ms: number;
  samples: number;
  terminator?: string;
}

/**
 * Plays a list of files to the channel; stops at a terminator digit (when `onDigit` says so),
 * uuid_break (signal) or hangup. Shared with play_and_get_digits.
 */
export async function playFiles(
  call: AppCall,
  files: string[],
  opts: { loop?: boolean; stopOnDigit?: (digit: string) => boolean; timeoutMs?: number } = {},
): Promise<PlayOutcome> {
  const { ctx, ch, signal } = call;
  let total = { ms: 0, samples: 0 };
  let terminator: string | undefined;
  let stopAll = false;
  const onAbort = (): void => {
    stopAll = true;
    ch.rtp.stopPlayback();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const previous = ch.digitListener;
  ch.digitListener = (digit) => {
    previous?.(digit);
    if (opts.stopOnDigit?.(digit)) {
      terminator = digit;
      stopAll = true;
      ch.rtp.stopPlayback();
    }
  };
  const timer = opts.timeoutMs ? setTimeout(onAbort, opts.timeoutMs) : undefined;
  try {
    for (const raw of files) {
      if (stopAll || signal.aborted || !ch.isUp) break;
      const m = /^(.*)@@(\d+)$/.exec(raw);
      const spec = resolvePlayable(ch, ctx.config.soundsDir, m ? m[1]! : raw);
      let source: AudioSource;
      try {
        // A `@@<sample>` seek is done in the engine (the source may live in the media thread).
        source = await ctx.engine.openSource(spec, {
          loop: opts.loop,
          skipFrames: m ? Math.floor(Number(m[2]) / 160) : 0,
        });
      } catch (err) {
        if (err instanceof MediaFileError) {
          ctx.log.info(
            { uuid: ch.uuid, file: spec, code: err.code },
            'playback: file not playable',
          );
          return { status: 'not-found', ...total };
        }
        ctx.log.warn({ err, file: spec }, 'playback: could not open');
        return { status: 'error', ...total };
      }
      if (stopAll || signal.aborted || !ch.isUp) {
        // Broken while the source was opening (a round trip to the media thread).
        source.close();
        break;
      }
      ch.fire('PLAYBACK_START', [['Playback-File-Path', spec]]);
      let result: PlaybackResult;
      try {
        result = await ch.rtp.play(source);
      } finally {
        source.close();
      }
      total = { ms: total.ms + result.ms, samples: total.samples + result.samples };
      const status = result.reason === 'done' ? 'done' : 'break';
      ch.fire('PLAYBACK_STOP', [
        ['Playback-File-Path', spec],
        ['Playback-Status', status],
      ]);
      if (result.reason !== 'done') return { status: 'break', ...total, terminator };
    }
    return {
      status: terminator ? 'terminated' : stopAll ? 'break' : 'played',
      ...total,
      terminator,
    };
  } finally {
    if (timer) clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    ch.digitListener = previous;
  }
}

function setPlaybackVars(ch: Channel, o: PlayOutcome): void {
  ch.setVar('playback_seconds', String(Math.floor(o.ms / 1000)));
  ch.setVar('playback_ms', String(o.ms));
  ch.setVar('playback_samples', String(o.samples));
  ch.setVar('playback_last_offset_pos', String(o.samples));
  if (o.terminator) ch.setVar('playback_terminator_used', o.terminator);
}

function fileList(ch: Channel, arg: string): string[] {
  const delim = ch.vars.get('playback_delimiter');
  return delim && arg.includes(delim) ? arg.split(delim).filter((f) => f.length > 0) : [arg];
}

export const playback: Application = async (call) => {
  const { ch } = call;
  const timeoutSec = Number(ch.vars.get('playback_timeout_sec') ?? 0);
  const outcome = await playFiles(call, fileList(ch, call.arg), {
    stopOnDigit: (d) => isTerminator(ch.vars.get('playback_terminators'), d),
    timeoutMs: timeoutSec > 0 ? timeoutSec * 1000 : undefined,
  });
  setPlaybackVars(ch, outcome);
  if (outcome.status === 'not-found') return 'FILE NOT FOUND';
  if (outcome.status === 'error') return 'PLAYBACK ERROR';
  return 'FILE PLAYED';
};

export const endlessPlayback: Application = async (call) => {
  const outcome = await playFiles(call, [call.arg], { loop: true });
  setPlaybackVars(call.ch, outcome);
  if (outcome.status === 'not-found') return 'FILE NOT FOUND';
  return 'FILE PLAYED';
};
