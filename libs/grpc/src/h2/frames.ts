import {
  CompactFrameDecoder,
  encodeCompactFrame,
  ErrorCodes,
  FriendsError,
  mapFrames,
  type CompactFrame,
  type DecoderLimits,
  type MessageCodec,
  type MessageDecoder,
} from '@friends/core/internal';
import type { HeaderList } from './headers.js';

/**
 * What travels on a friend link in place of HTTP/2: the same stream events
 * (headers, data, end of stream, reset) without HPACK, padding or connection
 * flow control. Each stream has its own credit window, as in HTTP/2, so a
 * reader that stops reading holds its writer back and memory stays bounded.
 *
 * - `settings`: first frame from the server (its concurrent-stream limit).
 * - `headers`: request headers, response headers, or trailers (`end`).
 * - `data`: bytes of the gRPC message stream (already length-prefixed by grpc-js).
 * - `end`: the sender's half of the stream is done (a client's half-close).
 * - `rst`: the stream is over, with an HTTP/2 error code.
 * - `window`: the receiver consumed `n` bytes; the sender may send that many more.
 * - `ping`/`pong`: liveness, as HTTP/2 PING (the server's keepalive).
 * - `goaway`: no new streams after `last`; those up to it may finish.
 */
export type StreamFrame =
  | { t: 'settings'; maxConcurrentStreams: number }
  | { t: 'headers'; s: number; h: HeaderList; end: boolean }
  | { t: 'data'; s: number; b: Buffer }
  | { t: 'end'; s: number }
  | { t: 'rst'; s: number; code: number }
  | { t: 'window'; s: number; n: number }
  | { t: 'ping'; s: number }
  | { t: 'pong'; s: number }
  | { t: 'goaway'; s: number; code: number };

/** Bytes a stream may have in flight before the receiver grants more: HTTP/2's default window. */
export const STREAM_WINDOW = 65_535;
/** Largest data frame; larger writes go out in pieces as credit allows. */
export const MAX_DATA_FRAME = 65_535;

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
} as const;

function badFrame(why: string): FriendsError {
  return new FriendsError(ErrorCodes.BAD_FRAME, `Bad gRPC stream frame: ${why}`);
}

function u32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32LE(value >>> 0, 0);
  return out;
}

function readU32(payload: Buffer, what: string): number {
  if (payload.length !== 4) throw badFrame(`${what} must be 4 bytes`);
  return payload.readUInt32LE(0);
}

function encodeHeaderList(list: HeaderList): string {
  return JSON.stringify(list);
}

function decodeHeaderList(payload: Buffer): HeaderList {
  let list: unknown;
  try {
    list = JSON.parse(payload.toString('utf8'));
  } catch {
    throw badFrame('headers are not JSON');
  }
  if (!Array.isArray(list) || list.length % 2 !== 0) throw badFrame('headers are not a list of pairs');
  for (const item of list) if (typeof item !== 'string') throw badFrame('a header field is not a string');
  return list as HeaderList;
}

/** Stream frames in compact frames (unix tier): the stream id in the frame header. */
export const compactStreamCodec: MessageCodec<StreamFrame> = {
  encode(frame: StreamFrame): Buffer {
    switch (frame.t) {
      case 'data':
        return encodeCompactFrame(TYPE.data, frame.s, frame.b);
      case 'headers':
        return encodeCompactFrame(frame.end ? TYPE.trailers : TYPE.headers, frame.s, encodeHeaderList(frame.h));
      case 'window':
        return encodeCompactFrame(TYPE.window, frame.s, u32(frame.n));
      case 'end':
        return encodeCompactFrame(TYPE.end, frame.s);
      case 'rst':
        return encodeCompactFrame(TYPE.rst, frame.s, u32(frame.code));
      case 'settings':
        return encodeCompactFrame(TYPE.settings, 0, u32(frame.maxConcurrentStreams));
      case 'ping':
        return encodeCompactFrame(TYPE.ping, frame.s);
      case 'pong':
        return encodeCompactFrame(TYPE.pong, frame.s);
      case 'goaway':
        return encodeCompactFrame(TYPE.goaway, frame.s, u32(frame.code));
    }
  },
  createDecoder: (limits: DecoderLimits): MessageDecoder<StreamFrame> =>
    mapFrames(new CompactFrameDecoder(limits), decodeStreamFrame),
};

function decodeStreamFrame({ type, id: s, payload }: CompactFrame): StreamFrame {
  switch (type) {
    case TYPE.data:
      return { t: 'data', s, b: payload };
    case TYPE.headers:
    case TYPE.trailers:
      return { t: 'headers', s, h: decodeHeaderList(payload), end: type === TYPE.trailers };
    case TYPE.window: {
      const n = readU32(payload, 'window');
      if (n === 0 || n > 0x7fffffff) throw badFrame('window increment out of range');
      return { t: 'window', s, n };
    }
    case TYPE.end:
      return { t: 'end', s };
    case TYPE.rst:
      return { t: 'rst', s, code: readU32(payload, 'rst') };
    case TYPE.settings:
      return { t: 'settings', maxConcurrentStreams: readU32(payload, 'settings') };
    case TYPE.ping:
      return { t: 'ping', s };
    case TYPE.pong:
      return { t: 'pong', s };
    case TYPE.goaway:
      return { t: 'goaway', s, code: readU32(payload, 'goaway') };
    default:
      throw badFrame(`unknown type ${type}`);
  }
}
