import {
  ErrorCodes,
  StockFrameDecoder,
  encodeStockFrame,
  isFriendsError,
  parseJsonFrame,
  stockJsonCodec,
  type ErrorCode,
} from '../src/internal.js';
import { byteByByte, everyCut, mulberry32, randomChunks, randomInt } from './support/helpers.js';

const LIMITS = { maxFrameSize: 1024 * 1024 };

function decodeAll(chunks: (Buffer | string)[], limits = LIMITS): string[] {
  const decoder = new StockFrameDecoder(limits);
  const out: string[] = [];
  for (const chunk of chunks) out.push(...decoder.push(chunk));
  expect(decoder.partial).toBe(false);
  return out;
}

function expectCode(fn: () => unknown, code: ErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeDefined();
  expect((thrown as { code?: string }).code).toBe(code);
  expect(isFriendsError(thrown, code)).toBe(true);
}

const SAMPLE = ['{"a":1}', '', '"héllo wörld"', '{"emoji":"😀👍🏽","cjk":"漢字"}', '[1,2,3]', 'null', '{"x":"#42#"}'];
const SAMPLE_WIRE = Buffer.from(SAMPLE.map(encodeStockFrame).join(''), 'utf8');

describe('encodeStockFrame', () => {
  test('prefixes the length in UTF-16 code units, not bytes', () => {
    expect(encodeStockFrame('{"a":1}')).toBe('7#{"a":1}');
    expect(encodeStockFrame('')).toBe('0#');
    // 'é' is 1 code unit / 2 bytes; '😀' is 2 code units / 4 bytes.
    expect(encodeStockFrame('é')).toBe('1#é');
    expect(encodeStockFrame('😀')).toBe('2#😀');
    expect(Buffer.byteLength(encodeStockFrame('😀'))).toBe(6);
  });
});

