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
  RtpSession,
  SessionBridge,
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
  openRecorder(path: string): Promise<WavRecorder>;
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
    openSource(spec: string, opts?: { loop?: boolean }): Promise<AudioSource> {
      return openSource(spec, opts);
    },
    openRecorder: openWavRecorder,
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
