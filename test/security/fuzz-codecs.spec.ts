import fc from 'fast-check';
import {
  COMPACT_HEADER_SIZE,
  CompactFrameDecoder,
  encodeCompactFrame,
  encodeStockFrame,
  ErrorCodes,
  isFriendsError,
  parseHello,
  StockFrameDecoder,
  stockJsonCodec,
  type ErrorCode,
} from '@friends/core/internal';
import { compactStreamCodec, encodeBatch, encodeFields, receiveBlock, type StreamFrame } from '@friends/grpc/internal';
import { compactNestCodec } from '@friends/nest/internal';

/**
 * Property-based input for every decoder a peer's bytes reach on the server
 * side: whatever arrives, a decoder returns messages or throws a FriendsError
 * with one of a few stable codes, and a declared length above the limit is
 * refused as soon as the length is read, before anything that size is buffered.
 * Fixed seed, bounded by time: the same inputs in the same order on every run.
 */
const SEED = 0x5ec5eed;
const BUDGET_MS = Number(process.env.FRIENDS_FUZZ_BUDGET_MS) || 1_500;
const LIMIT = 64 * 1024;
/** FRIENDS_SEC_REPORT=1 prints how many inputs each property tried. */
const REPORT = process.env.FRIENDS_SEC_REPORT === '1';

/** Runs `property` on inputs from `arbitrary` for BUDGET_MS, or `numRuns` inputs when the space is small. */
async function check<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  property: (value: T) => void,
  numRuns = 1_000_000,
): Promise<void> {
  let runs = 0;
  fc.assert(
    fc.property(arbitrary, (value) => {
      runs++;
      property(value);
    }),
    { seed: SEED, numRuns, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
  );
  if (REPORT) process.stderr.write(`fuzz ${name}: ${runs} inputs\n`);
  expect(runs).toBeGreaterThanOrEqual(Math.min(numRuns, 100));
}

/** Runs `decode` over `chunks`; a throw must be a FriendsError with one of `codes`, and ends the input. */
function decodeOrCodedError(chunks: Buffer[], push: (chunk: Buffer) => unknown[], codes: ErrorCode[]): unknown[] {
  const out: unknown[] = [];
  for (const chunk of chunks) {
    try {
      out.push(...push(chunk));
    } catch (err) {
      if (!codes.some((code) => isFriendsError(err, code))) throw err;
      return out;
    }
  }
  return out;
}

/** `bytes` cut at random places. */
const chunked = (bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Buffer[]> =>
  bytes.chain((all) =>
    fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, all.length - 1) }), { maxLength: 8 }).map((cuts) => {
      const points = [0, ...cuts.filter((c) => c < all.length).sort((a, b) => a - b), all.length];
      const buffer = Buffer.from(all);
      return points.slice(1).map((end, i) => buffer.subarray(points[i], end));
    }),
  );

const text = fc.string({ unit: 'binary', maxLength: 64 });
const jsonValue = fc.jsonValue({ maxDepth: 4 });
/** Pieces a stock frame is made of, shuffled with noise, so that inputs get past the first check. */
const stockish = fc
  .array(
    fc.oneof(
      jsonValue.map((v) => encodeStockFrame(JSON.stringify(v))),
      fc.nat({ max: 2 * LIMIT }).map((n) => `${n}#`),
      fc.bigInt({ min: 0n, max: 10n ** 20n }).map((n) => `${n}#`),
      text,
      fc.constantFrom('#', '{', '}', '"', '\\', '-1#', '1e3#', ' 5#', '0x10#'),
    ),
    { maxLength: 8 },
  )
  .map((parts) => Buffer.from(parts.join(''), 'utf8'));
const noise = fc.uint8Array({ maxLength: 256 });

