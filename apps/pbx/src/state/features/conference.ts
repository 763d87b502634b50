import { latestHeld } from './park';
import { refuse, type FeatureHandler } from './types';

/** The manual's limit: at most five parties in a conference, the owner included. */
export const MAX_CONFERENCE_PARTIES = 5;

/**
 * 46, as the manual describes it. The owner holds a call and dials 46: the held party joins the
 * owner's conference (created on first use) and the owner is free to call the next member. 46
 * again with no newly held call ends the adding: the runner re-INVITEs everyone onto the media
 * server's mixer, and the owner resumes its held call to join. Dialling 46 after that repeats the
 * start, which the manual calls redundant but harmless.
 *
 * A phone that does not hold its call before dialling 46 is served too: its most recent
 * connected call is conferenced and the owner's own leg joins the mixer at once (`ownerTalking`).
 */
export const conference: FeatureHandler<'conference'> = {
  feature: 'conference',
  needs: 'media',
  async run(ctx) {
    const owner = ctx.caller.station;
    const max = ctx.conferenceMaxParties ?? MAX_CONFERENCE_PARTIES;
    const room = await ctx.conferences.get(owner);
    const held = latestHeld(await ctx.calls.heldBy(owner));
    const talking = held ? undefined : latestHeld(await ctx.calls.talkingWith(owner));
    const member = held ?? talking;
    if (member) {
      const members = room?.members ?? 0;
      if (members + 2 > max)
        return refuse('conference-full', `${owner}'s conference already has ${max} parties`);
      return {
        reply: 480,
        effect: 'conference-joined',
        owner,
        member,
        ownerTalking: talking !== undefined,
        size: members + 2,
      };
    }
    if (!room || room.members === 0)
      return refuse('no-held-call', `${owner} has no call on hold to conference`);
    return { reply: 480, effect: 'conference-started', room: { ...room, started: true } };
  },
};

/**
 * A conference room number (code + one digit, 800-809 by default): any station that dials it is
 * connected to that room's mixer, up to the party limit.
 */
export const conferenceRoom: FeatureHandler<'conference.room'> = {
  feature: 'conference.room',
  needs: 'media',
  async run(ctx, arg) {
    if (arg === undefined || arg === '')
      return refuse('missing-argument', 'a conference room needs its digit');
    const number = ctx.dialled ?? arg;
    const max = ctx.conferenceMaxParties ?? MAX_CONFERENCE_PARTIES;
    const room = await ctx.conferences.get(number);
    if (room && room.members >= max)
      return refuse('conference-full', `conference room ${number} already has ${max} parties`);
    return { reply: 'connect', effect: 'room-joined', room: number };
  },
};
