/**
 * Sources whose packets the server drops before parsing (the PBX's blocked addresses), as plain
 * data: the owner of the list (the registrar) sends changes, so the same list works when the
 * server runs in a worker thread, where no function of the PBX can be called per packet.
 */

/** One blocked address and when its block ends (epoch ms). */
export interface SourceBlock {
  address: string;
  until: number;
}

/** A change to the blocked sources: the whole list (`replace`), or blocks added and lifted. */
export interface SourceBlocksUpdate {
  /** The list becomes exactly `block` (earlier entries are forgotten). */
  replace?: boolean;
  block?: SourceBlock[];
  unblock?: string[];
}

/** The blocked sources of one server; `admits` is the per-packet check (one map look-up). */
export class SourceBlocks {
  private readonly until = new Map<string, number>();

  get size(): number {
    return this.until.size;
  }

  apply(update: SourceBlocksUpdate): void {
    if (update.replace) this.until.clear();
    for (const address of update.unblock ?? []) this.until.delete(address);
    for (const b of update.block ?? []) this.until.set(b.address, b.until);
  }

  /** False while `address` is blocked; an ended block is forgotten on the way. */
  admits(address: string, now = Date.now()): boolean {
    const until = this.until.get(address);
    if (until === undefined) return true;
    if (until > now) return false;
    this.until.delete(address);
    return true;
  }
}
