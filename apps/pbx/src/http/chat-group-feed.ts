/**
 * Live `group` events for chat groups, whoever changed them: the API's routes tell the feed
 * directly; a change written by `pbx chat` (straight to SQLite) reaches it through the
 * `chatgroups` change area (migration 0020), after which the feed compares every group with the
 * last state it told and publishes what differs. Each state is told once: the feed remembers what
 * it published, so an API change the watcher also sees is not told twice. Events go to the
 * group's members before and after the change (administrators see every event).
 */
import type { Logger } from 'pino';
import type { ChatGroup, Store } from '@pbx/store';
import type { EventHub } from './event-hub';

/** What makes two states of a group differ for the console. */
function keyOf(g: ChatGroup): string {
  return JSON.stringify([g.number, g.name, g.members, g.updatedAt]);
}

export class ChatGroupFeed {
  /** The last state told of each group, by id. */
  private readonly told = new Map<number, ChatGroup>();
  private readonly ready: Promise<void>;
  /** Syncs run one at a time, in order. */
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly hub: EventHub,
    private readonly log: Logger,
  ) {
    this.ready = this.load();
  }

  private async load(): Promise<void> {
    try {
      for (const g of await this.store.chatGroups.list()) this.told.set(g.id, g);
    } catch (err) {
      this.log.warn({ err }, 'chat groups not read; CLI changes are told from the next one');
    }
  }

  /**
   * Tells a change made through the API: `group` as it now is (or as it was, when `deleted`),
   * `audience` stations that must hear of it besides its members (one who left or was removed).
   */
  async changed(group: ChatGroup, audience: Iterable<string>, deleted = false): Promise<void> {
    await this.ready;
    const prev = this.told.get(group.id);
    if (deleted) {
      // Already told by a sync that found it gone.
      if (!prev) return;
      this.told.delete(group.id);
      this.tell(group, [...prev.members, ...audience], true);
      return;
    }
    // Told already (a sync saw the same write), or a newer state was told meanwhile.
    if (prev && (keyOf(prev) === keyOf(group) || prev.updatedAt > group.updatedAt)) return;
    this.told.set(group.id, group);
    this.tell(group, [...(prev?.members ?? []), ...audience]);
  }

  /** Compares every group with what was told (after a `chatgroups` change) and tells the rest. */
  sync(): Promise<void> {
    const run = this.syncing.then(async () => {
      await this.ready;
      const now = await this.store.chatGroups.list();
      const seen = new Set<number>();
      for (const g of now) {
        seen.add(g.id);
        const prev = this.told.get(g.id);
        if (prev && keyOf(prev) === keyOf(g)) continue;
        this.told.set(g.id, g);
        this.tell(g, prev?.members ?? []);
      }
      for (const [id, prev] of [...this.told]) {
        if (seen.has(id)) continue;
        this.told.delete(id);
        this.tell(prev, [], true);
      }
    });
    this.syncing = run.catch((err: unknown) =>
      this.log.error({ err }, 'chat group changes not told'),
    );
    return this.syncing;
  }

  /** Members of a group as last told (the audience of its delivery updates). */
  async membersOf(id: number): Promise<string[]> {
    await this.ready;
    const told = this.told.get(id);
    if (told) return told.members;
    return (await this.store.chatGroups.get(id))?.members ?? [];
  }

  private tell(group: ChatGroup, audience: Iterable<string>, deleted = false): void {
    const stations = [...new Set([...group.members, ...audience])];
    this.hub.publish('messages', 'group', deleted ? { ...group, deleted: true } : group, stations);
  }
}