describe('StockFrameDecoder', () => {
  test('decodes several frames given as one chunk', () => {
    expect(decodeAll([SAMPLE_WIRE])).toEqual(SAMPLE);
  });

  test('decodes when fed one byte at a time (multi-byte characters split everywhere)', () => {
    expect(decodeAll(byteByByte(SAMPLE_WIRE))).toEqual(SAMPLE);
  });

  test('decodes when split in two at every boundary', () => {
    for (const chunks of everyCut(SAMPLE_WIRE).inTwo) expect(decodeAll(chunks)).toEqual(SAMPLE);
  });

  test('decodes when split in three at every pair of boundaries', () => {
    const wire = Buffer.from(encodeStockFrame('{"k":"😀é"}') + encodeStockFrame('12') + encodeStockFrame(''));
    const expected = ['{"k":"😀é"}', '12', ''];
    for (const chunks of everyCut(wire).inThree) expect(decodeAll(chunks)).toEqual(expected);
  });

  test('decodes 12,000 pipelined frames from a single push', () => {
    const frames = Array.from({ length: 12_000 }, (_, i) => `{"id":${i},"pattern":"sum"}`);
    const decoder = new StockFrameDecoder(LIMITS);
    const out = decoder.push(Buffer.from(frames.map(encodeStockFrame).join('')));
    expect(out).toHaveLength(12_000);
    expect(out).toEqual(frames);
    expect(decoder.partial).toBe(false);
  });

  test('counts UTF-16 code units for the length, with a UTF-8 character split across chunks', () => {
    const json = '"€😀"'; // € is 3 bytes, 😀 is 4 bytes / 2 code units
    const wire = Buffer.from(encodeStockFrame(json));
    expect(wire.toString('latin1').startsWith('5#')).toBe(true);
    const euro = wire.indexOf(Buffer.from('€'));
    const decoder = new StockFrameDecoder(LIMITS);
    expect(decoder.push(wire.subarray(0, euro + 1))).toEqual([]);
    expect(decoder.partial).toBe(true);
    expect(decoder.push(wire.subarray(euro + 1, euro + 2))).toEqual([]);
    const grin = wire.indexOf(Buffer.from('😀'));
    expect(decoder.push(wire.subarray(euro + 2, grin + 3))).toEqual([]);
    expect(decoder.push(wire.subarray(grin + 3))).toEqual([json]);
    expect(decoder.partial).toBe(false);
  });

  test('accepts string chunks as well as buffers', () => {
    const decoder = new StockFrameDecoder(LIMITS);
    expect(decoder.push('3#ab')).toEqual([]);
    expect(decoder.push('c1#')).toEqual(['abc']);
    expect(decoder.push('x')).toEqual(['x']);
  });

  test('partial is true exactly while part of a frame is buffered', () => {
    const decoder = new StockFrameDecoder(LIMITS);
    expect(decoder.partial).toBe(false);
    decoder.push(Buffer.from('1'));
    expect(decoder.partial).toBe(true); // a digit of a prefix
    decoder.push(Buffer.from('0'));
    expect(decoder.partial).toBe(true);
    decoder.push(Buffer.from('#'));
    expect(decoder.partial).toBe(true); // prefix complete, no body yet
    decoder.push(Buffer.from('{"a":"bc"'));
    expect(decoder.partial).toBe(true);
    expect(decoder.push(Buffer.from('}'))).toEqual(['{"a":"bc"}']);
    expect(decoder.partial).toBe(false);
    expect(decoder.push(Buffer.from('0#'))).toEqual(['']);
    expect(decoder.partial).toBe(false);
    expect(decoder.push(Buffer.from('2#[]3#'))).toEqual(['[]']);
    expect(decoder.partial).toBe(true);
  });

  describe('limits', () => {
    test('rejects a declared length over maxFrameSize before the body arrives', () => {
      const decoder = new StockFrameDecoder({ maxFrameSize: 100 });
      expectCode(() => decoder.push(Buffer.from('101#')), ErrorCodes.FRAME_TOO_LARGE);
    });

    test('accepts a declared length equal to maxFrameSize', () => {
      const decoder = new StockFrameDecoder({ maxFrameSize: 100 });
      const body = 'x'.repeat(100);
      expect(decoder.push(Buffer.from(`100#${body}`))).toEqual([body]);
    });

    test('rejects a huge declared length (16 digits) without waiting for any body', () => {
      const decoder = new StockFrameDecoder(LIMITS);
      expectCode(() => decoder.push(Buffer.from('9999999999999999#')), ErrorCodes.FRAME_TOO_LARGE);
    });

    test('rejects an oversized length that arrives one byte at a time, at the #', () => {
      const decoder = new StockFrameDecoder({ maxFrameSize: 100 });
      for (const ch of '1000') expect(decoder.push(Buffer.from(ch))).toEqual([]);
      expectCode(() => decoder.push(Buffer.from('#')), ErrorCodes.FRAME_TOO_LARGE);
    });

    test('rejects an oversized second frame after delivering nothing past the first', () => {
      const decoder = new StockFrameDecoder({ maxFrameSize: 10 });
      expect(decoder.push(Buffer.from('2#{}'))).toEqual(['{}']);
      expectCode(() => decoder.push(Buffer.from('11#')), ErrorCodes.FRAME_TOO_LARGE);
    });
  });

  describe('corrupted prefixes', () => {
    test.each([
      ['letters', 'ab#{}'],
      ['empty prefix', '#{}'],
      ['negative', '-1#'],
      ['plus sign', '+2#{}'],
      ['space', '1 2#'],
      ['hex', '0x10#'],
      ['decimal point', '1.5#'],
      ['17 digits then #', '12345678901234567#'],
    ])('%s -> FRIENDS_ERR_BAD_FRAME', (_name, wire) => {
      const decoder = new StockFrameDecoder(LIMITS);
      expectCode(() => decoder.push(Buffer.from(wire)), ErrorCodes.BAD_FRAME);
    });

    test('too many digits without a # is rejected without waiting for the #', () => {
      const decoder = new StockFrameDecoder(LIMITS);
      expect(decoder.push(Buffer.from('1234567890123456'))).toEqual([]); // 16 digits: still possible
      expectCode(() => decoder.push(Buffer.from('7')), ErrorCodes.BAD_FRAME);
    });

    test('an HTTP request sent to the port is rejected', () => {
      const decoder = new StockFrameDecoder(LIMITS);
      expectCode(() => decoder.push(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')), ErrorCodes.BAD_FRAME);
    });

    test('garbage after a good frame is rejected; the good frame came first', () => {
      const decoder = new StockFrameDecoder(LIMITS);
      expect(decoder.push(Buffer.from('2#{}'))).toEqual(['{}']);
      expectCode(() => decoder.push(Buffer.from('zz#')), ErrorCodes.BAD_FRAME);
    });
  });

  test('property: random frames, random chunking, decode(encode(x)) == x', () => {
    const rand = mulberry32(0xc0ffee);
    const alphabet = ['a', 'Z', '0', '#', '"', '\\', ' ', 'é', '€', '😀', '漢', '\n', '{', '}'];
    for (let round = 0; round < 200; round++) {
      const count = randomInt(rand, 1, 30);
      const frames: string[] = [];
      for (let i = 0; i < count; i++) {
        const len = rand() < 0.1 ? 0 : randomInt(rand, 1, 200);
        let s = '';
        for (let k = 0; k < len; k++) s += alphabet[randomInt(rand, 0, alphabet.length - 1)];
        frames.push(s);
      }
      const wire = Buffer.from(frames.map(encodeStockFrame).join(''));
      const chunks = randomChunks(rand, wire, randomInt(rand, 1, 64));
      expect(decodeAll(chunks)).toEqual(frames);
    }
  });
});

describe('stockJsonCodec', () => {
  test('round-trips JSON values', () => {
    const messages = [{ pattern: 'sum', data: [1, 2, 3], id: 'x' }, { s: '😀' }, []];
    const wire = Buffer.from(messages.map((m) => stockJsonCodec.encode(m)).join(''));
    const decoder = stockJsonCodec.createDecoder(LIMITS);
    expect(decoder.push(wire)).toEqual(messages);
    expect(decoder.partial).toBe(false);
  });

  test('encodes exactly the stock Nest wire', () => {
    expect(stockJsonCodec.encode({ a: 'é' })).toBe('9#{"a":"é"}');
  });

  test('null decodes to {}, as stock does', () => {
    const decoder = stockJsonCodec.createDecoder(LIMITS);
    expect(decoder.push(Buffer.from('4#null'))).toEqual([{}]);
  });

  test('bad JSON -> FRIENDS_ERR_BAD_JSON with the parse error as cause', () => {
    const decoder = stockJsonCodec.createDecoder(LIMITS);
    let thrown: unknown;
    try {
      decoder.push(Buffer.from('5#{"a":'));
    } catch (err) {
      thrown = err;
    }
    expect(isFriendsError(thrown, ErrorCodes.BAD_JSON)).toBe(true);
    expect((thrown as Error).cause).toBeInstanceOf(SyntaxError);
  });

  test('partial follows the frame decoder', () => {
    const decoder = stockJsonCodec.createDecoder(LIMITS);
    expect(decoder.partial).toBe(false);
    expect(decoder.push(Buffer.from('7#{"a":'))).toEqual([]);
    expect(decoder.partial).toBe(true);
    expect(decoder.push(Buffer.from('1}'))).toEqual([{ a: 1 }]);
    expect(decoder.partial).toBe(false);
  });

  test('passes the frame limit to its decoder', () => {
    const decoder = stockJsonCodec.createDecoder({ maxFrameSize: 5 });
    expectCode(() => decoder.push(Buffer.from('6#')), ErrorCodes.FRAME_TOO_LARGE);
  });
});

describe('parseJsonFrame', () => {
  test('parses valid JSON and rejects invalid JSON with a code', () => {
    expect(parseJsonFrame('{"a":[1]}')).toEqual({ a: [1] });
    expectCode(() => parseJsonFrame(''), ErrorCodes.BAD_JSON);
    expectCode(() => parseJsonFrame('{'), ErrorCodes.BAD_JSON);
  });
});
