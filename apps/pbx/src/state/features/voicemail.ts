import { refuse, type FeatureHandler } from './types';

/**
 * The voice-mail access code. The voice-mail module answers it itself (features/index.ts hands
 * the INVITE over before this table is consulted); this handler is what runs without that module
 * (no media server configured, unit tests): nothing happens and the caller gets 480.
 */
export const voicemail: FeatureHandler<'voicemail'> = {
  feature: 'voicemail',
  needs: 'none',
  run() {
    return Promise.resolve(refuse('no-voicemail', 'voice mail is not installed'));
  },
};
