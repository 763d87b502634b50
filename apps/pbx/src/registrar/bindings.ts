/**
 * The live registrations of the running PBX, in memory: tel number → contact → binding. The
 * `registrations` table is its durable copy (written through on every change, read back at
 * start-up); this index answers the licence count and the expiry sweep without a query.
 */
import type { Registration } from '@pbx/store';

const NONE: ReadonlyMap<string, Registration> = new Map();

export class BindingTable {
  private readonly byTel = new Map<string, Map<string, Registration>>();
  private bindingCount = 0;
  /**
   * No binding expires before this time (epoch ms; a lower bound, exact after a sweep), so the
   * sweep every 250 ms skips the scan of every binding until one can have expired.
   */
  private earliest = Infinity;

  /** Replaces the contents with `rows` (start-up), skipping those expired at `now`. */
  load(rows: readonly Registration[], now: number): void {
    this.byTel.clear();
    this.bindingCount = 0;
    this.earliest = Infinity;
    for (const r of rows) if (r.expiresAt > now) this.set(r);
  }

  /** Adds or replaces the binding of `r.contact` to `r.tel`. */
  set(r: Registration): void {
    let contacts = this.byTel.get(r.tel);
    if (!contacts) {
      contacts = new Map();
      this.byTel.set(r.tel, contacts);
    }
    if (!contacts.has(r.contact)) this.bindingCount++;
    contacts.set(r.contact, r);
    if (r.expiresAt < this.earliest) this.earliest = r.expiresAt;
  }

  get(tel: string, contact: string): Registration | undefined {
    return this.byTel.get(tel)?.get(contact);
  }

  /** Removes one binding; true when it existed. */
  remove(tel: string, contact: string): boolean {
    const contacts = this.byTel.get(tel);
    if (!contacts?.delete(contact)) return false;
    this.bindingCount--;
    if (contacts.size === 0) this.byTel.delete(tel);
    return true;
  }

  /** Removes every binding of `tel`; returns them. */
  removeAll(tel: string): Registration[] {
    const contacts = this.byTel.get(tel);
    if (!contacts) return [];
    this.byTel.delete(tel);
    this.bindingCount -= contacts.size;
    return [...contacts.values()];
  }

  /**
   * Every binding of `tel`, expired or not, without a copy (removing bindings of `tel` while
   * iterating is allowed).
   */
  all(tel: string): IterableIterator<Registration> {
    return (this.byTel.get(tel) ?? NONE).values();
  }

  /** Bindings of `tel` still live at `now`. */
  live(tel: string, now: number): Registration[] {
    const contacts = this.byTel.get(tel);
    if (!contacts) return [];
    return [...contacts.values()].filter((r) => r.expiresAt > now);
  }

  /** Whether `tel` has a binding live at `now`. */
  isRegistered(tel: string, now: number): boolean {
    const contacts = this.byTel.get(tel);
    if (!contacts) return false;
    for (const r of contacts.values()) if (r.expiresAt > now) return true;
    return false;
  }

  /**
   * Stations with a live binding. Counts every station with an entry, and only when that reaches
   * `atLeast` looks at expiry times (the sweeper removes expired entries within a second).
   */
  registeredStations(now: number, atLeast = 0): number {
    if (this.byTel.size < atLeast) return this.byTel.size;
    let n = 0;
    for (const tel of this.byTel.keys()) if (this.isRegistered(tel, now)) n++;
    return n;
  }

  /** Removes and returns every binding expired at `now`. */
  takeExpired(now: number): Registration[] {
    const out: Registration[] = [];
    if (now < this.earliest) return out;
    let earliest = Infinity;
    for (const [tel, contacts] of this.byTel) {
      for (const [contact, r] of contacts) {
        if (r.expiresAt <= now) {
          out.push(r);
          contacts.delete(contact);
          this.bindingCount--;
        } else if (r.expiresAt < earliest) earliest = r.expiresAt;
      }
      if (contacts.size === 0) this.byTel.delete(tel);
    }
    this.earliest = earliest;
    return out;
  }

  /** Tel numbers with at least one binding. */
  tels(): string[] {
    return [...this.byTel.keys()];
  }

  get size(): { stations: number; bindings: number } {
    return { stations: this.byTel.size, bindings: this.bindingCount };
  }
}
