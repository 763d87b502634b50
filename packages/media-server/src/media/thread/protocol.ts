/**
 * Messages between the control thread (the proxy in `remote-engine.ts`) and the media worker
 * (`engine-worker.ts`). One message per control operation (open, play, mute, close…), never per
 * packet or frame: audio stays in the worker. Object ids are chosen by the control side so calls
 * that return an object synchronously (createMixer, addMember, bridge) need no round trip.
 */
import type { GcPauseStats } from '../gc-pauses';
import type { DtmfEvent, PlaybackResult, RecordingResult, RemoteMedia } from '../types';

export type Tap = 'read' | 'write' | 'both';

/** Control → worker. `req` asks for a `reply`; the others are fire-and-forget. */
export type Command =
  | { op: 'openSession'; req: number; sid: number }
  | { op: 'setRemote'; sid: number; remote: RemoteMedia }
  | { op: 'play'; req: number; sid: number; src: number }
  | { op: 'stopPlayback'; sid: number }
  | { op: 'addSink'; sid: number; rec: number; tap: Tap }
  | { op: 'removeSink'; sid: number; rec: number }
  | { op: 'sendDtmf'; req: number; sid: number; digits: string; msPerDigit?: number }
  | { op: 'setMute'; sid: number; which: 'read' | 'write'; on: boolean }
  | { op: 'closeSession'; sid: number }
  | { op: 'createMixer'; mid: number }
  | { op: 'addMember'; mid: number; sid: number; mute: boolean; deaf: boolean }
  | { op: 'removeMember'; mid: number; sid: number }
  | { op: 'setMember'; mid: number; sid: number; what: 'mute' | 'deaf'; on: boolean }
  | { op: 'mixerPlay'; req: number; mid: number; src: number; to?: number }
  | { op: 'mixerStop'; mid: number }
  | { op: 'startRecording'; req: number; mid: number; path: string }
  | { op: 'stopRecording'; req: number; mid: number; path: string }
  | { op: 'closeMixer'; mid: number }
  | { op: 'bridge'; bid: number; a: number; b: number }
  | { op: 'closeBridge'; bid: number }
  | { op: 'openSource'; req: number; src: number; spec: string; loop: boolean; skipFrames: number }
  | { op: 'closeSource'; src: number }
  | {
      op: 'openRecorder';
      req: number;
      rec: number;
      path: string;
      silence?: { threshold: number; frames: number };
    }
  | { op: 'closeRecorder'; req: number; rec: number }
  | { op: 'threadStats'; req: number; gc: boolean }
  | { op: 'close'; req: number };

/** An error carried across the thread boundary, rebuilt as the same class on the other side. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  path?: string;
  min?: number;
  max?: number;
}

/** What `threadStats` answers: the worker's own ticker and heap. */
export interface ThreadStats {
  lateTicks: number;
  frames: number;
  heapUsed: number;
  external: number;
  /** The worker's GC pauses since the previous threadStats. */
  gc: GcPauseStats;
}

export type ReplyValue =
  undefined | { port: number; address: string } | PlaybackResult | RecordingResult | ThreadStats;

/** Worker → control. */
export type WorkerEvent =
  | { type: 'ready' }
  | { type: 'reply'; req: number; ok: true; value: ReplyValue }
  | { type: 'reply'; req: number; ok: false; error: WireError }
  | { type: 'dtmf'; sid: number; event: DtmfEvent }
  /** The session's ports are free again (both sockets closed). */
  | { type: 'released'; sid: number }
  | { type: 'silence'; rec: number }
  | { type: 'lateTicks'; lateTicks: number }
  | {
      type: 'log';
      level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
      bindings: Record<string, unknown>;
      obj: Record<string, unknown>;
      msg?: string;
    };

/** Data the worker is started with (`workerData`). */
export interface WorkerInit {
  address: string;
  rtpPortMin: number;
  rtpPortMax: number;
  tickSlots?: number;
  /** Nice value for the media thread only (Linux; lowering it needs CAP_SYS_NICE). */
  nice?: number;
  /** The lowest level the control side's logger has enabled: the worker posts nothing below it. */
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
}
