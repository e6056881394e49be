import { posix } from 'node:path';
import type { Tier } from '../tier.js';

/**
 * The hello a client sends over the real connection, and the server's answer.
 * Both are plain JSON values so any RPC can carry them (a Nest request, a gRPC
 * call). Every field is validated with exact shapes and sizes.
 */
export interface HelloRequest {
  v: 1;
  /** 32 hex chars, fresh per attempt: keys the kernel proof, echoed by the unix endpoint. */
  nonce: string;
  /** A pending in-process endpoint (memory tier), 32 hex chars. */
  endpoint?: string;
  /** HMAC-SHA256(key = nonce, kernel identity), 64 hex chars (unix tier). */
  kernel?: string;
}

export type HelloAnswer =
  | { v: 1; tier: 'memory' }
  /** `proof`: unixAnswerProof(kernel identity, the hello's nonce, path, ticket), 64 hex chars. */
  | { v: 1; tier: 'unix'; path: string; ticket: string; proof: string }
  | { v: 1; tier: 'tcp'; reason: string };

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const TICKET = /^[A-Za-z0-9_-]{16,64}$/;
const MAX_PATH = 4096;
/**
 * The name of every socket an acceptor listens on: `<prefix>-<pid>-<16 hex>.sock`.
 * A client connects to nothing else, so an answer cannot aim it at an arbitrary socket.
 */
export const SOCKET_NAME = /^[A-Za-z0-9_.-]{1,64}-[1-9][0-9]{0,9}-[0-9a-f]{16}\.sock$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * An absolute, normalised path of printable characters (it ends up in logs),
 * at most 4096 characters, to a file named like a friends socket.
 */
export function isSocketPathShape(path: unknown): path is string {
  return (
    typeof path === 'string' &&
    path.length > 0 &&
    path.length <= MAX_PATH &&
    path.startsWith('/') &&
    !path.endsWith('/') &&
    !CONTROL.test(path) &&
    Buffer.from(path).toString() === path && // no lone surrogates: the path is exactly its UTF-8 bytes
    posix.normalize(path) === path &&
    SOCKET_NAME.test(posix.basename(path))
  );
}

export function parseHello(data: unknown): HelloRequest | undefined {
  if (!isRecord(data) || data.v !== 1 || typeof data.nonce !== 'string' || !HEX32.test(data.nonce)) return undefined;
  const hello: HelloRequest = { v: 1, nonce: data.nonce };
  if (data.endpoint !== undefined) {
    if (typeof data.endpoint !== 'string' || !HEX32.test(data.endpoint)) return undefined;
    hello.endpoint = data.endpoint;
  }
  if (data.kernel !== undefined) {
    if (typeof data.kernel !== 'string' || !HEX64.test(data.kernel)) return undefined;
    hello.kernel = data.kernel;
  }
  return hello;
}

export function parseAnswer(data: unknown): HelloAnswer | undefined {
  if (!isRecord(data) || data.v !== 1) return undefined;
  const tier = data.tier as Tier;
  if (tier === 'memory') return { v: 1, tier };
  if (tier === 'unix') {
    const { path, ticket, proof } = data;
    if (!isSocketPathShape(path)) return undefined;
    if (typeof ticket !== 'string' || !TICKET.test(ticket)) return undefined;
    if (typeof proof !== 'string' || !HEX64.test(proof)) return undefined;
    return { v: 1, tier, path, ticket, proof };
  }
  if (tier === 'tcp') return { v: 1, tier, reason: typeof data.reason === 'string' ? data.reason.slice(0, 200) : '' };
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Frame types of the unix admission exchange (compact framing, reserved range). */
export const AUTH_FRAME = 0xf0;
export const AUTH_OK_FRAME = 0xf1;
/** Admission frames are tiny; anything larger is rejected before buffering. */
export const AUTH_MAX_FRAME = 256;
