import { encodeCompactFrame, ErrorCodes, isFriendsError } from '@friends/core/internal';
import { compactNestCodec } from '../src/wire.js';

const decode = (limit: number, ...chunks: Buffer[]): unknown[] => {
  const decoder = compactNestCodec.createDecoder({ maxFrameSize: limit });
  return chunks.flatMap((chunk) => decoder.push(chunk));
};

const errorOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
};

describe('the Nest unix codec counts maxBufferSize in characters, as the stock wire', () => {
  test('a frame of astral characters within the character limit passes, though its bytes exceed it', () => {
    const packet = { data: '😀'.repeat(10) };
    const json = JSON.stringify(packet);
    const frame = compactNestCodec.encode(packet) as Buffer;
    expect(frame.length - 9).toBeGreaterThan(json.length);
    expect(decode(json.length, frame)).toEqual([packet]);
  });

  test('one character over the limit fails with FRAME_TOO_LARGE, worded as stock', () => {
    const packet = { data: 'é'.repeat(10) };
    const err = errorOf(() => decode(JSON.stringify(packet).length - 1, compactNestCodec.encode(packet) as Buffer));
    expect(isFriendsError(err, ErrorCodes.FRAME_TOO_LARGE)).toBe(true);
    expect((err as Error).message).toMatch(/^The packet length \(\d+\) exceeds the maximum allowed length$/);
  });

  test('a declared length above the limit is refused from the header, before the frame is buffered', () => {
    const header = Buffer.alloc(9);
    header.writeUInt32LE(3 * 1000 + 5 + 1, 0);
    header[4] = 1;
    const err = errorOf(() => decode(1000, header));
    expect(isFriendsError(err, ErrorCodes.FRAME_TOO_LARGE)).toBe(true);
  });

  test('a frame whose declared character count does not match its text is a bad frame', () => {
    const json = JSON.stringify({ data: 'abc' });
    const lying = encodeCompactFrame(1, json.length - 2, json);
    expect(
      isFriendsError(
        errorOf(() => decode(1000, lying)),
        ErrorCodes.BAD_FRAME,
      ),
    ).toBe(true);
  });

  test('frames split at every byte decode the same', () => {
    const packets = [
      { id: 1, response: 'äö😀' },
      { id: 2, isDisposed: true },
    ];
    const wire = Buffer.concat(packets.map((p) => compactNestCodec.encode(p) as Buffer));
    const decoder = compactNestCodec.createDecoder({ maxFrameSize: 1000 });
    const got: unknown[] = [];
    for (let i = 0; i < wire.length; i++) got.push(...decoder.push(wire.subarray(i, i + 1)));
    expect(got).toEqual(packets);
  });
});
