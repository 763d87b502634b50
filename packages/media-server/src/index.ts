/** @pbx/media-server: an embedded FreeSWITCH-compatible media server driven by drachtio-fsmrf. */
export const MEDIA_SERVER_PACKAGE = '@pbx/media-server';
export { startMediaServer } from './server';
export type { MediaServerHandle, MediaServerOptions } from './server';
export { mediaServerOptionsSchema } from './options';
export type { Logger } from './logger';
