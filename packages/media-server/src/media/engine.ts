import { silentLogger } from '../logger';
import { Bridge } from './bridge';
import { MediaStateError } from './errors';
import { Mixer } from './mixer';
import { PortPool } from './port-pool';
import { MediaSession } from './rtp-session';
import { openSource } from './sources';
import { Ticker } from './ticker';
import type {
  AudioSource,
  ConferenceMixer,
  MediaEngine,
  MediaEngineOptions,
  RecorderOptions,
  RtpSession,
  SessionBridge,
  SourceOptions,
} from './types';
import { openWavRecorder } from './wav';
import type { WavRecorder } from './wav';

/**
 * 2 ms sub-ticks: Node timers have 1 ms resolution, and at ~12 µs per packet a slot of 1,000
 * sessions is still a burst of ~1 ms instead of ~12 ms (see README "Media engine", Bench).
 */
const DEFAULT_TICK_SLOTS = 10;

/** Engine internals exposed to tests and the bench beyond the contract. */
export interface MediaEngineInternals extends MediaEngine {
  readonly ticker: Ticker;
  openRecorder(path: string, options?: RecorderOptions): Promise<WavRecorder>;
}

/** Calls `onSilence` once after `frames` consecutive frames below `threshold` (mean |sample|). */
function withSilenceCheck(
  recorder: WavRecorder,
  silence: NonNullable<RecorderOptions['silence']>,
): WavRecorder {
  let quiet = 0;
  let fired = false;
  return {
    path: recorder.path,
    close: () => recorder.close(),
    writeFrame(frame: Int16Array): void {
      recorder.writeFrame(frame);
      if (fired) return;
      let sum = 0;
      for (let i = 0; i < frame.length; i++) sum += Math.abs(frame[i] as number);
      quiet = sum / frame.length < silence.threshold ? quiet + 1 : 0;
      if (quiet >= silence.frames) {
        fired = true;
        silence.onSilence();
      }
    },
  };
}

/**
 * Creates the media engine: a port pool on `address` within [rtpPortMin, rtpPortMax] and one
 * shared ticker. Throws RangeError for a range without a single even/odd port pair.
 */
export async function createMediaEngine(
  options: MediaEngineOptions,
): Promise<MediaEngineInternals> {
  const { address, rtpPortMin, rtpPortMax } = options;
  if (
    !Number.isInteger(rtpPortMin) ||
    !Number.isInteger(rtpPortMax) ||
    rtpPortMin < 1 ||
    rtpPortMax > 65535 ||
    rtpPortMax - (rtpPortMin + (rtpPortMin % 2)) < 1
  ) {
    throw new RangeError(`bad RTP port range ${rtpPortMin}-${rtpPortMax}`);
  }
  const log = (options.logger ?? silentLogger).child({ component: 'media' });
  const ticker = new Ticker({
    slots: options.tickSlots ?? DEFAULT_TICK_SLOTS,
    onError: (err) => log.error({ err }, 'media tick failed'),
  });
  const pool = new PortPool(address, rtpPortMin, rtpPortMax);
  const sessions = new Set<MediaSession>();
  const mixers = new Set<Mixer>();
  const bridges = new Set<Bridge>();
  let closed = false;

  const own = (s: RtpSession): MediaSession => {
    if (!(s instanceof MediaSession) || !sessions.has(s)) {
      throw new MediaStateError('not an open session of this engine');
    }
    return s;
  };

  const engine: MediaEngineInternals = {
    ticker,
    async openSession(): Promise<RtpSession> {
      if (closed) throw new MediaStateError('media engine is closed');
      const pair = await pool.allocate();
      const s = new MediaSession(address, pair, ticker, log.child({ rtpPort: pair.port }));
      sessions.add(s);
      s.on('close', () => sessions.delete(s));
      if (closed) s.close();
      return s;
    },
    createMixer(): ConferenceMixer {
      if (closed) throw new MediaStateError('media engine is closed');
      const m = new Mixer(ticker, openWavRecorder, log);
      mixers.add(m);
      const close = m.close.bind(m);
      m.close = (): void => {
        mixers.delete(m);
        close();
      };
      return m;
    },
    bridge(a: RtpSession, b: RtpSession): SessionBridge {
      const bridge = new Bridge(own(a), own(b));
      // Same sub-tick for both legs: what one receives leaves through the other in that frame.
      ticker.colocate(b as MediaSession, a as MediaSession);
      bridges.add(bridge);
      const close = bridge.close.bind(bridge);
      bridge.close = (): void => {
        bridges.delete(bridge);
        close();
      };
      // A bridge ended by a session's close leaves the set through the same wrapper.
      return bridge;
    },
    openSource(spec: string, opts?: SourceOptions): Promise<AudioSource> {
      return openSource(spec, opts);
    },
    async openRecorder(path: string, opts?: RecorderOptions): Promise<WavRecorder> {
      const r = await openWavRecorder(path);
      return opts?.silence && opts.silence.threshold > 0 ? withSilenceCheck(r, opts.silence) : r;
    },
    stats() {
      return { sessions: sessions.size, portsInUse: pool.size, lateTicks: ticker.lateTicks };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const b of [...bridges]) b.close();
      for (const m of [...mixers]) m.close();
      const all = [...sessions];
      for (const s of all) s.close();
      await Promise.all(all.map((s) => s.released));
      ticker.stop();
    },
  };
  return engine;
}
