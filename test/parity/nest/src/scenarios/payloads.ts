import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Recorder } from '../recorder.js';
import type { Scenario } from '../scenario.js';
import { UNENCODABLE_ON_11 } from './context.js';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  get sum(): number {
    return this.x + this.y;
  }
}

/** Values whose JSON copy differs from the value: what the wire does to them is the contract. */
export function jsonSemantics(): Record<string, unknown> {
  const withHidden = { shown: 1 };
  Object.defineProperty(withHidden, 'hidden', { value: 2, enumerable: false });
  const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
  const withProps = Object.assign([1, 2], { extra: 'dropped' });
  return {
    date: new Date(0),
    invalidDate: new Date(NaN),
    undef: undefined,
    fn: () => 1,
    sym: Symbol('s'),
    [Symbol('key')]: 'symbol keys are skipped',
    nan: NaN,
    inf: -Infinity,
    minusZero: -0,
    big: 2 ** 53 + 2,
    tiny: 5e-324,
    arrayOfOddities: [undefined, () => 1, Symbol('x'), NaN, new Date(1)],
    sparse,
    withProps,
    toJSON: { toJSON: (key: string) => ({ calledWith: key }) },
    nestedToJSON: { inner: { toJSON: () => 'inner replaced' } },
    point: new Point(1, 2),
    map: new Map([[1, 2]]),
    set: new Set([1]),
    buffer: Buffer.from('hi'),
    typed: new Uint8Array([1, 2]),
    boxed: [new Number(5), new String('s'), new Boolean(false)],
    nullProto: Object.assign(Object.create(null) as object, { a: 1 }),
    withHidden,
    protoKey: JSON.parse('{"__proto__": {"polluted": true}, "after": 1}') as unknown,
    emptyKey: { '': 'empty key' },
    numericKeys: { 2: 'b', 1: 'a', x: 'c' },
  };
}

/** Strings that are easy to get wrong between UTF-16, UTF-8 and JSON escapes. */
export const UNICODE: Record<string, string> = {
  astral: '😀🎉𝄞',
  mixed: 'äö😀 \u2028 \u2029 "quoted" \\ /',
  loneHigh: 'a\ud83db',
  loneLow: 'a\ude00b',
  reversedPair: '\ude00\ud83d',
  trailingHigh: 'end\ud83d',
  controls: '\u0000\u0001\u001f\t\n\r\b\f\u007f',
  zwj: '👩‍👩‍👧‍👦',
  rtl: 'שלום עולם',
  combining: 'e\u0301',
  bom: '\ufeffbom',
};

@Controller()
export class PayloadsController {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {}

  @MessagePattern('pl.echo')
  echo(@Payload() data: unknown): unknown {
    this.rec.add('pl.echo', data);
    return data;
  }

  @MessagePattern('pl.semantics')
  semantics(): unknown {
    this.rec.add('pl.semantics');
    return jsonSemantics();
  }

  @MessagePattern('pl.unicode')
  unicode(): unknown {
    this.rec.add('pl.unicode');
    return UNICODE;
  }

  @MessagePattern('pl.unsendable')
  unsendable(@Payload() kind: string): unknown {
    this.rec.add('pl.unsendable', kind);
    if (kind === 'bigint') return { n: 10n };
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    return cycle;
  }

  @MessagePattern('pl.length')
  length(@Payload() data: string): number {
    this.rec.add('pl.length', data.length);
    return data.length;
  }

  @MessagePattern('pl.repeat')
  repeat(@Payload() spec: { unit: string; times: number }): string {
    this.rec.add('pl.repeat', spec);
    return spec.unit.repeat(spec.times);
  }
}

export const payloadScenarios: Scenario[] = [
  { id: 'payload/json-semantics-request', run: (t) => t.call('echo', 'pl.echo', jsonSemantics()) },
  { id: 'payload/json-semantics-response', run: (t) => t.call('semantics', 'pl.semantics', {}) },
  { id: 'payload/unicode-request', run: (t) => t.call('echo', 'pl.echo', UNICODE) },
  { id: 'payload/unicode-response', run: (t) => t.call('unicode', 'pl.unicode', {}) },
  {
    id: 'payload/unicode-as-top-level-strings',
    async run(t) {
      for (const [label, text] of Object.entries(UNICODE)) await t.call(label, 'pl.echo', text);
    },
  },
  {
    id: 'payload/numbers',
    async run(t) {
      const numbers = [0, -0, 1e308, -1e-308, 2 ** 53 + 1, 5e-324, NaN, Infinity, -Infinity, 0.1 + 0.2, -7];
      await t.call('array', 'pl.echo', numbers);
      for (const n of numbers) await t.call(String(n), 'pl.echo', n);
    },
  },
  {
    id: 'payload/unsendable-request',
    async run(t) {
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      await t.call('bigint', 'pl.echo', { n: 10n });
      await t.call('cycle', 'pl.echo', cycle);
      await t.observe('bigint event', t.client.emit('pl.echo', 1n));
      await t.call('still connected', 'pl.echo', 'ok');
    },
  },
  {
    id: 'payload/unsendable-response',
    notOnNest11: UNENCODABLE_ON_11,
    async run(t) {
      await t.call('bigint', 'pl.unsendable', 'bigint', { within: 150 });
      await t.call('cycle', 'pl.unsendable', 'cycle', { within: 150 });
      await t.call('still connected', 'pl.echo', 'ok');
    },
  },
  {
    id: 'payload/one-million-characters-both-ways',
    async run(t) {
      const big = 'x'.repeat(1_000_000 - 3) + '😀é';
      await t.call('echo', 'pl.echo', big);
      await t.call('repeat', 'pl.repeat', { unit: 'ab😀', times: 250_000 });
    },
  },
];
