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
    .action(async (number: string, opts: SetOptions) => {
      const c = ctx();
      if (Object.values(opts).every((v) => v === undefined)) {
        throw new UsageError(
          'group set: nothing to change; give --name, --members, --add or --remove',
        );
      }
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
      const g = await store.ringGroups.update(number, {
        ...(opts.name === undefined ? {} : { name: opts.name }),
        members,
      });
      say(c.io, `ring group ${g.number} updated (members: ${memberText(g)})`);
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
