import { CallTable } from '../src/call-table.js';

describe('CallTable', () => {
  test('one call at a time: set, get, delete', () => {
    const table = new CallTable<string>();
    for (let id = 1; id <= 1000; id++) {
      table.set(id, `call ${id}`);
      expect(table.get(id)).toBe(`call ${id}`);
      expect(table.size).toBe(1);
      expect(table.delete(id)).toBe(true);
      expect(table.get(id)).toBeUndefined();
      expect(table.delete(id)).toBe(false);
    }
    expect(table.size).toBe(0);
  });

  test('a call that outlives the ring keeps its place beside later calls with the same slot', () => {
    const table = new CallTable<string>();
    table.set(1, 'long stream');
    for (let id = 2; id <= 500; id++) {
      table.set(id, `call ${id}`);
      expect(table.get(1)).toBe('long stream');
      if (id % 3 !== 0) table.delete(id);
    }
    expect(table.get(65)).toBeUndefined();
    expect(table.get(66)).toBe('call 66');
    expect(table.get(64)).toBeUndefined();
    const live = [1, ...Array.from({ length: 499 }, (_, i) => i + 2).filter((id) => id % 3 === 0)];
    expect(table.size).toBe(live.length);
    for (const id of live) expect(table.get(id)).toBe(id === 1 ? 'long stream' : `call ${id}`);
    expect(table.delete(1)).toBe(true);
    expect(table.get(1)).toBeUndefined();
    expect(table.size).toBe(live.length - 1);
  });

  test('ids that all land on one slot still work', () => {
    const table = new CallTable<number>();
    for (let id = 64; id <= 64 * 50; id += 64) table.set(id, id);
    expect(table.size).toBe(50);
    for (let id = 64; id <= 64 * 50; id += 64) expect(table.get(id)).toBe(id);
    for (let id = 64; id <= 64 * 50; id += 128) expect(table.delete(id)).toBe(true);
    expect(table.size).toBe(25);
    expect(table.get(64)).toBeUndefined();
    expect(table.get(128)).toBe(128);
  });

  test('drain hands back every live call in id order and empties the table', () => {
    const table = new CallTable<number>();
    for (let id = 1; id <= 200; id++) table.set(id, id);
    for (let id = 1; id <= 200; id++) if (id % 7 !== 0) table.delete(id);
    const expected = Array.from({ length: 200 }, (_, i) => i + 1).filter((id) => id % 7 === 0);
    expect(table.drain()).toEqual(expected);
    expect(table.size).toBe(0);
    expect(table.get(7)).toBeUndefined();
    expect(table.drain()).toEqual([]);
  });
});