/** Compact frames with random types, ids and payloads, valid lengths mostly, among noise. */
const compactish = fc
  .array(
    fc.oneof(
      fc
        .record({ type: fc.nat({ max: 255 }), id: fc.nat(), payload: fc.uint8Array({ maxLength: 64 }) })
        .map(({ type, id, payload }) => encodeCompactFrame(type, id, Buffer.from(payload))),
      fc
        .record({ type: fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), id: fc.nat(), json: jsonValue })
        .map(({ type, id, json }) => encodeCompactFrame(type, id, JSON.stringify(json))),
      fc.nat().map((length) => {
        const header = Buffer.alloc(4);
        header.writeUInt32LE(length);
        return header;
      }),
      noise.map((bytes) => Buffer.from(bytes)),
    ),
    { maxLength: 6 },
  )
  .map((parts) => new Uint8Array(Buffer.concat(parts)));

describe('fuzz: stock framing (length#json)', () => {
  test('any input gives frames, or BAD_FRAME / FRAME_TOO_LARGE', () =>
    check(
      'stock framing',
      chunked(
        fc.oneof(
          stockish.map((b) => new Uint8Array(b)),
          noise,
        ),
      ),
      (chunks) => {
        const decoder = new StockFrameDecoder({ maxFrameSize: LIMIT });
        const frames = decodeOrCodedError(chunks, (chunk) => decoder.push(chunk), [
          ErrorCodes.BAD_FRAME,
          ErrorCodes.FRAME_TOO_LARGE,
        ]);
        for (const frame of frames) expect((frame as string).length).toBeLessThanOrEqual(LIMIT);
      },
    ));

  test('any input gives JSON values, or BAD_FRAME / BAD_JSON / FRAME_TOO_LARGE', () =>
    check('stock json codec', chunked(stockish.map((b) => new Uint8Array(b))), (chunks) => {
      const decoder = stockJsonCodec.createDecoder({ maxFrameSize: LIMIT });
      decodeOrCodedError(chunks, (chunk) => decoder.push(chunk), [
        ErrorCodes.BAD_FRAME,
        ErrorCodes.BAD_JSON,
        ErrorCodes.FRAME_TOO_LARGE,
      ]);
    }));

  test('a declared length over the limit is refused with the prefix alone, before any body', () =>
    check(
      'stock huge length',
      fc.tuple(fc.bigInt({ min: BigInt(LIMIT) + 1n, max: 10n ** 16n - 1n }), fc.nat({ max: 15 })),
      ([length, split]) => {
        const decoder = new StockFrameDecoder({ maxFrameSize: LIMIT });
        const prefix = Buffer.from(`${length}#`);
        const cut = Math.min(split, prefix.length - 1);
        expect(decoder.push(prefix.subarray(0, cut))).toEqual([]);
        let thrown: unknown;
        try {
          decoder.push(prefix.subarray(cut));
        } catch (err) {
          thrown = err;
        }
        expect(isFriendsError(thrown, ErrorCodes.FRAME_TOO_LARGE)).toBe(true);
      },
      500,
    ));

  test('text that never reaches a # is refused once it is longer than any length could be', () =>
    check(
      'stock no hash',
      fc.string({ minLength: 17, maxLength: 4096 }).filter((s) => !s.includes('#')),
      (s) => {
        const decoder = new StockFrameDecoder({ maxFrameSize: LIMIT });
        expect(() => decoder.push(Buffer.from(s))).toThrow(expect.objectContaining({ code: ErrorCodes.BAD_FRAME }));
      },
    ));
});

