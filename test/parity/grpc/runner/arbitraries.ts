import fc from 'fast-check';
import type { Pair } from '../scenarios/build.js';

/** Text of every kind: ASCII, BMP, astral, any code point, lone surrogates, whitespace, percent signs. */
export const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('\ud800', 'a\udfffb', '😀', '%', '%25', '%zz', ' \t\n\r', 'line\nline', '\u0000', 'é'),
);

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
const bytes = fc.uint8Array({ maxLength: 24 }).map((array) => Buffer.from(array));

const nested: fc.Arbitrary<object> = fc.letrec((tie) => ({
  node: fc.record(
    {
      label: text,
      values: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 4 }),
      child: fc.option(tie('node'), { nil: undefined, depthSize: 'small' }),
    },
    { requiredKeys: [] },
  ),
})).node as fc.Arbitrary<object>;

/** parity.Msg objects as an application builds them (int64 as strings). */
export const message = fc.record(
  {
    text,
    n: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    big: int64,
    ubig: uint64,
    blob: bytes,
    mood: fc.constantFrom('CALM', 'HAPPY'),
    tags: fc.array(text, { maxLength: 4 }),
    nested,
    items: fc.array(nested, { maxLength: 3 }),
    labels: fc.dictionary(fc.string({ maxLength: 6 }), text, { maxKeys: 3 }),
    ratio: fc.double(),
    flag: fc.boolean(),
    name: text,
    signed_big: int64,
    fixed_big: uint64,
    maybe: text,
    small: fc.float(),
  },
  { requiredKeys: [] },
);

/** The same messages for the 'numbers' loader profile: int64 as JavaScript numbers, enums as numbers. */
export const numericMessage = fc.record(
  {
    text,
    big: fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    ubig: fc.nat({ max: 2 ** 53 - 1 }),
    mood: fc.constantFrom(0, 1),
    tags: fc.array(text, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

const RESERVED = [
  'user-agent',
  'te',
  'content-type',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'grpc-status',
  'grpc-message',
  'authorization',
  'host',
  'grpc-previous-rpc-attempts',
];
const keyChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.'.split(''));
const customKey = fc.string({ unit: keyChars, minLength: 1, maxLength: 10 }).map((key) => `x-${key}`);
const asciiValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 16 }),
  fc.constantFrom('', ' padded ', 'a,b', 'a, b', '%', 'é'),
);

/** Metadata pairs: custom, reserved and -bin keys, repeated keys, odd values. */
export const metadataPairs: fc.Arbitrary<Pair[]> = fc.array(
  fc.oneof(
    fc.tuple(customKey, asciiValue),
    fc.tuple(fc.constantFrom(...RESERVED), asciiValue),
    fc.tuple(
      customKey.map((key) => `${key}-bin`),
      bytes,
    ),
    fc.tuple(fc.constantFrom('x-repeated', 'x-repeated-bin'), fc.oneof(asciiValue, bytes)),
  ) as fc.Arbitrary<Pair>,
  { maxLength: 6 },
);

export const status = fc.record({ code: fc.integer({ min: 1, max: 16 }), details: text });
