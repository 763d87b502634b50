import { SilenceSource, ToneSource, parseToneStream } from './tone-stream';
import { MediaFileError } from './types';
import type { AudioSource, SourceOptions } from './types';
import { SamplesSource, loadWav } from './wav';

/**
 * Opens what `playback` names: `silence_stream://`, `tone_stream://` or an absolute WAV path.
 * `loop` makes any of them endless (endless_playback, music on hold).
 */
export async function openSource(spec: string, options: SourceOptions = {}): Promise<AudioSource> {
  const source = await openRaw(spec, options.loop === true);
  const skip = Math.max(0, Math.floor(options.skipFrames ?? 0));
  return skip > 0 ? skipping(source, skip) : source;
}

/** Skips `frames` frames of a source before its first frame is read (`file@@sample` seek). */
function skipping(source: AudioSource, frames: number): AudioSource {
  let skip = frames;
  return {
    readFrame: () => {
      while (skip > 0) {
        skip -= 1;
        if (source.readFrame() === null) return null;
      }
      return source.readFrame();
    },
    close: () => source.close(),
  };
}

async function openRaw(spec: string, loop: boolean): Promise<AudioSource> {
  if (spec.startsWith('silence_stream://')) {
    const p = SilenceSource.parse(spec.slice('silence_stream://'.length));
    if (!p) throw new MediaFileError('unsupported', spec);
    return new SilenceSource(p.ms, p.level, loop);
  }
  if (spec.startsWith('tone_stream://')) {
    const p = parseToneStream(spec.slice('tone_stream://'.length));
    if (!p.ok) throw new MediaFileError('unsupported', spec, { cause: new Error(p.error) });
    return new ToneSource(p.spec, loop);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) throw new MediaFileError('unsupported', spec);
  return new SamplesSource(await loadWav(spec), loop);
}
