const SLOTS = 64;

/**
 * Live calls by stream id. Ids are handed out in increasing order and most
 * calls end soon, so a call sits in a small ring at `id % 64`; one still alive
 * when its slot comes round again moves to a side map. A Map alone costs more
 * here: a connection with one call at a time grows and shrinks it on every call.
 */
export class CallTable<T> {
  private readonly ids = new Array<number>(SLOTS).fill(-1);
  private readonly values = new Array<T | undefined>(SLOTS).fill(undefined);
  private readonly older = new Map<number, T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: number): T | undefined {
    const slot = id & (SLOTS - 1);
    if (this.ids[slot] === id) return this.values[slot];
    return this.older.size > 0 ? this.older.get(id) : undefined;
  }

  /** `id` must not be live already. */
  set(id: number, value: T): void {
    const slot = id & (SLOTS - 1);
    const occupant = this.values[slot];
    if (occupant !== undefined) this.older.set(this.ids[slot]!, occupant);
    this.ids[slot] = id;
    this.values[slot] = value;
    this.count++;
  }

  delete(id: number): boolean {
    const slot = id & (SLOTS - 1);
    if (this.ids[slot] === id) {
      this.ids[slot] = -1;
      this.values[slot] = undefined;
      this.count--;
      return true;
    }
    if (this.older.size > 0 && this.older.delete(id)) {
      this.count--;
      return true;
    }
    return false;
  }

  /** Every live value in id order, and the table emptied. */
  drain(): T[] {
    const all: [number, T][] = [...this.older];
    for (let slot = 0; slot < SLOTS; slot++) {
      const value = this.values[slot];
      if (value !== undefined) all.push([this.ids[slot]!, value]);
    }
    this.ids.fill(-1);
    this.values.fill(undefined);
    this.older.clear();
    this.count = 0;
    return all.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
  }
}
