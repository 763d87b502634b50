import type { Database, Queryable } from '../database';
import { ConflictError, NotFoundError } from '../errors';

/** Members one chat group may have (an office team, not a mailing list). */
export const CHAT_GROUP_MEMBER_LIMIT = 50;

/** `created_by` of a group an administrator created. */
export const CHAT_GROUP_ADMIN = 'admin';

/** A chat group ("text conference"): stations that read each other's messages to its number. */
export interface ChatGroup {
  id: number;
  /** The group's address: phones send MESSAGE to `sip:<number>@<domain>`. */
  number: string;
  name: string;
  /** The creating station, or {@link CHAT_GROUP_ADMIN}. */
  createdBy: string;
  /** Member stations in numeric order. */
  members: string[];
  createdAt: number;
  updatedAt: number;
}

/** Input of {@link ChatGroupRepo.create}. */
export interface NewChatGroup {
  number: string;
  name: string;
  createdBy: string;
  members: readonly string[];
}

interface GroupRow {
  id: number;
  number: string;
  name: string;
  created_by: string;
  created_at: number;
  updated_at: number;
}

// Numeric order for digit strings of different lengths ("99" before "100").
const BY_TEL = 'ORDER BY length(tel), tel';

/**
 * The `chat_groups` and `chat_group_members` tables. Members must be stations, each listed once,
 * at most {@link CHAT_GROUP_MEMBER_LIMIT}; a group number is not a station or ring group number
 * (triggers) and not a feature code (the caller's check, dialplan `checkNewNumber`). Removing a
 * station takes it out of every group; deleting a group deletes its messages.
 */
export class ChatGroupRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Creates a group. Throws {@link ConflictError} when the number is taken or the members break
   * the rules, {@link NotFoundError} when a member is not a station.
   */
  async create(input: NewChatGroup): Promise<ChatGroup> {
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      await assertNumberFree(tx, input.number);
      const members = [...new Set(input.members)];
      await assertMembers(tx, input.number, members);
      const r = await tx.run(
        `INSERT INTO chat_groups (number, name, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?)`,
        [input.number, input.name, input.createdBy, now, now],
      );
      for (const tel of members)
        await tx.run('INSERT INTO chat_group_members (group_id, tel, joined_at) VALUES (?, ?, ?)', [
          r.lastId,
          tel,
          now,
        ]);
      return mustGet(tx, r.lastId);
    });
  }

  async get(id: number): Promise<ChatGroup | undefined> {
    return getGroup(this.db, 'id', id);
  }

  async byNumber(number: string): Promise<ChatGroup | undefined> {
    return getGroup(this.db, 'number', number);
  }

  /** Every group, or only those `tel` is a member of, in numeric order of the group number. */
  async list(opts: { member?: string } = {}): Promise<ChatGroup[]> {
    const groups =
      opts.member === undefined
        ? await this.db.all<GroupRow>('SELECT * FROM chat_groups ORDER BY length(number), number')
        : await this.db.all<GroupRow>(
            `SELECT g.* FROM chat_groups g JOIN chat_group_members m ON m.group_id = g.id
             WHERE m.tel = ? ORDER BY length(g.number), g.number`,
            [opts.member],
          );
    const members = await this.db.all<{ group_id: number; tel: string }>(
      `SELECT group_id, tel FROM chat_group_members ${BY_TEL}`,
    );
    const byGroup = new Map<number, string[]>();
    for (const m of members) {
      const list = byGroup.get(m.group_id) ?? [];
      list.push(m.tel);
      byGroup.set(m.group_id, list);
    }
    return groups.map((g) => toGroup(g, byGroup.get(g.id) ?? []));
  }

  /** Every group number (for the number-plan clash checks). */
  async numbers(): Promise<string[]> {
    const rows = await this.db.all<{ number: string }>(
      'SELECT number FROM chat_groups ORDER BY length(number), number',
    );
    return rows.map((r) => r.number);
  }

  async rename(id: number, name: string): Promise<ChatGroup> {
    return this.db.transaction(async (tx) => {
      const r = await tx.run('UPDATE chat_groups SET name = ?, updated_at = ? WHERE id = ?', [
        name,
        this.clock(),
        id,
      ]);
      if (r.changes === 0) throw new NotFoundError('chat group', String(id));
      return mustGet(tx, id);
    });
  }

  /** Adds stations; one already a member is a conflict, as is going past the limit. */
  async addMembers(id: number, tels: readonly string[]): Promise<ChatGroup> {
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      const group = await mustGet(tx, id);
      for (const tel of tels)
        if (group.members.includes(tel))
          throw new ConflictError(
            `station ${tel} is already a member of chat group ${group.number}`,
          );
      await assertMembers(tx, group.number, [...group.members, ...tels]);
      for (const tel of tels)
        await tx.run('INSERT INTO chat_group_members (group_id, tel, joined_at) VALUES (?, ?, ?)', [
          id,
          tel,
          now,
        ]);
      await tx.run('UPDATE chat_groups SET updated_at = ? WHERE id = ?', [now, id]);
      return mustGet(tx, id);
    });
  }

  /**
   * Takes a station out (leaving, or removed by the creator or admin). Messages still waiting for
   * it stay queued: they were written while it was a member.
   */
  async removeMember(id: number, tel: string): Promise<ChatGroup> {
    return this.db.transaction(async (tx) => {
      const group = await mustGet(tx, id);
      if (!group.members.includes(tel))
        throw new NotFoundError('member', `${tel} of chat group ${group.number}`);
      await tx.run('DELETE FROM chat_group_members WHERE group_id = ? AND tel = ?', [id, tel]);
      await tx.run('UPDATE chat_groups SET updated_at = ? WHERE id = ?', [this.clock(), id]);
      return mustGet(tx, id);
    });
  }

  /** Deletes a group, its members and its messages. */
  async remove(id: number): Promise<ChatGroup> {
    return this.db.transaction(async (tx) => {
      const group = await mustGet(tx, id);
      await tx.run('DELETE FROM chat_groups WHERE id = ?', [id]);
      return group;
    });
  }
}