describe('fuzz: compact framing (unix tier)', () => {
  test('any input gives frames, or BAD_FRAME / FRAME_TOO_LARGE', () =>
    check('compact framing', chunked(fc.oneof(compactish, noise)), (chunks) => {
      const decoder = new CompactFrameDecoder({ maxFrameSize: LIMIT });
      const frames = decodeOrCodedError(chunks, (chunk) => decoder.push(chunk), [
        ErrorCodes.BAD_FRAME,
        ErrorCodes.FRAME_TOO_LARGE,
      ]);
      for (const frame of frames)
        expect((frame as { payload: Buffer }).payload.length).toBeLessThanOrEqual(LIMIT - COMPACT_HEADER_SIZE + 4);
    }));

  test('a declared length over the limit is refused with the 4 length bytes alone', () =>
    check(
      'compact huge length',
      fc.integer({ min: LIMIT + 1, max: 0xffffffff }),
      (length) => {
        const decoder = new CompactFrameDecoder({ maxFrameSize: LIMIT });
        const header = Buffer.alloc(4);
        header.writeUInt32LE(length);
        expect(() => decoder.push(header)).toThrow(expect.objectContaining({ code: ErrorCodes.FRAME_TOO_LARGE }));
      },
      500,
    ));

  test('Nest packets on the unix tier: any input gives packets, or BAD_FRAME / BAD_JSON / FRAME_TOO_LARGE', () =>
    check('compact nest codec', chunked(compactish), (chunks) => {
      const decoder = compactNestCodec.createDecoder({ maxFrameSize: LIMIT });
      const packets = decodeOrCodedError(chunks, (chunk) => decoder.push(chunk), [
        ErrorCodes.BAD_FRAME,
        ErrorCodes.BAD_JSON,
        ErrorCodes.FRAME_TOO_LARGE,
      ]);
      for (const packet of packets) expect(typeof packet).toBe('object');
    }));

  test('gRPC stream frames on the unix tier: any input gives frames, or BAD_FRAME / FRAME_TOO_LARGE', () =>
    check('grpc stream codec', chunked(compactish), (chunks) => {
      const decoder = compactStreamCodec.createDecoder({ maxFrameSize: LIMIT });
      const frames = decodeOrCodedError(chunks, (chunk) => decoder.push(chunk), [
        ErrorCodes.BAD_FRAME,
        ErrorCodes.FRAME_TOO_LARGE,
      ]);
      for (const frame of (frames as { t: string; h?: unknown; n?: number }[][]).flat()) {
        // A header block's bytes are read by the session (receiveBlock, below).
        if (frame.t === 'headers') expect(Buffer.isBuffer(frame.h)).toBe(true);
        if (frame.t === 'window') expect(frame.n).toBeGreaterThan(0);
      }
    }));

  test('header blocks on the unix tier: any bytes give a block, or are refused as malformed; never more than 129 fields read', () =>
    check('grpc header block', fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const fold = receiveBlock(Buffer.from(bytes), 'trailers');
      if (fold) expect(fold.count).toBeLessThanOrEqual(129);
    }));

  test('a batch frame is refused for more records than it may hold, or than it declares, before they are built', () => {
    const decode = (bytes: Buffer): unknown => compactStreamCodec.createDecoder({ maxFrameSize: LIMIT }).push(bytes);
    const end = Buffer.from([4, 1, 0, 0, 0, 0, 0, 0, 0]); // an 'end' record for stream 1
    expect(() => decode(encodeCompactFrame(1, 4097, end))).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_FRAME }),
    );
    expect(() => decode(encodeCompactFrame(1, 2, end))).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_FRAME }),
    );
    expect(() => decode(encodeCompactFrame(1, 1, Buffer.concat([end, end])))).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_FRAME }),
    );
    const many = Array.from({ length: 5000 }, (_, i): StreamFrame => ({ t: 'end', s: 2 * i + 1 }));
    expect((decode(encodeBatch(many)) as StreamFrame[][]).flat()).toEqual(many);
  });

  test('a header block comes back as sent; a huge count is not followed, and a short one is refused', () => {
    const fields = ['x-a', 'b', 'x-e', 'ü😀', 'x-a', 'c'];
    expect(receiveBlock(encodeFields(fields), 'trailers')!.finish()).toEqual({
      headers: Object.assign(Object.create(null), { 'x-a': 'b, c', 'x-e': 'ü😀' }),
    });
    const many = encodeFields(Array.from({ length: 400 }, () => 'k'));
    many.writeUInt32LE(0xffffffff, 0);
    const fold = receiveBlock(many, 'trailers')!;
    expect(fold.count).toBe(129);
    expect(fold.finish()).toEqual({ refused: 11 });
    const short = encodeFields(fields);
    short.writeUInt32LE(4, 0);
    expect(receiveBlock(short, 'trailers')).toBeUndefined();
    expect(receiveBlock(Buffer.from([1, 0, 0, 0, 9, 0, 0, 0, 58]), 'trailers')).toBeUndefined();
  });

  const streamFrame: fc.Arbitrary<StreamFrame> = (() => {
    const s = fc.integer({ min: 1, max: 0x7fffffff });
    const text = fc.string({ maxLength: 12, unit: 'binary' });
    return fc.oneof(
      fc.record({
        t: fc.constant('headers' as const),
        s,
        h: fc.array(fc.tuple(text, text), { maxLength: 6 }).map((pairs) => encodeFields(pairs.flat())),
        end: fc.boolean(),
      }),
      fc.record({ t: fc.constant('data' as const), s, b: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)) }),
      fc.record({ t: fc.constant('end' as const), s }),
      fc.record({ t: fc.constant('rst' as const), s, code: fc.nat({ max: 13 }) }),
      fc.record({ t: fc.constant('window' as const), s, n: fc.integer({ min: 1, max: 0x7fffffff }) }),
      fc.record({ t: fc.constant('ping' as const), s }),
      fc.record({ t: fc.constant('goaway' as const), s, code: fc.nat({ max: 13 }) }),
      fc.record({ t: fc.constant('settings' as const), s: fc.constant(0 as const), maxConcurrentStreams: fc.nat() }),
    );
  })();

  test('gRPC stream frames on the unix tier: a batch comes back as sent, split at any boundary', () =>
    check(
      'grpc stream batch round trip',
      fc.tuple(
        fc.array(fc.array(streamFrame, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }),
        fc.nat(),
      ),
      ([batches, seed]) => {
        const bytes = Buffer.concat(batches.map((batch) => encodeBatch(batch)));
        const decoder = compactStreamCodec.createDecoder({ maxFrameSize: LIMIT });
        const cut = bytes.length === 0 ? 0 : seed % bytes.length;
        const got = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))].flat();
        const plain = (frame: StreamFrame): unknown =>
          frame.t === 'data'
            ? { ...frame, b: [...frame.b] }
            : frame.t === 'headers'
              ? { ...frame, h: [...(frame.h as Buffer)] }
              : frame;
        expect(got.map(plain)).toEqual(batches.flat().map(plain));
        expect(decoder.partial).toBe(false);
      },
    ));
});

describe('fuzz: hello validation', () => {
  const hex = (n: number): fc.Arbitrary<string> => fc.hexaString({ minLength: n, maxLength: n });
  const field = fc.oneof(hex(32), hex(64), hex(31), fc.string({ maxLength: 80 }), jsonValue);
  const hello = fc.oneof(
    fc.anything({ maxDepth: 3 }),
    fc.record(
      { v: fc.oneof(fc.constant(1), jsonValue), nonce: field, endpoint: field, kernel: field, extra: jsonValue },
      { requiredKeys: [] },
    ),
  );

  test('parseHello never throws, and what it accepts has exactly the documented shape', () =>
    check('parseHello', hello, (data) => {
      const parsed = parseHello(data);
      if (parsed === undefined) return;
      expect(parsed.v).toBe(1);
      expect(parsed.nonce).toMatch(/^[0-9a-f]{32}$/);
      if (parsed.endpoint !== undefined) expect(parsed.endpoint).toMatch(/^[0-9a-f]{32}$/);
      if (parsed.kernel !== undefined) expect(parsed.kernel).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.keys(parsed).every((key) => ['v', 'nonce', 'endpoint', 'kernel'].includes(key))).toBe(true);
    }));
});
