import { Metadata } from '@grpc/grpc-js';
import {
  CompactFrameDecoder,
  encodeCompactFrame,
  ErrorCodes,
  FriendsError,
  mapFrames,
  parseJsonFrame,
  type CompactFrame,
  type DecoderLimits,
  type MessageCodec,
  type MessageDecoder,
} from '@friends/core';

/**
 * gRPC calls between friends, multiplexed on one link by stream id. No HTTP/2:
 * a call is a `start`, messages (serialized bytes; on the memory tier, with
 * `byReference`, the objects themselves), a half-close and a status;
 * each side may send WINDOW messages before any `read`, and `read` grants the
 * peer `n` (default 1) more as messages are consumed — a window that bounds
 * memory without a round trip before the first message —
 * and `cancel` ends a call from the client side.
 */
export type CallFrame =
  | { t: 'start'; s: number; path: string; md: Metadata; deadline: number; byReference?: boolean }
  | { t: 'msg'; s: number; b: Buffer; v?: unknown }
  | { t: 'read'; s: number; n?: number }
  | { t: 'half'; s: number }
  | { t: 'cancel'; s: number }
  | { t: 'md'; s: number; md: Metadata }
  | { t: 'status'; s: number; code: number; details: string; md: Metadata };

/** Messages a receiver lets the sender have in flight per call. */
export const WINDOW = 64;
/** Consumed messages are acknowledged in batches of this many (fewer frames, same bound). */
export const REFILL = WINDOW / 2;
const MAX_WINDOW = 1 << 16;

const TYPES = ['start', 'msg', 'read', 'half', 'cancel', 'md', 'status'] as const;
const TYPE_CODE: Record<CallFrame['t'], number> = { start: 1, msg: 2, read: 3, half: 4, cancel: 5, md: 6, status: 7 };

type WireMetadata = Record<string, string[]>;

function metadataToWire(md: Metadata): WireMetadata {
  const out: WireMetadata = {};
  for (const [key, values] of Object.entries(md.toJSON())) {
    out[key] = values.map((v) => (typeof v === 'string' ? v : v.toString('base64')));
  }
  return out;
}

function metadataFromWire(wire: unknown): Metadata {
  const md = new Metadata();
  if (typeof wire !== 'object' || wire === null) throw badFrame('metadata is not an object');
  for (const [key, values] of Object.entries(wire as Record<string, unknown>)) {
    if (!Array.isArray(values)) throw badFrame(`metadata ${key} is not a list`);
    for (const v of values) {
      if (typeof v !== 'string') throw badFrame(`metadata ${key} has a non-string value`);
      md.add(key, key.endsWith('-bin') ? Buffer.from(v, 'base64') : v);
    }
  }
  return md;
}

function badFrame(why: string): FriendsError {
  return new FriendsError(ErrorCodes.BAD_FRAME, `Bad gRPC call frame: ${why}`);
}

/** Call frames in compact frames (unix tier): the stream id in the header, bytes or JSON after it. */
export const compactCallCodec: MessageCodec<CallFrame> = {
  encode(frame: CallFrame): Buffer {
    const type = TYPE_CODE[frame.t];
    switch (frame.t) {
      case 'msg':
        return encodeCompactFrame(type, frame.s, frame.b);
      case 'read':
        return encodeCompactFrame(type, frame.s, frame.n && frame.n > 1 ? String(frame.n) : undefined);
      case 'half':
      case 'cancel':
        return encodeCompactFrame(type, frame.s);
      case 'start':
        return encodeCompactFrame(
          type,
          frame.s,
          JSON.stringify({ path: frame.path, md: metadataToWire(frame.md), deadline: frame.deadline }),
        );
      case 'md':
        return encodeCompactFrame(type, frame.s, JSON.stringify({ md: metadataToWire(frame.md) }));
      case 'status':
        return encodeCompactFrame(
          type,
          frame.s,
          JSON.stringify({ code: frame.code, details: frame.details, md: metadataToWire(frame.md) }),
        );
    }
  },
  createDecoder: (limits: DecoderLimits): MessageDecoder<CallFrame> =>
    mapFrames(new CompactFrameDecoder(limits), decodeCallFrame),
};

function decodeCallFrame({ type, id: s, payload }: CompactFrame): CallFrame {
  const t = TYPES[type - 1];
  if (t === undefined) throw badFrame(`unknown type ${type}`);
  if (t === 'msg') return { t, s, b: Buffer.from(payload) };
  if (t === 'read') {
    if (payload.length === 0) return { t, s };
    const n = Number(payload.toString('latin1'));
    if (!Number.isInteger(n) || n < 1 || n > MAX_WINDOW) throw badFrame(`bad read count`);
    return { t, s, n };
  }
  if (t === 'half' || t === 'cancel') return { t, s };
  const body = parseJsonFrame(payload.toString('utf8')) as Record<string, unknown> | null;
  if (typeof body !== 'object' || body === null) throw badFrame('body is not an object');
  const md = metadataFromWire(body.md);
  if (t === 'md') return { t, s, md };
  if (t === 'start') {
    if (typeof body.path !== 'string' || typeof body.deadline !== 'number') throw badFrame('bad start');
    return { t, s, path: body.path, md, deadline: body.deadline };
  }
  if (typeof body.code !== 'number' || typeof body.details !== 'string') throw badFrame('bad status');
  return { t, s, code: body.code, details: body.details, md };
}