function toGroup(r: GroupRow, members: string[]): ChatGroup {
  return {
    id: r.id,
    number: r.number,
    name: r.name,
    createdBy: r.created_by,
    members,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

async function getGroup(
  q: Queryable,
  by: 'id' | 'number',
  key: number | string,
): Promise<ChatGroup | undefined> {
  const row = await q.get<GroupRow>(`SELECT * FROM chat_groups WHERE ${by} = ?`, [key]);
  if (!row) return undefined;
  const members = await q.all<{ tel: string }>(
    `SELECT tel FROM chat_group_members WHERE group_id = ? ${BY_TEL}`,
    [row.id],
  );
  return toGroup(
    row,
    members.map((m) => m.tel),
  );
}

async function mustGet(q: Queryable, id: number): Promise<ChatGroup> {
  const group = await getGroup(q, 'id', id);
  if (!group) throw new NotFoundError('chat group', String(id));
  return group;
}

async function assertNumberFree(q: Queryable, number: string): Promise<void> {
  if (await q.get('SELECT 1 FROM chat_groups WHERE number = ?', [number]))
    throw new ConflictError(`chat group ${number} already exists`);
  if (await q.get('SELECT 1 FROM stations WHERE tel = ?', [number]))
    throw new ConflictError(`chat group ${number} is the same number as station ${number}`);
  if (await q.get('SELECT 1 FROM ring_groups WHERE number = ?', [number]))
    throw new ConflictError(`chat group ${number} is the same number as ring group ${number}`);
}

async function assertMembers(
  q: Queryable,
  group: string,
  members: readonly string[],
): Promise<void> {
  if (members.length > CHAT_GROUP_MEMBER_LIMIT)
    throw new ConflictError(
      `chat group ${group} would have ${members.length} members; at most ${CHAT_GROUP_MEMBER_LIMIT}`,
    );
  if (new Set(members).size !== members.length)
    throw new ConflictError(`a station is listed twice for chat group ${group}`);
  for (const tel of members)
    if (!(await q.get('SELECT 1 FROM stations WHERE tel = ?', [tel])))
      throw new NotFoundError('station', tel);
}
