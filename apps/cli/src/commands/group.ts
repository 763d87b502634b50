import { checkRingGroupMembers } from '@pbx/dialplan';
import { NotFoundError, type RingGroup, type Store } from '@pbx/store';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { CommandFailedError, UsageError } from '../errors';
import { isoTime, printJson, printPairs, printTable, say } from '../format';
import { assertNumberFree } from '../number-plan';

/** `201,202, 203` → `['201', '202', '203']`; an empty text is an empty list. */
function parseTelList(text: string, flag: string): string[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const tel of items) {
    if (!/^[0-9]{1,8}$/.test(tel)) {
      throw new UsageError(
        `${flag}: ${JSON.stringify(tel)} is not a station number (digits, comma-separated)`,
      );
    }
  }
  return items;
}

/**
 * Checks a member list with dialplan's rule: duplicates and more than 10 are bad input (exit 2),
 * a member that is not a station is a failure (exit 1).
 */
async function checkMembers(store: Store, members: readonly string[], flag: string): Promise<void> {
  const shape = checkRingGroupMembers(members, () => true);
  if (shape.length > 0) throw new UsageError(`${flag}: ${shape.join('; ')}`);
  const stations = new Set((await store.stations.list()).map((s) => s.tel));
  const missing = checkRingGroupMembers(members, (n) => stations.has(n));
  if (missing.length > 0) throw new CommandFailedError(`${flag}: ${missing.join('; ')}`);
}

function groupJson(g: RingGroup): Record<string, unknown> {
  return { ...g, createdAt: isoTime(g.createdAt), updatedAt: isoTime(g.updatedAt) };
}

const memberText = (g: RingGroup): string => (g.members.length ? g.members.join(', ') : 'none');

interface SetOptions {
  name?: string;
  members?: string;
  add?: string;
  remove?: string;
  voicemail?: string;
  voicemailAfter?: string;
}

/** `--voicemail <tel|none>`: the overflow mailbox's station, or null for none. */
function parseOverflowStation(text: string): string | null {
  const t = text.trim().toLowerCase();
  if (t === 'none' || t === 'off') return null;
  if (!/^[0-9]{2,8}$/.test(t))
    throw new UsageError(`--voicemail: ${JSON.stringify(text)} is not a station number, or none`);
  return t;
}

/** `--voicemail-after <seconds|default>`: 0 < s <= 600, or null for the system no-answer time. */
function parseOverflowAfter(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === 'default') return null;
  const n = /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
  if (!(n > 0 && n <= 600))
    throw new UsageError('--voicemail-after: a number of seconds, 0 < s <= 600, or default');
  return n;
}

/** What `group show` says of the overflow. */
function overflowText(g: RingGroup): string {
  if (g.voicemail === null) return 'none';
  const after = g.voicemailAfter === null ? 'the no-answer time' : `${g.voicemailAfter}s`;
  return `mailbox of ${g.voicemail} after ${after}`;
}

