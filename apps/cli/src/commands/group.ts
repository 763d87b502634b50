import {
  addRingGroup,
  changeRingGroup,
  memberText,
  overflowText,
  parseOverflowAfter,
  parseOverflowStation,
  parseTelList,
} from '@pbx/admin';
import { NotFoundError, type RingGroup } from '@pbx/store';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { isoTime, printJson, printPairs, printTable, say } from '../format';

function groupJson(g: RingGroup): Record<string, unknown> {
  return { ...g, createdAt: isoTime(g.createdAt), updatedAt: isoTime(g.updatedAt) };
}

interface SetOptions {
  name?: string;
  members?: string;
  add?: string;
  remove?: string;
  voicemail?: string;
  voicemailAfter?: string;
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
      const g = await addRingGroup(store, { number, name: opts.name ?? '', members });
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
      const change = {
        ...(opts.name === undefined ? {} : { name: opts.name }),
        ...(opts.members === undefined ? {} : { members: parseTelList(opts.members, '--members') }),
        ...(opts.add === undefined ? {} : { add: parseTelList(opts.add, '--add') }),
        ...(opts.remove === undefined ? {} : { remove: parseTelList(opts.remove, '--remove') }),
        ...(opts.voicemail === undefined
          ? {}
          : { voicemail: parseOverflowStation(opts.voicemail, '--voicemail') }),
        ...(opts.voicemailAfter === undefined
          ? {}
          : { voicemailAfter: parseOverflowAfter(opts.voicemailAfter, '--voicemail-after') }),
      };
      const g = await changeRingGroup(await c.store(), number, change);
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
