import { parseConferenceArg } from '../../src/conference/conference-app';

describe('conference app argument', () => {
  it('reads name, profile, pin and flags as fsmrf writes them', () => {
    expect(parseConferenceArg('room1++flags{endconf|mute|vmute}')).toEqual({
      name: 'room1',
      profile: 'default',
      flags: { mute: true, deaf: false, endconf: true, moderator: false },
    });
    expect(parseConferenceArg('room2@video+1234+flags{moderator|deaf}')).toEqual({
      name: 'room2',
      profile: 'video',
      flags: { mute: false, deaf: true, endconf: false, moderator: true },
    });
    expect(parseConferenceArg('plain').name).toBe('plain');
  });
});
