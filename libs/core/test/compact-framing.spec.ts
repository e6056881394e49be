import { jest } from '@jest/globals';
import {
  COMPACT_HEADER_SIZE,
  CompactFrameDecoder,
  ErrorCodes,
  encodeCompactFrame,
  isFriendsError,
  type CompactFrame,
  type ErrorCode,
} from '../src/internal.js';
import { byteByByte, everyCut, mulberry32, randomChunks, randomInt } from './support/helpers.js';

const LIMITS = { maxFrameSize: 16 * 1024 * 1024 };

interface Plain {
  type: number;
  id: number;
  payload: string;
}

const plain = (f: CompactFrame): Plain => ({ type: f.type, id: f.id, payload: f.payload.toString('hex') });

function decodeAll(chunks: Buffer[], limits = LIMITS): Plain[] {
  const decoder = new CompactFrameDecoder(limits);
  const out: Plain[] = [];
  for (const chunk of chunks) out.push(...decoder.push(chunk).map(plain));
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
  expect(isFriendsError(thrown, code)).toBe(true);
}

function header(length: number, type = 1, id = 0): Buffer {
  const out = Buffer.alloc(COMPACT_HEADER_SIZE);
  out.writeUInt32LE(length, 0);
  out[4] = type;
  out.writeUInt32LE(id, 5);
  return out;
}

const SAMPLE: [number, number, string | Buffer | undefined][] = [
  [1, 7, '{"a":1}'],
  [2, 0, undefined],
  [3, 0xffffffff, 'héllo 😀'],
  [0xf0, 42, Buffer.from([0, 1, 2, 255])],
  [4, 1, ''],
  [5, 123456, 'x'.repeat(300)],
];
const SAMPLE_WIRE = Buffer.concat(SAMPLE.map(([t, i, p]) => encodeCompactFrame(t, i, p)));
const SAMPLE_PLAIN: Plain[] = SAMPLE.map(([type, id, p]) => ({
  type,
  id,
  payload: (p === undefined ? Buffer.alloc(0) : Buffer.from(p)).toString('hex'),
}));

describe('encodeCompactFrame', () => {
  test('writes u32le length | u8 type | u32le id | payload, length counting bytes after itself', () => {
    const frame = encodeCompactFrame(7, 0x01020304, 'é😀');
    const payloadBytes = Buffer.byteLength('é😀'); // 6
    expect(frame.length).toBe(COMPACT_HEADER_SIZE + payloadBytes);
    expect(frame.readUInt32LE(0)).toBe(5 + payloadBytes);
    expect(frame[4]).toBe(7);
    expect(frame.readUInt32LE(5)).toBe(0x01020304);
    expect(frame.subarray(COMPACT_HEADER_SIZE).toString('utf8')).toBe('é😀');
  });

  test('an empty or missing payload gives a bare header', () => {
    for (const payload of [undefined, '', Buffer.alloc(0)]) {
      const frame = encodeCompactFrame(9, 1, payload);
      expect(frame).toEqual(header(5, 9, 1));
    }
  });

  test('ids are written as unsigned 32-bit', () => {
    expect(encodeCompactFrame(1, -1).readUInt32LE(5)).toBe(0xffffffff);
    expect(encodeCompactFrame(1, 2 ** 32 + 5).readUInt32LE(5)).toBe(5);
  });

  test('buffer payloads are copied, not aliased', () => {
    const payload = Buffer.from('abc');
    const frame = encodeCompactFrame(1, 1, payload);
    payload[0] = 0x7a;
    expect(frame.subarray(COMPACT_HEADER_SIZE).toString()).toBe('abc');
  });
});

