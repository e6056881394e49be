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
  | { v: 1; tier: 'unix'; path: string; ticket: string }
  | { v: 1; tier: 'tcp'; reason: string };

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const TICKET = /^[A-Za-z0-9_-]{16,64}$/;
const MAX_PATH = 4096;

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
    const { path, ticket } = data;
    if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH || !path.startsWith('/'))
      return undefined;
    if (typeof ticket !== 'string' || !TICKET.test(ticket)) return undefined;
    return { v: 1, tier, path, ticket };
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
