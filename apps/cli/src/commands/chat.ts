import { chatGroupNumberProblems, pickChatGroupNumber } from '@pbx/dialplan';
import { CHAT_GROUP_ADMIN, NotFoundError, type ChatGroup, type Store } from '@pbx/store';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { CommandFailedError, UsageError } from '../errors';
import { isoTime, printJson, printPairs, printTable, say } from '../format';
import { loadNumberPlan } from '../number-plan';

/** `201,202, 203` → `['201', '202', '203']`; bad items are a usage error. */
function parseTels(text: string, flag: string): string[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const tel of items)
    if (!/^[0-9]{2,8}$/.test(tel))
      throw new UsageError(`${flag}: ${JSON.stringify(tel)} is not a station number`);
  if (items.length === 0) throw new UsageError(`${flag}: name at least one station`);
  return items;
}

function parseName(text: string): string {
  const name = text.trim();
  if (name.length < 1 || name.length > 64)
    throw new UsageError('the name must be 1 to 64 characters');
  return name;
}

async function groupByNumber(store: Store, number: string): Promise<ChatGroup> {
  if (!/^[0-9]{1,8}$/.test(number))
    throw new UsageError(`${JSON.stringify(number)} is not a chat group number (digits)`);
  const group = await store.chatGroups.byNumber(number);
  if (!group) throw new NotFoundError('chat group', number);
  return group;
}

function groupJson(g: ChatGroup): Record<string, unknown> {
  return { ...g, createdAt: isoTime(g.createdAt), updatedAt: isoTime(g.updatedAt) };
}

/**
 * `pbx chat list|add|set|remove|show|post`: chat groups ("text conferences"). A group has a
 * number in the number plan (700-799, then 7000-7999 unless one is given) that member phones
 * send MESSAGE to; the running PBX relays each message to the other members. `post` queues a
 * message from the PBX to every member in the database, delivered within a second by the running
 * PBX (the same `messages` change counter as `pbx message send`) or when a member registers.
 */
