import {
  COMPACT_HEADER_SIZE,
  CompactFrameDecoder,
  ErrorCodes,
  FriendsError,
  type CompactFrame,
  type DecoderLimits,
  type MessageCodec,
  type MessageDecoder,
} from '@friends/core/internal';
import type { HeaderList } from './headers.js';
import { MAX_HEADER_PAIRS, type HeaderFold } from './received-headers.js';

/**
 * What travels on a friend link in place of HTTP/2: the same stream events
 * (headers, data, end of stream, reset) without HPACK, padding or connection
 * flow control. Each stream has its own credit window, as in HTTP/2, so a
 * reader that stops reading holds its writer back and memory stays bounded.
 *
 * - `settings`: first frame from the server (its concurrent-stream limit).
 * - `headers`: request headers, response headers, or trailers (`end`). In
 *   memory `h` is the block already checked and folded (an object, never a
 *   list); from bytes it is the list of fields.
 * - `data`: bytes of the gRPC message stream (already length-prefixed by grpc-js).
 * - `end`: the sender's half of the stream is done (a client's half-close).
 * - `rst`: the stream is over, with an HTTP/2 error code.
 * - `window`: the receiver consumed `n` bytes; the sender may send that many more.
 * - `ping`/`pong`: liveness, as HTTP/2 PING (the server's keepalive).
 * - `goaway`: no new streams after `last`; those up to it may finish.
 */
export type StreamFrame =
  | { t: 'settings'; maxConcurrentStreams: number }
  | { t: 'headers'; s: number; h: HeaderList | HeaderFold; end: boolean }
  | { t: 'data'; s: number; b: Buffer }
  | { t: 'end'; s: number }
  | { t: 'rst'; s: number; code: number }
  | { t: 'window'; s: number; n: number }
  | { t: 'ping'; s: number }
  | { t: 'pong'; s: number }
  | { t: 'goaway'; s: number; code: number };

/** What a session sends in one turn, and what the link carries as one message (a socket read's worth). */
export type FrameBatch = StreamFrame[];

/** Bytes a stream may have in flight before the receiver grants more: HTTP/2's default window. */
export const STREAM_WINDOW = 65_535;
/** Largest data frame; larger writes go out in pieces as credit allows. */
export const MAX_DATA_FRAME = 65_535;

/*
 * On a unix socket each frame is a compact frame (u32 length | u8 type | u32
 * stream id | payload). A header block is `u32 count`, then for each name and
 * value `u32 byte length | UTF-8`. A burst carries several frames of one
 * stream (a unary call's headers, message and end) as records of
 * `u8 type | u32 length | payload`.
 */
const TYPE = {
  settings: 1,
  headers: 2,
  trailers: 3,
  data: 4,
  end: 5,
  rst: 6,
  window: 7,
  ping: 8,
  pong: 9,
  goaway: 10,
  burst: 11,
} as const;
const RECORD_HEADER = 5;

function badFrame(why: string): FriendsError {
  return new FriendsError(ErrorCodes.BAD_FRAME, `Bad gRPC stream frame: ${why}`);
}

/** Frames a burst may carry: the pieces of one stream that go out together. */
const inBurst = (frame: StreamFrame): boolean => frame.t === 'headers' || frame.t === 'data' || frame.t === 'end';

/** An upper bound of a frame's payload in bytes (UTF-8 takes at most 3 bytes per UTF-16 unit). */
function payloadBound(frame: StreamFrame): number {
  switch (frame.t) {
    case 'data':
      return frame.b.length;
    case 'headers': {
      const list = frame.h as HeaderList;
      let bound = 4 + 4 * list.length;
      for (let i = 0; i < list.length; i++) bound += list[i]!.length * 3;
      return bound;
    }
    case 'end':
    case 'ping':
    case 'pong':
      return 0;
    default:
      return 4;
  }
}

function typeOf(frame: StreamFrame): number {
  if (frame.t === 'headers') return frame.end ? TYPE.trailers : TYPE.headers;
  return TYPE[frame.t];
}

/** Writes a frame's payload at `at`; returns where it ends. */
function writePayload(out: Buffer, at: number, frame: StreamFrame): number {
  switch (frame.t) {
    case 'data':
      return at + frame.b.copy(out, at);
    case 'headers': {
      const list = frame.h as HeaderList;
      out.writeUInt32LE(list.length / 2, at);
      at += 4;
      for (let i = 0; i < list.length; i++) {
        const n = out.write(list[i]!, at + 4, 'utf8');
        out.writeUInt32LE(n, at);
        at += 4 + n;
      }
      return at;
    }
    case 'window':
      out.writeUInt32LE(frame.n, at);
      return at + 4;
    case 'rst':
    case 'goaway':
      out.writeUInt32LE(frame.code >>> 0, at);
      return at + 4;
    case 'settings':
      out.writeUInt32LE(frame.maxConcurrentStreams >>> 0, at);
      return at + 4;
    default:
      return at;
  }
}

const streamOf = (frame: StreamFrame): number => (frame.t === 'settings' ? 0 : frame.s);