describe('CompactFrameDecoder', () => {
  test('decodes several frames from one chunk', () => {
    expect(decodeAll([SAMPLE_WIRE])).toEqual(SAMPLE_PLAIN);
  });

  test('decodes when fed one byte at a time', () => {
    expect(decodeAll(byteByByte(SAMPLE_WIRE))).toEqual(SAMPLE_PLAIN);
  });

  test('decodes when split in two at every boundary', () => {
    for (const chunks of everyCut(SAMPLE_WIRE).inTwo) expect(decodeAll(chunks)).toEqual(SAMPLE_PLAIN);
  });

  test('decodes when split in three at every pair of boundaries', () => {
    const wire = Buffer.concat([
      encodeCompactFrame(1, 1, 'ab'),
      encodeCompactFrame(2, 2),
      encodeCompactFrame(3, 3, 'é'),
    ]);
    const expected = decodeAll([wire]);
    expect(expected.map((f) => f.type)).toEqual([1, 2, 3]);
    for (const chunks of everyCut(wire).inThree) expect(decodeAll(chunks)).toEqual(expected);
  });

  test('tolerates empty chunks in any state', () => {
    const decoder = new CompactFrameDecoder(LIMITS);
    const wire = encodeCompactFrame(1, 2, 'abc');
    expect(decoder.push(Buffer.alloc(0))).toEqual([]);
    expect(decoder.push(wire.subarray(0, 2))).toEqual([]);
    expect(decoder.push(Buffer.alloc(0))).toEqual([]);
    expect(decoder.push(wire.subarray(2, 10))).toEqual([]);
    expect(decoder.push(Buffer.alloc(0))).toEqual([]);
    expect(decoder.push(wire.subarray(10)).map(plain)).toEqual([
      { type: 1, id: 2, payload: Buffer.from('abc').toString('hex') },
    ]);
  });

  test('decodes 12,000 pipelined frames from a single push', () => {
    const wire = Buffer.concat(Array.from({ length: 12_000 }, (_, i) => encodeCompactFrame(1, i, `{"i":${i}}`)));
    const frames = new CompactFrameDecoder(LIMITS).push(wire);
    expect(frames).toHaveLength(12_000);
    const mismatches = frames.filter((f, i) => f.id !== i || f.payload.toString() !== `{"i":${i}}`);
    expect(mismatches).toEqual([]);
  });

  test('a large frame arriving in many chunks decodes correctly and is joined once', () => {
    const payload = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const wire = Buffer.concat([encodeCompactFrame(6, 99, payload), encodeCompactFrame(7, 100, 'tail')]);
    const decoder = new CompactFrameDecoder(LIMITS);
    const concat = jest.spyOn(Buffer, 'concat');
    const frames: CompactFrame[] = [];
    try {
      for (let pos = 0; pos < wire.length; pos += 1000) {
        frames.push(...decoder.push(wire.subarray(pos, pos + 1000)));
        if (frames.length === 0) expect(decoder.partial).toBe(true);
      }
      // One join for the big frame, and at most one for the small one across a chunk edge.
      expect(concat.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(concat.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      concat.mockRestore();
    }
    expect(frames).toHaveLength(2);
    expect(frames[0]!.type).toBe(6);
    expect(frames[0]!.id).toBe(99);
    expect(frames[0]!.payload.equals(payload)).toBe(true);
    expect(frames[1]!.payload.toString()).toBe('tail');
    expect(decoder.partial).toBe(false);
  });

  test('partial is true exactly while part of a frame is buffered', () => {
    const decoder = new CompactFrameDecoder(LIMITS);
    const wire = encodeCompactFrame(1, 1, 'hello');
    expect(decoder.partial).toBe(false);
    decoder.push(wire.subarray(0, 1));
    expect(decoder.partial).toBe(true);
    decoder.push(wire.subarray(1, COMPACT_HEADER_SIZE));
    expect(decoder.partial).toBe(true);
    expect(decoder.push(wire.subarray(COMPACT_HEADER_SIZE))).toHaveLength(1);
    expect(decoder.partial).toBe(false);
    expect(decoder.push(Buffer.concat([wire, wire.subarray(0, 3)]))).toHaveLength(1);
    expect(decoder.partial).toBe(true);
  });

  describe('limits', () => {
    test('rejects a declared length over the limit from the 4-byte length alone', () => {
      const decoder = new CompactFrameDecoder({ maxFrameSize: 100 });
      expectCode(() => decoder.push(header(101).subarray(0, 4)), ErrorCodes.FRAME_TOO_LARGE);
    });

    test('rejects a length over the limit that arrives one byte at a time', () => {
      const decoder = new CompactFrameDecoder({ maxFrameSize: 100 });
      const h = header(0xffffffff);
      for (let i = 0; i < 3; i++) expect(decoder.push(h.subarray(i, i + 1))).toEqual([]);
      expectCode(() => decoder.push(h.subarray(3, 4)), ErrorCodes.FRAME_TOO_LARGE);
    });

    test('accepts a length exactly at the limit', () => {
      const decoder = new CompactFrameDecoder({ maxFrameSize: 100 });
      const frames = decoder.push(encodeCompactFrame(1, 1, Buffer.alloc(95, 1)));
      expect(frames).toHaveLength(1);
      expect(frames[0]!.payload.length).toBe(95);
      expectCode(() => decoder.push(encodeCompactFrame(1, 1, Buffer.alloc(96, 1))), ErrorCodes.FRAME_TOO_LARGE);
    });

    test.each([0, 1, 4])('length %i, shorter than the header -> FRIENDS_ERR_BAD_FRAME', (length) => {
      const decoder = new CompactFrameDecoder(LIMITS);
      expectCode(() => decoder.push(header(length)), ErrorCodes.BAD_FRAME);
    });

    test('length 5 (header only) is a valid empty frame', () => {
      const frames = new CompactFrameDecoder(LIMITS).push(header(5, 3, 4));
      expect(frames.map(plain)).toEqual([{ type: 3, id: 4, payload: '' }]);
    });

    test('a bad header after good frames is rejected', () => {
      const decoder = new CompactFrameDecoder(LIMITS);
      expect(decoder.push(encodeCompactFrame(1, 1, 'ok'))).toHaveLength(1);
      expectCode(() => decoder.push(header(2)), ErrorCodes.BAD_FRAME);
    });
  });

  test('property: random frames, random chunking, decode(encode(x)) == x', () => {
    const rand = mulberry32(20240607);
    for (let round = 0; round < 300; round++) {
      const count = randomInt(rand, 1, 25);
      const frames: Plain[] = [];
      const parts: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        const type = randomInt(rand, 0, 255);
        const id = randomInt(rand, 0, 0xffffffff);
        const size = rand() < 0.15 ? 0 : randomInt(rand, 1, rand() < 0.1 ? 5000 : 100);
        const payload = Buffer.alloc(size);
        for (let k = 0; k < size; k++) payload[k] = randomInt(rand, 0, 255);
        frames.push({ type, id, payload: payload.toString('hex') });
        parts.push(encodeCompactFrame(type, id, payload));
      }
      const wire = Buffer.concat(parts);
      expect(decodeAll(randomChunks(rand, wire, randomInt(rand, 1, 700)))).toEqual(frames);
    }
  });
});
