import type { Database, Queryable } from '../database';
import { ConflictError, NotFoundError } from '../errors';

/** OfficeServ 4.7 (systems other than the OS7030): at most 10 SIP members per ring group. */
export const RING_GROUP_MEMBER_LIMIT = 10;

/** A ring group: a number that rings its member stations in order (4 at a time). */
export interface RingGroup {
  number: string;
  name: string;
  /** Member stations in ring order. */
  members: string[];
  /** The station whose mailbox takes a call nobody answered; null: no overflow (the default). */
  voicemail: string | null;
  /** Seconds of ringing before the overflow; null: the system's no-answer time. */
  voicemailAfter: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Input of {@link RingGroupRepo.create}. */
export interface NewRingGroup {
  number: string;
  name?: string;
  members?: readonly string[];
}

/** Input of {@link RingGroupRepo.update}: only the fields given change. */
export interface RingGroupPatch {
  name?: string;
  /** The whole new member list, in ring order. */
  members?: readonly string[];
  /** Stations appended to the end of the list (after `members` when both are given). */
  add?: readonly string[];
  /** Stations taken out of the list. */
  remove?: readonly string[];
  /** The overflow mailbox's station, or null to turn the overflow off. */
  voicemail?: string | null;
  /** Seconds before the overflow (0 < s <= 600), or null for the system's no-answer time. */
  voicemailAfter?: number | null;
}

interface GroupRow {
  number: string;
  name: string;
  voicemail_tel: string | null;
  voicemail_after: number | null;
  created_at: number;
  updated_at: number;
}

// Numeric order for digit strings of different lengths ("99" before "100").
const ORDER = 'ORDER BY length(number), number';

/**
 * The `ring_groups` and `ring_group_members` tables. Members must be stations, each listed once,
 * at most {@link RING_GROUP_MEMBER_LIMIT}; a group number must not be a station number. Removing a
 * station removes it from every group (foreign key cascade). Clashes with feature codes are the
 * caller's check (dialplan `checkNewNumber`). Writes bump the `groups` change counter.
 */
export class RingGroupRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Creates a group. Throws {@link ConflictError} when the number is a group or a station, or the
   * members break the rules, and {@link NotFoundError} when a member is not a station.
   */
  async create(input: NewRingGroup): Promise<RingGroup> {
    const members = input.members ?? [];
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      if (await tx.get('SELECT 1 FROM ring_groups WHERE number = ?', [input.number])) {
        throw new ConflictError(`ring group ${input.number} already exists`);
      }
      if (await tx.get('SELECT 1 FROM stations WHERE tel = ?', [input.number])) {
        throw new ConflictError(
          `ring group ${input.number} is the same number as station ${input.number}`,
        );
      }
      await assertMembers(tx, input.number, members);
      await tx.run(
        'INSERT INTO ring_groups (number, name, created_at, updated_at) VALUES (?, ?, ?, ?)',
        [input.number, input.name ?? '', now, now],
      );
      await writeMembers(tx, input.number, members);
      return mustGet(tx, input.number);
    });
  }

  /**
   * Changes the name and/or members. `members` replaces the list; `add` appends (a station
   * already in the list is a conflict) and `remove` takes out (a station not in the list is
   * not found). The result is checked as a whole before anything is written.
   */
  async update(number: string, patch: RingGroupPatch): Promise<RingGroup> {
    return this.db.transaction(async (tx) => {
      const current = await getGroup(tx, number);
      if (!current) throw new NotFoundError('ring group', number);
      let members = patch.members ? [...patch.members] : [...current.members];
      for (const tel of patch.add ?? []) {
        if (members.includes(tel))
          throw new ConflictError(`station ${tel} is already a member of ring group ${number}`);
        members.push(tel);
      }
      for (const tel of patch.remove ?? []) {
        if (!members.includes(tel))
          throw new NotFoundError('member', `${tel} of ring group ${number}`);
        members = members.filter((m) => m !== tel);
      }
      const membersChanged = members.join(',') !== current.members.join(',');
      const nameChanged = patch.name !== undefined && patch.name !== current.name;
      const vm = patch.voicemail === undefined ? current.voicemail : patch.voicemail;
      const after =
        patch.voicemailAfter === undefined ? current.voicemailAfter : patch.voicemailAfter;
      const overflowChanged = vm !== current.voicemail || after !== current.voicemailAfter;
      if (!membersChanged && !nameChanged && !overflowChanged) return current;
      await assertMembers(tx, number, members);
      if (vm !== null && !(await tx.get('SELECT 1 FROM stations WHERE tel = ?', [vm])))
        throw new NotFoundError('station', vm);
      if (after !== null && !(after > 0 && after <= 600))
        throw new ConflictError(`ring group ${number}: the overflow time must be 0 < s <= 600`);
      await tx.run(
        `UPDATE ring_groups SET name = ?, voicemail_tel = ?, voicemail_after = ?, updated_at = ?
         WHERE number = ?`,
        [patch.name ?? current.name, vm, after, this.clock(), number],
      );
      if (membersChanged) {
        await tx.run('DELETE FROM ring_group_members WHERE group_number = ?', [number]);
        await writeMembers(tx, number, members);
      }
      return mustGet(tx, number);
    });
  }

  /** Deletes a group and its member list. */
  async remove(number: string): Promise<RingGroup> {
    return this.db.transaction(async (tx) => {
      const group = await getGroup(tx, number);
      if (!group) throw new NotFoundError('ring group', number);
      await tx.run('DELETE FROM ring_groups WHERE number = ?', [number]);
      return group;
    });
  }

  async get(number: string): Promise<RingGroup | undefined> {
    return getGroup(this.db, number);
  }

  async exists(number: string): Promise<boolean> {
    return (
      (await this.db.get('SELECT 1 FROM ring_groups WHERE number = ?', [number])) !== undefined
    );
  }

  /** Every group with its members, in numeric order of the group number. */
  async list(): Promise<RingGroup[]> {
    const groups = await this.db.all<GroupRow>(`SELECT * FROM ring_groups ${ORDER}`);
    const members = await this.db.all<{ group_number: string; tel: string }>(
      'SELECT group_number, tel FROM ring_group_members ORDER BY group_number, position',
    );
    const byGroup = new Map<string, string[]>();
    for (const m of members) {
      const list = byGroup.get(m.group_number) ?? [];
      list.push(m.tel);
      byGroup.set(m.group_number, list);
    }
    return groups.map((g) => toGroup(g, byGroup.get(g.number) ?? []));
  }

  /** Every group number (for the number-plan clash checks). */
  async numbers(): Promise<string[]> {
    return (await this.db.all<{ number: string }>(`SELECT number FROM ring_groups ${ORDER}`)).map(
      (r) => r.number,
    );
  }

  /** The groups `tel` is a member of. */
  async groupsOf(tel: string): Promise<string[]> {
    const rows = await this.db.all<{ group_number: string }>(
      'SELECT group_number FROM ring_group_members WHERE tel = ? ORDER BY length(group_number), group_number',
      [tel],
    );
    return rows.map((r) => r.group_number);
  }
}

