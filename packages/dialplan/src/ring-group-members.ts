/** OfficeServ 4.7 (systems other than the OS7030): at most 10 SIP station members per ring group. */
export const RING_GROUP_MAX_SIP_MEMBERS = 10;

/**
 * Checks a ring group's member list for `pbx group add|set`: every member must be a station,
 * listed once, and there may be at most ten. Returns one sentence per problem; empty means valid.
 */
export function checkRingGroupMembers(
  members: readonly string[],
  isStation: (n: string) => boolean,
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m)) problems.push(`${m} is listed more than once`);
    seen.add(m);
    if (!isStation(m)) problems.push(`${m} is not a station`);
  }
  if (seen.size > RING_GROUP_MAX_SIP_MEMBERS) {
    problems.push(
      `a ring group has at most ${RING_GROUP_MAX_SIP_MEMBERS} SIP members, got ${seen.size}`,
    );
  }
  return problems;
}
