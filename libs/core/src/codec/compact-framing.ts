import { ErrorCodes, FriendsError } from '../errors.js';
import type { DecoderLimits } from './codec.js';

/**
 * Compact binary framing between friends on a Unix socket:
 *
 *   u32le length | u8 type | u32le id | payload (length - 5 bytes)
 *
 * `length` counts everything after itself and is checked against the limit
 * before a byte of the frame is buffered. Types are the protocol's business,
 * except the handshake range (0xF0-0xFF) reserved for the core.
 */
export interface CompactFrame {
  type: number;
  id: number;
  payload: Buffer;
}

export const COMPACT_HEADER_SIZE = 9;
const LENGTH_SIZE = 4;
const EMPTY = Buffer.alloc(0);

export function encodeCompactFrame(type: number, id: number, payload?: string | Buffer): Buffer {
  if (payload === undefined || payload.length === 0) {
    const out = Buffer.allocUnsafe(COMPACT_HEADER_SIZE);
    writeHeader(out, COMPACT_HEADER_SIZE - LENGTH_SIZE, type, id);
    return out;
  }
  if (typeof payload === 'string') {
    const size = Buffer.byteLength(payload);
    const out = Buffer.allocUnsafe(COMPACT_HEADER_SIZE + size);
    writeHeader(out, COMPACT_HEADER_SIZE - LENGTH_SIZE + size, type, id);
    out.write(payload, COMPACT_HEADER_SIZE, 'utf8');
    return out;
  }
  const out = Buffer.allocUnsafe(COMPACT_HEADER_SIZE + payload.length);
  writeHeader(out, COMPACT_HEADER_SIZE - LENGTH_SIZE + payload.length, type, id);
  payload.copy(out, COMPACT_HEADER_SIZE);
  return out;
}

function writeHeader(out: Buffer, length: number, type: number, id: number): void {
  out.writeUInt32LE(length, 0);
  out[4] = type;
  out.writeUInt32LE(id >>> 0, 5);
}

/** Splits a byte stream into compact frames. Payloads are views, not copies. */
export class CompactFrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the buffered frame needs in all, once its length is known; avoids re-joining a large frame per chunk. */
  private needed = 0;

  constructor(private readonly limits: DecoderLimits) {}

  get partial(): boolean {
    return this.buffered > 0;
  }

  push(chunk: Buffer): CompactFrame[] {
    const frames: CompactFrame[] = [];
    let data: Buffer;
    if (this.buffered === 0) {
      data = chunk;
    } else if (this.buffered + chunk.length < this.needed) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      return frames;
    } else {
      this.chunks.push(chunk);
      data = Buffer.concat(this.chunks, this.buffered + chunk.length);
      this.chunks = [];
      this.buffered = 0;
    }
    let pos = 0;
    while (data.length - pos >= LENGTH_SIZE) {
      const length = data.readUInt32LE(pos);
      if (length < COMPACT_HEADER_SIZE - LENGTH_SIZE) {
        throw new FriendsError(ErrorCodes.BAD_FRAME, `Compact frame length ${length} is shorter than its header`);
      }
      if (length > this.limits.maxFrameSize) {
        throw new FriendsError(
          ErrorCodes.FRAME_TOO_LARGE,
          `Frame of ${length} bytes exceeds the limit of ${this.limits.maxFrameSize}`,
        );
      }
      const end = pos + LENGTH_SIZE + length;
      if (end > data.length) {
        this.needed = end - pos;
        break;
      }
      frames.push({
        type: data[pos + 4]!,
        id: data.readUInt32LE(pos + 5),
        payload: end === pos + COMPACT_HEADER_SIZE ? EMPTY : data.subarray(pos + COMPACT_HEADER_SIZE, end),
      });
      pos = end;
    }
    if (pos === data.length || data.length - pos < LENGTH_SIZE) this.needed = 0;
    if (pos < data.length) {
      const rest = data.subarray(pos);
      this.chunks.push(rest);
      this.buffered = rest.length;
    }
    return frames;
  }
}

/**
 * The first whole frame of `data` and the bytes after it, or undefined while it
 * is incomplete. For handshakes, where what follows belongs to someone else.
 */
export function splitFirstCompactFrame(
  data: Buffer,
  limits: DecoderLimits,
): { frame: CompactFrame; rest: Buffer } | undefined {
  if (data.length < LENGTH_SIZE) return undefined;
  const length = data.readUInt32LE(0);
  if (length < COMPACT_HEADER_SIZE - LENGTH_SIZE) {
    throw new FriendsError(ErrorCodes.BAD_FRAME, `Compact frame length ${length} is shorter than its header`);
  }
  if (length > limits.maxFrameSize) {
    throw new FriendsError(
      ErrorCodes.FRAME_TOO_LARGE,
      `Frame of ${length} bytes exceeds the limit of ${limits.maxFrameSize}`,
    );
  }
  const end = LENGTH_SIZE + length;
  if (data.length < end) return undefined;
  return {
    frame: { type: data[4]!, id: data.readUInt32LE(5), payload: data.subarray(COMPACT_HEADER_SIZE, end) },
    rest: data.subarray(end),
  };
}
