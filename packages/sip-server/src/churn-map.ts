/**
 * A string-keyed map for entries that come and go at the request rate (transactions, requests
 * waiting for their client's answer, dialogs), kept in a null-prototype object instead of a Map.
 *
 * Why not a Map: V8 keeps a Map's entries in a table that it replaces once deleted entries fill
 * it, and the replaced table keeps a link to its successor and the entries it held (for iterators
 * still walking it). Under thousands of insertions and deletions a second this makes a chain of
 * tables, and once one of them has reached the old generation it is a root for every
 * young-generation collection until the next full one: every later table, and every entry any of
 * them held, is copied and promoted. The SIP worker at 4,000 registrations/s promoted 143–150 MB
 * that way in 6.5 s of load (about 23 MB/s), 2.4 MB with this map (bench, `--trace-gc-nvp`), and
 * its full collections in that time went from 12 to 3. An object in dictionary mode drops a
 * replaced table without a link.
 *
 * Like a Map, iteration follows insertion order, including for keys that are array indices (V8
 * would list those first, in numeric order, so keys made only of digits, and keys starting with
 * U+0000, are stored behind a U+0000). Unlike a Map, an entry added while an iteration runs may
 * not be visited by it (one deleted before it is reached is skipped, as with a Map), and starting
 * one lists every key first (about 8 ms at 50,000 entries, the flood bound of requests in
 * progress, against under a microsecond for a Map): for tables walked rarely or while small,
 * such as the once-a-second sweep of unanswered requests. Values must not be `undefined`.
 */
export class ChurnMap<V> implements Iterable<[string, V]> {
  private table: Record<string, V> = Object.create(null) as Record<string, V>;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.table[stored(key)];
  }

  has(key: string): boolean {
    return this.table[stored(key)] !== undefined;
  }

  set(key: string, value: V): this {
    const k = stored(key);
    if (this.table[k] === undefined) this.count++;
    this.table[k] = value;
    return this;
  }

  delete(key: string): boolean {
    const k = stored(key);
    if (this.table[k] === undefined) return false;
    delete this.table[k];
    this.count--;
    return true;
  }

  clear(): void {
    this.table = Object.create(null) as Record<string, V>;
    this.count = 0;
  }

  *keys(): IterableIterator<string> {
    const t = this.table;
    for (const k in t) yield original(k);
  }

  *values(): IterableIterator<V> {
    const t = this.table;
    for (const k in t) {
      const v = t[k];
      if (v !== undefined) yield v;
    }
  }

  *entries(): IterableIterator<[string, V]> {
    const t = this.table;
    for (const k in t) {
      const v = t[k];
      if (v !== undefined) yield [original(k), v];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}

/**
 * The property name of `key`: U+0000 in front of keys V8 might take for array indices (only
 * digits) and of keys that start with it. Keys such as Call-IDs often start with a digit but
 * seldom go on with one, so the scan is short and those keys are used as they are.
 */
function stored(key: string): string {
  const c = key.charCodeAt(0);
  if (c === 0) return `\u0000${key}`;
  if (c < 48 || c > 57) return key;
  for (let i = 1; i < key.length; i++) {
    const d = key.charCodeAt(i);
    if (d < 48 || d > 57) return key;
  }
  return `\u0000${key}`;
}

function original(k: string): string {
  return k.charCodeAt(0) === 0 ? k.slice(1) : k;
}