function toGroup(r: GroupRow, members: string[]): RingGroup {
  return {
    number: r.number,
    name: r.name,
    members,
    voicemail: r.voicemail_tel ?? null,
    voicemailAfter: r.voicemail_after ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

async function getGroup(q: Queryable, number: string): Promise<RingGroup | undefined> {
  const row = await q.get<GroupRow>('SELECT * FROM ring_groups WHERE number = ?', [number]);
  if (!row) return undefined;
  const members = await q.all<{ tel: string }>(
    'SELECT tel FROM ring_group_members WHERE group_number = ? ORDER BY position',
    [number],
  );
  return toGroup(
    row,
    members.map((m) => m.tel),
  );
}

async function mustGet(q: Queryable, number: string): Promise<RingGroup> {
  const group = await getGroup(q, number);
  if (!group) throw new NotFoundError('ring group', number);
  return group;
}

async function assertMembers(
  q: Queryable,
  group: string,
  members: readonly string[],
): Promise<void> {
  const seen = new Set<string>();
  for (const tel of members) {
    if (seen.has(tel))
      throw new ConflictError(`station ${tel} is listed twice for ring group ${group}`);
    seen.add(tel);
  }
  if (members.length > RING_GROUP_MEMBER_LIMIT) {
    throw new ConflictError(
      `ring group ${group} would have ${members.length} members; at most ${RING_GROUP_MEMBER_LIMIT} SIP stations are allowed`,
    );
  }
  for (const tel of members) {
    if (!(await q.get('SELECT 1 FROM stations WHERE tel = ?', [tel])))
      throw new NotFoundError('station', tel);
  }
}

async function writeMembers(
  q: Queryable,
  group: string,
  members: readonly string[],
): Promise<void> {
  for (const [position, tel] of members.entries()) {
    await q.run('INSERT INTO ring_group_members (group_number, tel, position) VALUES (?, ?, ?)', [
      group,
      tel,
      position,
    ]);
  }
}
