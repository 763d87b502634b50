import { latestHeld } from './park';
import { refuse, type ConferenceRoom, type FeatureHandler } from './types';

/** The manual's limit: at most five parties in a conference, the owner included. */
export const MAX_CONFERENCE_PARTIES = 5;

/**
 * 46, as the manual describes it. The owner holds a call and dials 46: the held party joins the
 * owner's conference room (created on first use) and the owner is free to call the next member.
 * 46 again with no newly held call ends the building: everyone is connected through the media
 * server, and the owner resumes its held call to join. Dialling 46 after that repeats the start,
 * which the manual calls redundant but harmless.
 */
export const conference: FeatureHandler<'conference'> = {
  feature: 'conference',
  needs: 'media',
  async run(ctx) {
    const owner = ctx.caller.station;
    const room = await ctx.conferences.get(owner);
    const inRoom = new Set(room?.members.map((m) => m.callRef) ?? []);
    const held = latestHeld((await ctx.calls.heldBy(owner)).filter((c) => !inRoom.has(c.callRef)));
    if (held) {
      const members = room?.members ?? [];
      if (members.length + 1 >= MAX_CONFERENCE_PARTIES) {
        return refuse(
          'conference-full',
          `${owner}'s conference already has ${MAX_CONFERENCE_PARTIES} parties`,
        );
      }
      const next: ConferenceRoom = {
        owner,
        members: [...members, held],
        started: room?.started ?? false,
      };
      await ctx.conferences.put(next);
      return {
        reply: 480,
        effect: 'conference-joined',
        owner,
        member: held,
        size: next.members.length + 1,
      };
    }
    if (!room || room.members.length === 0)
      return refuse('no-held-call', `${owner} has no call on hold to conference`);
    const started: ConferenceRoom = { ...room, started: true };
    await ctx.conferences.put(started);
    return { reply: 480, effect: 'conference-started', room: started };
  },
};
