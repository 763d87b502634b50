/** The media engine: RTP/G.711 sessions, playback sources, recording, bridges and the mixer. */
export * from './types';
export { createMediaEngine } from './engine';
export type { MediaEngineInternals } from './engine';
export { PortRangeExhaustedError, MediaStateError } from './errors';
export { PCMU, PCMA, encodeG711, decodeG711 } from './g711';
export { parseRtp, serializeRtp, parseTelephoneEvent, serializeTelephoneEvent } from './rtp-packet';
export type { RtpPacket, TelephoneEvent } from './rtp-packet';
export { JitterBuffer } from './jitter-buffer';
export { parseToneStream } from './tone-stream';
export type { ToneSpec, ToneSegment } from './tone-stream';
export { parseWav, loadWav, openWavRecorder } from './wav';
export type { WavRecorder } from './wav';
export { Ticker } from './ticker';
export { FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE } from './frames';
export { accumulate, mixMinusOwn } from './mixer';
export { DtmfReceiver, DtmfSender } from './dtmf';
