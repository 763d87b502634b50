import type { NumberPlan } from './feature-codes';
import { checkNewNumber, describeEntry } from './validate';

/**
 * Where the PBX looks for a chat group's number when its creator names none: 700-799, then
 * 7000-7999. OfficeServ's default plan leaves 7xx free (stations are 2xx/3xx, feature codes 1x,
 * 4x, 60x, 80, 88, the trunk access code 9); a number that clashes in this installation's plan
 * is skipped, so the range is a preference, not a reservation.
 */
export const CHAT_GROUP_NUMBER_RANGES: ReadonlyArray<readonly [number, number]> = [
  [700, 799],
  [7000, 7999],
];

/**
 * Why `number` cannot be a chat group's number in `plan`: bad syntax, or a clash with a feature
 * code, the trunk access code or the auth code (equal, or one a prefix of the other). Station,
 * ring group and other chat group numbers are the store's check. Empty when it is free.
 */
export function chatGroupNumberProblems(plan: NumberPlan, number: string): string[] {
  return checkNewNumber(plan, number, 'group').map((p) =>
    p.kind === 'syntax'
      ? `chat group number ${JSON.stringify(number)}: digits only, 1 to 8`
      : `chat group ${number} clashes with ${describeEntry(p.other)}`,
  );
}

/** The first number of {@link CHAT_GROUP_NUMBER_RANGES} free in `plan` and not `taken`. */
export function pickChatGroupNumber(
  plan: NumberPlan,
  taken: (number: string) => boolean,
): string | undefined {
  for (const [first, last] of CHAT_GROUP_NUMBER_RANGES) {
    for (let n = first; n <= last; n++) {
      const number = String(n);
      if (!taken(number) && chatGroupNumberProblems(plan, number).length === 0) return number;
    }
  }
  return undefined;
}
