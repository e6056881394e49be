import {
  COMPACT_HEADER_SIZE,
  CompactFrameDecoder,
  ErrorCodes,
  FriendsError,
  type DecoderLimits,
  type MessageCodec,
  type MessageDecoder,
} from '@friends/core/internal';
import type { HeaderFold } from './received-headers.js';

/**
 * What travels on a friend link in place of HTTP/2: its stream events without
 * HPACK, padding or connection flow control; each stream has its own credit
 * window (`window`: the receiver read `n` bytes), so memory stays bounded.
 * `settings` is the server's first frame (its concurrent-stream limit); a
 * `headers` block is, in memory, already checked and folded, on a socket its
 * bytes (see received-headers.ts); `goaway` names the last stream served in `s`.
 */
export type StreamFrame =
  | { t: 'settings'; s: 0; maxConcurrentStreams: number }
  | { t: 'headers'; s: number; h: HeaderFold | Buffer; end: boolean }
  | { t: 'data'; s: number; b: Buffer }
  | { t: 'end'; s: number }
  | { t: 'rst'; s: number; code: number }
  | { t: 'window'; s: number; n: number }
  | { t: 'ping'; s: number }
  | { t: 'pong'; s: number }
  | { t: 'goaway'; s: number; code: number };

/** What a session sends in one turn: one link message. */
export type FrameBatch = StreamFrame[];

/** Bytes a stream may have in flight before the receiver grants more: HTTP/2's default window. */
export const STREAM_WINDOW = 65_535;
/** Largest data frame; larger writes go out in pieces as credit allows. */
export const MAX_DATA_FRAME = 65_535;

/*
 * On a unix socket a batch is one compact frame (u32 length | u8 BATCH | u32
 * count | records), a record `u8 type | u32 stream id | u32 length | payload`
 * (a header block's bytes, data, a u32 or nothing).
 */
const BATCH = 1;
const TYPES = ['settings', 'headers', 'trailers', 'data', 'end', 'rst', 'window', 'ping', 'pong', 'goaway'] as const;
const RECORD_HEADER = 9;
/** A longer batch goes out as several frames, well below any receiver's frame limit. */
const BATCH_BYTES = 1 << 20;
/** Records a frame may hold, so what one frame makes the receiver build (and the time it takes) stays small. */
const BATCH_RECORDS = 4096;

const badFrame = (why: string): FriendsError => new FriendsError(ErrorCodes.BAD_FRAME, `Bad gRPC stream frame: ${why}`);

const payloadBound = (frame: StreamFrame): number =>
  frame.t === 'data' ? frame.b.length : frame.t === 'headers' ? (frame.h as Buffer).length : 4;

/** Writes a frame's record at `at`; returns where it ends. */
function writeRecord(out: Buffer, at: number, frame: StreamFrame): number {
  const start = at;
  at += RECORD_HEADER;
  const t = frame.t;
  if (t === 'data' || t === 'headers') at += (t === 'data' ? frame.b : (frame.h as Buffer)).copy(out, at);
  const n =
    t === 'window'
      ? frame.n
      : t === 'rst' || t === 'goaway'
        ? frame.code
        : t === 'settings'
          ? frame.maxConcurrentStreams
          : undefined;
  if (n !== undefined) at = out.writeUInt32LE(n >>> 0, at);
  out[start] = TYPES.indexOf(t === 'headers' && frame.end ? 'trailers' : t);
  out.writeUInt32LE(frame.s >>> 0, start + 1);
  out.writeUInt32LE(at - start - RECORD_HEADER, start + 5);
  return at;
}

/** One buffer for the whole batch: one compact frame, or a few for a batch of more than BATCH_BYTES. */
export function encodeBatch(batch: FrameBatch): Buffer {
  const bounds = batch.map(payloadBound);
  let total = 0;
  for (const bound of bounds) total += bound + RECORD_HEADER + COMPACT_HEADER_SIZE;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < batch.length;) {
    const start = at;
    at += COMPACT_HEADER_SIZE;
    let count = 0;
    for (
      ;
      i < batch.length && (count === 0 || (count < BATCH_RECORDS && at - start + bounds[i]! <= BATCH_BYTES));
      i++, count++
    )
      at = writeRecord(out, at, batch[i]!);
    out.writeUInt32LE(at - start - 4, start);
    out[start + 4] = BATCH;
    out.writeUInt32LE(count, start + 5);
  }
  return out.subarray(0, at);
}

function u32(payload: Buffer, what: string): number {
  if (payload.length !== 4) throw badFrame(`${what} must be 4 bytes`);
  return payload.readUInt32LE(0);
}

function decodeRecord(type: number, s: number, payload: Buffer): StreamFrame {
  const t = TYPES[type];
  if (t === undefined) throw badFrame(`unknown type ${type}`);
  switch (t) {
    case 'data':
      return { t, s, b: payload };
    case 'headers':
    case 'trailers':
      return { t: 'headers', s, h: payload, end: t === 'trailers' };
    case 'window': {
      const n = u32(payload, t);
      if (n === 0 || n > 0x7fffffff) throw badFrame('window increment out of range');
      return { t, s, n };
    }
    case 'rst':
    case 'goaway':
      return { t, s, code: u32(payload, t) };
    case 'settings':
      return { t, s: 0, maxConcurrentStreams: u32(payload, t) };
    default:
      if (payload.length !== 0) throw badFrame(`${t} with a payload`);
      return { t, s };
  }
}

/** Stream frames on a unix socket: a batch is one buffer, and what one socket read completes is one batch. */
export const compactStreamCodec: MessageCodec<FrameBatch> = {
  encode: encodeBatch,
  createDecoder(limits: DecoderLimits): MessageDecoder<FrameBatch> {
    const frames = new CompactFrameDecoder(limits);
    return {
      get partial() {
        return frames.partial;
      },
      push(chunk: Buffer): FrameBatch[] {
        const batch: FrameBatch = [];
        for (const { type, id: count, payload } of frames.push(chunk)) {
          if (type !== BATCH) throw badFrame(`unknown type ${type}`);
          if (count > BATCH_RECORDS) throw badFrame(`${count} records in one frame, above ${BATCH_RECORDS}`);
          const first = batch.length;
          for (let at = 0; at < payload.length;) {
            if (payload.length - at < RECORD_HEADER) throw badFrame('batch ends inside a record header');
            const n = payload.readUInt32LE(at + 5);
            if (n > payload.length - at - RECORD_HEADER) throw badFrame('record longer than its batch');
            const body = payload.subarray(at + RECORD_HEADER, at + RECORD_HEADER + n);
            batch.push(decodeRecord(payload[at]!, payload.readUInt32LE(at + 1), body));
            at += RECORD_HEADER + n;
            if (batch.length - first > count) throw badFrame(`more records than the ${count} declared`);
          }
          if (batch.length - first !== count) throw badFrame(`fewer records than the ${count} declared`);
        }
        return batch.length > 0 ? [batch] : [];
      },
    };
  },
};