export function registerChat(program: Command, ctx: () => CliContext): void {
  const chat = program
    .command('chat')
    .description('chat groups: a number member phones send MESSAGE to, relayed to every member');

  chat
    .command('list')
    .description('chat groups with their members')
    .option('--ext <tel>', 'only the groups this station is in')
    .option('--json', 'print JSON')
    .action(async (opts: { ext?: string; json?: boolean }) => {
      const c = ctx();
      if (opts.ext !== undefined && !/^[0-9]{2,8}$/.test(opts.ext))
        throw new UsageError('--ext: a station number');
      const groups = await (
        await c.store()
      ).chatGroups.list(opts.ext !== undefined ? { member: opts.ext } : {});
      if (opts.json) return printJson(c.io, groups.map(groupJson));
      if (groups.length === 0) return say(c.io, 'no chat groups');
      printTable(
        c.io,
        ['Number', 'Name', 'Members', 'Created by'],
        groups.map((g) => [g.number, g.name, g.members.join(', ') || 'none', g.createdBy]),
      );
    });

  chat
    .command('add <name>')
    .description('add a chat group (created by the administrator)')
    .requiredOption('--members <tels>', 'member stations, comma-separated')
    .option('--number <number>', 'its number (default: the first free of 700-799, 7000-7999)')
    .action(async (nameText: string, opts: { members: string; number?: string }) => {
      const c = ctx();
      const name = parseName(nameText);
      const members = parseTels(opts.members, '--members');
      const store = await c.store();
      const plan = await loadNumberPlan(store);
      let number = opts.number;
      if (number !== undefined) {
        if (!/^[0-9]{1,8}$/.test(number)) throw new UsageError('--number: 1 to 8 digits');
        const problems = chatGroupNumberProblems(plan, number);
        if (problems.length > 0) throw new CommandFailedError(problems.join('; '));
      } else {
        const taken = new Set([
          ...(await store.stations.list()).map((s) => s.tel),
          ...(await store.ringGroups.numbers()),
          ...(await store.chatGroups.numbers()),
        ]);
        number = pickChatGroupNumber(plan, (n) => taken.has(n));
        if (number === undefined)
          throw new CommandFailedError('no free chat group number; give one with --number');
      }
      const g = await store.chatGroups.create({
        number,
        name,
        createdBy: CHAT_GROUP_ADMIN,
        members,
      });
      say(c.io, `chat group ${g.number} "${g.name}" added (members: ${g.members.join(', ')})`);
    });

  chat
    .command('set <number>')
    .description('rename a chat group or change its members')
    .option('--name <name>', 'a new name')
    .option('--add <tels>', 'stations to add, comma-separated')
    .option('--remove <tels>', 'stations to take out, comma-separated')
    .action(async (number: string, opts: { name?: string; add?: string; remove?: string }) => {
      const c = ctx();
      if (opts.name === undefined && opts.add === undefined && opts.remove === undefined)
        throw new UsageError('chat set: nothing to change; give --name, --add or --remove');
      const name = opts.name !== undefined ? parseName(opts.name) : undefined;
      const add = opts.add !== undefined ? parseTels(opts.add, '--add') : [];
      const remove = opts.remove !== undefined ? parseTels(opts.remove, '--remove') : [];
      const store = await c.store();
      let g = await groupByNumber(store, number);
      // Checked before any write, so a refused change changes nothing.
      for (const tel of add)
        if (g.members.includes(tel))
          throw new CommandFailedError(
            `station ${tel} is already a member of chat group ${number}`,
          );
      for (const tel of remove)
        if (!g.members.includes(tel))
          throw new CommandFailedError(`station ${tel} is not a member of chat group ${number}`);
      if (name !== undefined) g = await store.chatGroups.rename(g.id, name);
      if (add.length > 0) g = await store.chatGroups.addMembers(g.id, add);
      for (const tel of remove) g = await store.chatGroups.removeMember(g.id, tel);
      say(c.io, `chat group ${g.number} "${g.name}" (members: ${g.members.join(', ') || 'none'})`);
    });

  chat
    .command('remove <number>')
    .description('delete a chat group and its messages')
    .action(async (number: string) => {
      const c = ctx();
      const store = await c.store();
      const g = await store.chatGroups.remove((await groupByNumber(store, number)).id);
      say(c.io, `chat group ${g.number} "${g.name}" removed`);
    });

  chat
    .command('show <number>')
    .description('a chat group, its members and its latest messages')
    .option('--limit <n>', 'at most this many messages', '20')
    .option('--json', 'print JSON')
    .action(async (number: string, opts: { limit: string; json?: boolean }) => {
      const c = ctx();
      const limit = /^\d+$/.test(opts.limit) ? Number(opts.limit) : NaN;
      if (!(limit >= 1 && limit <= 500)) throw new UsageError('--limit: a number from 1 to 500');
      const store = await c.store();
      const g = await groupByNumber(store, number);
      const messages = (await store.messages.groupHistory(g.id, { limit })).reverse();
      if (opts.json)
        return printJson(c.io, {
          ...groupJson(g),
          messages: messages.map((m) => ({ ...m, createdAt: isoTime(m.createdAt) })),
        });
      printPairs(c.io, [
        ['Number', g.number],
        ['Name', g.name],
        ['Members', g.members.join(', ') || 'none'],
        ['Created by', g.createdBy],
      ]);
      if (messages.length === 0) return say(c.io, 'no messages');
      printTable(
        c.io,
        ['Time', 'From', 'Waiting for', 'Text'],
        messages.map((m) => [
          isoTime(m.createdAt),
          m.fromTel,
          m.waitingFor.join(', ') || '-',
          m.contentType.startsWith('text/') ? m.body.trim().slice(0, 60) : `(${m.contentType})`,
        ]),
      );
    });

  chat
    .command('post <number> <text...>')
    .description('send a message from the PBX to every member of a chat group')
    .action(async (number: string, words: string[]) => {
      const c = ctx();
      const text = words.join(' ');
      if (!text.trim()) throw new UsageError('the message is empty');
      const store = await c.store();
      const g = await groupByNumber(store, number);
      if (g.members.length === 0)
        throw new CommandFailedError(`chat group ${number} has no members`);
      await store.messages.addToGroup(
        { fromTel: 'pbx', toTel: g.number, body: text, groupId: g.id },
        g.members,
      );
      say(c.io, `queued for ${g.members.length} member${g.members.length === 1 ? '' : 's'}`);
    });
}