/** How many frames from `i` on go out as one burst (1: on their own). */
function burstLength(batch: FrameBatch, i: number): number {
  const first = batch[i]!;
  if (!inBurst(first)) return 1;
  let n = 1;
  while (i + n < batch.length && inBurst(batch[i + n]!) && streamOf(batch[i + n]!) === streamOf(first)) n++;
  return n;
}

/** One buffer for the whole batch, the frames of one stream sent together in one burst. */
export function encodeBatch(batch: FrameBatch): Buffer {
  let bound = 0;
  for (const frame of batch) bound += COMPACT_HEADER_SIZE + RECORD_HEADER + payloadBound(frame);
  const out = Buffer.allocUnsafe(bound);
  let at = 0;
  for (let i = 0; i < batch.length; ) {
    const n = burstLength(batch, i);
    const start = at;
    at += COMPACT_HEADER_SIZE;
    if (n === 1) {
      at = writePayload(out, at, batch[i]!);
      out[start + 4] = typeOf(batch[i]!);
    } else {
      for (let k = i; k < i + n; k++) {
        const record = at;
        at = writePayload(out, at + RECORD_HEADER, batch[k]!);
        out[record] = typeOf(batch[k]!);
        out.writeUInt32LE(at - record - RECORD_HEADER, record + 1);
      }
      out[start + 4] = TYPE.burst;
    }
    out.writeUInt32LE(at - start - 4, start);
    out.writeUInt32LE(streamOf(batch[i]!) >>> 0, start + 5);
    i += n;
  }
  return out.subarray(0, at);
}

function readU32(payload: Buffer, what: string): number {
  if (payload.length !== 4) throw badFrame(`${what} must be 4 bytes`);
  return payload.readUInt32LE(0);
}

/**
 * A header block from bytes. Every length is checked against what is left
 * before anything is read; past Node's field limit the rest is not decoded (the
 * block is refused for its count, as Node refuses it).
 */
function decodeHeaderList(payload: Buffer): HeaderList {
  if (payload.length < 4) throw badFrame('header block shorter than its count');
  const count = payload.readUInt32LE(0);
  const kept = Math.min(count, MAX_HEADER_PAIRS + 1) * 2;
  const list: HeaderList = [];
  let at = 4;
  for (let i = 0; i < kept; i++) {
    if (payload.length - at < 4) throw badFrame('header block ends inside a field');
    const n = payload.readUInt32LE(at);
    at += 4;
    if (n > payload.length - at) throw badFrame('header field longer than its block');
    list.push(payload.toString('utf8', at, at + n));
    at += n;
  }
  if (kept === count * 2 && at !== payload.length) throw badFrame('bytes after the header block');
  return list;
}

function decodeOne(type: number, s: number, payload: Buffer, out: FrameBatch): void {
  switch (type) {
    case TYPE.data:
      out.push({ t: 'data', s, b: payload });
      return;
    case TYPE.headers:
    case TYPE.trailers:
      out.push({ t: 'headers', s, h: decodeHeaderList(payload), end: type === TYPE.trailers });
      return;
    case TYPE.end:
      out.push({ t: 'end', s });
      return;
    case TYPE.window: {
      const n = readU32(payload, 'window');
      if (n === 0 || n > 0x7fffffff) throw badFrame('window increment out of range');
      out.push({ t: 'window', s, n });
      return;
    }
    case TYPE.rst:
      out.push({ t: 'rst', s, code: readU32(payload, 'rst') });
      return;
    case TYPE.settings:
      out.push({ t: 'settings', maxConcurrentStreams: readU32(payload, 'settings') });
      return;
    case TYPE.ping:
      out.push({ t: 'ping', s });
      return;
    case TYPE.pong:
      out.push({ t: 'pong', s });
      return;
    case TYPE.goaway:
      out.push({ t: 'goaway', s, code: readU32(payload, 'goaway') });
      return;
    default:
      throw badFrame(`unknown type ${type}`);
  }
}

function decodeFrame({ type, id, payload }: CompactFrame, out: FrameBatch): void {
  if (type !== TYPE.burst) return decodeOne(type, id, payload, out);
  let at = 0;
  while (at < payload.length) {
    if (payload.length - at < RECORD_HEADER) throw badFrame('burst ends inside a record header');
    const inner = payload[at]!;
    const n = payload.readUInt32LE(at + 1);
    at += RECORD_HEADER;
    if (n > payload.length - at) throw badFrame('burst record longer than its burst');
    if (inner !== TYPE.headers && inner !== TYPE.trailers && inner !== TYPE.data && inner !== TYPE.end)
      throw badFrame(`type ${inner} in a burst`);
    decodeOne(inner, id, payload.subarray(at, at + n), out);
    at += n;
  }
}

/** Stream frames in compact frames (unix tier): a batch is one buffer, a socket read one batch. */
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
        for (const frame of frames.push(chunk)) decodeFrame(frame, batch);
        return batch.length > 0 ? [batch] : [];
      },
    };
  },
};
