/** The phones' test tones: the media server's test helper (one sox invocation for both packages). */
export { silenceWav, toneWav } from '../../../../packages/media-server/test/helpers/tone-wav';
