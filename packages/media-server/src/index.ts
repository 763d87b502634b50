/** @pbx/media-server: an embedded FreeSWITCH-compatible media server driven by drachtio-fsmrf. */
export const MEDIA_SERVER_PACKAGE = '@pbx/media-server';