/** `pbx group add|set|list|show|remove`: ring groups of SIP stations. */
export function registerGroup(program: Command, ctx: () => CliContext): void {
  const group = program
    .command('group')
    .description(
      'ring groups: a number that rings up to 10 stations, 4 at a time, first to answer wins',
    );

  group
    .command('add <number>')
    .description('add a ring group (not a station number, not clashing with a feature code)')
    .option('--name <name>', 'a name for listings')
    .option('--members <tels>', 'member stations in ring order, comma-separated (at most 10)')
    .action(async (number: string, opts: { name?: string; members?: string }) => {
      const c = ctx();
      const members = opts.members === undefined ? [] : parseTelList(opts.members, '--members');
      const store = await c.store();
      await assertNumberFree(store, number, 'group');
      await checkMembers(store, members, '--members');
      const g = await store.ringGroups.create({ number, name: opts.name ?? '', members });
      say(c.io, `ring group ${g.number} added (members: ${memberText(g)})`);
    });

  group
    .command('set <number>')
    .description('rename a group or change its members')
    .option('--name <name>', 'a name for listings')
    .option('--members <tels>', 'the whole member list in ring order, comma-separated')
    .option('--add <tels>', 'stations to append, comma-separated')
    .option('--remove <tels>', 'stations to take out, comma-separated')
    .option(
      '--voicemail <tel|none>',
      "a call nobody answers goes to this station's mailbox (none: rings until the caller gives up)",
    )
    .option(
      '--voicemail-after <seconds|default>',
      'ringing time before the voice-mail overflow (default: features.forwardNoAnswerTimer)',
    )
    .action(async (number: string, opts: SetOptions) => {
      const c = ctx();
      if (Object.values(opts).every((v) => v === undefined)) {
        throw new UsageError(
          'group set: nothing to change; give --name, --members, --add, --remove, --voicemail or --voicemail-after',
        );
      }
      const overflowStation =
        opts.voicemail === undefined ? undefined : parseOverflowStation(opts.voicemail);
      const overflowAfter =
        opts.voicemailAfter === undefined ? undefined : parseOverflowAfter(opts.voicemailAfter);
      const replace =
        opts.members === undefined ? undefined : parseTelList(opts.members, '--members');
      const add = opts.add === undefined ? [] : parseTelList(opts.add, '--add');
      const remove = opts.remove === undefined ? [] : parseTelList(opts.remove, '--remove');
      const store = await c.store();
      const current = await store.ringGroups.get(number);
      if (!current) throw new NotFoundError('ring group', number);
      let members = replace ?? [...current.members];
      for (const tel of add) {
        if (members.includes(tel))
          throw new CommandFailedError(`--add: ${tel} is already a member of ring group ${number}`);
        members.push(tel);
      }
      for (const tel of remove) {
        if (!members.includes(tel))
          throw new CommandFailedError(`--remove: ${tel} is not a member of ring group ${number}`);
        members = members.filter((m) => m !== tel);
      }
      await checkMembers(store, members, opts.members === undefined ? '--add' : '--members');
      if (overflowStation != null) {
        if (!(await store.stations.get(overflowStation)))
          throw new CommandFailedError(`--voicemail: station ${overflowStation} does not exist`);
        if (!(await store.voicemail.box(overflowStation)).enabled)
          throw new CommandFailedError(
            `--voicemail: station ${overflowStation} has its mailbox off (pbx ext set ${overflowStation} --voicemail on first)`,
          );
      }
      const g = await store.ringGroups.update(number, {
        ...(opts.name === undefined ? {} : { name: opts.name }),
        members,
        ...(overflowStation === undefined ? {} : { voicemail: overflowStation }),
        ...(overflowAfter === undefined ? {} : { voicemailAfter: overflowAfter }),
      });
      const vmText =
        opts.voicemail === undefined && opts.voicemailAfter === undefined
          ? ''
          : `; voice mail: ${overflowText(g)}`;
      say(c.io, `ring group ${g.number} updated (members: ${memberText(g)}${vmText})`);
    });

  group
    .command('list')
    .description('list ring groups')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const groups = await (await c.store()).ringGroups.list();
      if (opts.json) return printJson(c.io, groups.map(groupJson));
      if (groups.length === 0) return say(c.io, 'no ring groups');
      printTable(
        c.io,
        ['Number', 'Name', 'Members'],
        groups.map((g) => [g.number, g.name, memberText(g)]),
      );
    });

  group
    .command('show <number>')
    .description('show one ring group')
    .option('--json', 'print JSON')
    .action(async (number: string, opts: { json?: boolean }) => {
      const c = ctx();
      const g = await (await c.store()).ringGroups.get(number);
      if (!g) throw new NotFoundError('ring group', number);
      if (opts.json) return printJson(c.io, groupJson(g));
      printPairs(c.io, [
        ['Number', g.number],
        ['Name', g.name],
        ['Members (ring order)', memberText(g)],
        ['Voice Mail Overflow', overflowText(g)],
        ['Created', isoTime(g.createdAt)],
        ['Updated', isoTime(g.updatedAt)],
      ]);
    });

  group
    .command('remove <number>')
    .description('remove a ring group')
    .action(async (number: string) => {
      const c = ctx();
      await (await c.store()).ringGroups.remove(number);
      say(c.io, `ring group ${number} removed`);
    });
}
