/** The media engine: RTP/G.711 sessions, playback sources, recording, bridges and the mixer. */
export * from './types';
export { createMediaEngine } from './engine';
export type { MediaEngineInternals } from './engine';
export { GcPauses } from './gc-pauses';
export type { GcPauseStats } from './gc-pauses';
export { createThreadedMediaEngine } from './thread/remote-engine';
export type { ThreadedMediaEngine, MediaThreadOptions } from './thread/remote-engine';
export { PortRangeExhaustedError, MediaStateError } from './errors';
export { PCMU, PCMA, encodeG711, decodeG711 } from './g711';
export {
  parseRtp,
  serializeRtp,
  writeRtpHeader,
  parseTelephoneEvent,
  serializeTelephoneEvent,
  digitToEvent,
  eventToDigit,
  RTP_HEADER_SIZE,
} from './rtp-packet';
export type { RtpPacket, RtpParseResult, TelephoneEvent } from './rtp-packet';
export { buildSenderReport } from './rtcp';
export { JitterBuffer } from './jitter-buffer';
export type { JitterBufferOptions, JitterBufferStats, PushResult } from './jitter-buffer';
export { parseToneStream, ToneSource, SilenceSource } from './tone-stream';
export type { ToneSpec, ToneSegment, ToneParseResult } from './tone-stream';
export { openSource } from './sources';
export {
  parseWav,
  loadWav,
  openWavRecorder,
  downsample16kTo8k,
  SamplesSource,
  wavHeader,
} from './wav';
export type { WavRecorder, WavParseResult } from './wav';
export { Ticker } from './ticker';
export type { TickClient, TickerOptions } from './ticker';
export { PortPool } from './port-pool';
export { MediaSession } from './rtp-session';
export type { FeedOwner, SessionSockets } from './rtp-session';
export { checkSource } from './source-rule';
export type { Endpoint, SourceVerdict } from './source-rule';
export { Bridge } from './bridge';
export { Mixer, accumulate, mixMinusOwn } from './mixer';
export { DtmfReceiver, DtmfSender, dtmfToneFrame } from './dtmf';
export type { DtmfPacket } from './dtmf';
export { DropCounter } from './rate-limited-log';
export { FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE, SILENCE, clamp16 } from './frames';
