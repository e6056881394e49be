import { jsonCopy } from '../src/links/json-copy.js';

const viaJson = (v: unknown): unknown => {
  const text = JSON.stringify(v);
  return text === undefined ? undefined : JSON.parse(text);
};

/** Same value, same key order, same own-property structure as the JSON round trip. */
function expectSameAsJson(value: unknown): void {
  const copy = jsonCopy(value);
  expect(JSON.stringify(copy)).toBe(JSON.stringify(viaJson(value)));
  expect(copy).toEqual(viaJson(value));
}

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
  get sum(): number {
    return this.x + this.y;
  }
}

describe('jsonCopy equals JSON.parse(JSON.stringify(v))', () => {
  test.each<[string, unknown]>([
    ['primitives', [1, 'a', true, false, null, 0, -1.5, 1e300]],
    ['top-level primitives', 'äö😀'],
    ['non-finite and negative zero', { a: NaN, b: Infinity, c: -Infinity, d: -0, e: [NaN, -0] }],
    [
      'undefined, functions, symbols: dropped in objects, null in arrays',
      { u: undefined, f: () => 1, s: Symbol('x'), a: [undefined, () => 1, Symbol('y')] },
    ],
    ['Dates', { d: new Date(0), list: [new Date(86_400_000)] }],
    ['invalid Date', { d: new Date(NaN) }],
    [
      'toJSON gets its key',
      { a: { toJSON: (k: string) => `key=${k}` }, list: [{ toJSON: (k: string) => `index=${k}` }] },
    ],
    ['toJSON returning undefined drops the key', { a: { toJSON: () => undefined }, b: 1 }],
    ['nested toJSON results are copied again', { a: { toJSON: () => ({ d: new Date(0), n: NaN }) } }],
    ['wrapper objects are unboxed', { n: Object(5), s: Object('str'), b: Object(false), nn: Object(NaN) }],
    ['class instances lose their prototype and getters', new Point(1, 2)],
    ['Map, Set, RegExp, Error become {}', { m: new Map([[1, 2]]), s: new Set([1]), r: /x/g, e: new Error('boom') }],
    ['Buffer and typed arrays', { b: Buffer.from('hi'), t: new Uint8Array([1, 2]) }],
    ['sparse arrays', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['array extra properties are ignored', Object.assign([1, 2], { extra: true })],
    [
      'symbol keys and non-enumerable keys are ignored',
      Object.defineProperty({ [Symbol('k')]: 1, a: 1 }, 'hidden', { value: 2, enumerable: false }),
    ],
    ['inherited properties are ignored', Object.assign(Object.create({ inherited: 1 }), { own: 2 })],
    ['integer-like keys keep the engine order', { b: 1, 2: 'two', a: 3, 1: 'one' }],
    ['lone surrogates', { s: '\ud800x\udfff' }],
    ['deep nesting', JSON.parse('['.repeat(200) + ']'.repeat(200))],
    ['undefined top level', undefined],
    ['function top level', () => 1],
  ])('%s', (_name, value) => expectSameAsJson(value));

  test('"__proto__" stays an own property and does not change the prototype', () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"a":1}');
    const copy = jsonCopy(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expectSameAsJson(value);
  });

  test('getters run once per copy, as JSON.stringify runs them', () => {
    let reads = 0;
    const value = {
      get g() {
        reads++;
        return reads;
      },
    };
    expect(jsonCopy(value)).toEqual({ g: 1 });
    expect(reads).toBe(1);
  });

  test('fails where JSON.stringify fails, with the same error type', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => JSON.stringify(cyclic)).toThrow(TypeError);
    expect(() => jsonCopy(cyclic)).toThrow(TypeError);
    expect(() => jsonCopy({ n: 10n })).toThrow(TypeError);
    expect(() => jsonCopy([Object(10n)])).toThrow(TypeError);
    expect(jsonCopy({ n: { toJSON: () => 'ok' } })).toEqual({ n: 'ok' });
  });

  test('repeated (non-cyclic) references are copied, not shared', () => {
    const shared = { x: 1 };
    const copy = jsonCopy({ a: shared, b: shared }) as { a: object; b: object };
    expect(copy).toEqual({ a: { x: 1 }, b: { x: 1 } });
    expect(copy.a).not.toBe(copy.b);
    expect(copy.a).not.toBe(shared);
  });

  test('seeded random values', () => {
    let seed = 0x9e3779b9;
    const rand = (): number => {
      seed |= 0;
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const leaves = [
      () => rand() * 1e6 - 5e5,
      () => Math.floor(rand() * 100),
      () => [NaN, -0, Infinity, -Infinity][Math.floor(rand() * 4)],
      () => String.fromCharCode(...Array.from({ length: Math.floor(rand() * 8) }, () => Math.floor(rand() * 0xffff))),
      () => rand() < 0.5,
      () => null,
      () => undefined,
      () => new Date(Math.floor(rand() * 1e12)),
      () => () => 1,
      () => ({ toJSON: (k: string) => `${k}!` }),
    ];
    const make = (depth: number): unknown => {
      const r = rand();
      if (depth > 4 || r < 0.4) return leaves[Math.floor(rand() * leaves.length)]!();
      if (r < 0.7) return Array.from({ length: Math.floor(rand() * 5) }, () => make(depth + 1));
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 5); i > 0; i--)
        out[rand() < 0.2 ? String(i) : `k${Math.floor(rand() * 50)}`] = make(depth + 1);
      return out;
    };
    for (let i = 0; i < 2000; i++) expectSameAsJson(make(0));
  });
});
