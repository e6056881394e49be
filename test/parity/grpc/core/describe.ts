import { createHash } from 'node:crypto';
import { types } from 'node:util';
import { Metadata } from '@grpc/grpc-js';

/**
 * A value as the application could observe it, as plain JSON: what a trace
 * entry holds. Values JSON cannot carry (undefined, NaN, bytes, Long, Metadata,
 * errors) become tagged objects `{ $: tag, ... }`, so that two traces compare
 * equal exactly when the application saw the same thing.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values that must be normalized before comparing (see normalize.ts) carry one of these tags. */
export type VaryingTag = 'peer' | 'host' | 'cert';

export function tagged(tag: VaryingTag, value: Json): Json {
  return { $: tag, v: value };
}

/** Longer strings and byte arrays are kept as length and digest, so traces stay small. */
const LONG = 2048;

function digest(data: string | Buffer): { length: number; sha256: string } {
  return { length: data.length, sha256: createHash('sha256').update(data).digest('hex').slice(0, 16) };
}

/**
 * What `target[method]()` returns, described, or that the installed grpc-js
 * has no such method (older minors lack some: `getHost` before 1.11,
 * `getConnectionInfo` and `getAuthContext` before 1.14). Stock and every
 * placement run the same grpc-js, so either way the traces compare.
 */
export function askIfPresent(target: object, method: string, then: (value: never) => Json = describe): Json {
  const fn = (target as Record<string, unknown>)[method];
  return typeof fn === 'function' ? then((fn as () => never).call(target)) : `no ${method}`;
}

export function describe(value: unknown, depth = 0): Json {
  if (depth > 12) return { $: 'too-deep' };
  if (value === undefined) return { $: 'undefined' };
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > LONG ? { $: 'long string', ...digest(value) } : value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $: 'number', v: String(value) };
  if (typeof value === 'bigint') return { $: 'bigint', v: value.toString() };
  if (typeof value === 'function') return { $: 'function' };
  if (typeof value === 'symbol') return { $: 'symbol', v: String(value) };
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return bytes.length > LONG ? { $: 'bytes', ...digest(bytes) } : { $: 'bytes', v: bytes.toString('hex') };
  }
  if (value instanceof Metadata) return describeMetadata(value);
  // Checked by brand, not instanceof: errors and dates made by Node itself come from another realm under jest.
  if (types.isDate(value)) return { $: 'date', v: Number.isNaN(value.getTime()) ? 'Invalid Date' : 'valid' };
  if (value instanceof Error || types.isNativeError(value)) return describeError(value as Error);
  if (isLong(value)) return { $: 'long', v: value.toString(), unsigned: value.unsigned };
  if (Array.isArray(value)) return value.map((item) => describe(item, depth + 1));
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(value as object))
    out[key] = describe((value as Record<string, unknown>)[key], depth + 1);
  return out;
}

/** Keys in the order the application iterates them, each with all its values. */
export function describeMetadata(metadata: Metadata): Json {
  const entries: Json[] = [];
  for (const [key, values] of Object.entries(metadata.toJSON())) entries.push([key, values.map((v) => describe(v))]);
  return { $: 'metadata', v: entries };
}

/** Errors as an application reads them: message, gRPC fields, and which own keys exist. */
export function describeError(error: Error): Json {
  const fields = error as Error & { code?: unknown; details?: unknown; metadata?: unknown };
  return {
    $: 'error',
    name: error.name,
    message: error.message,
    code: describe(fields.code),
    details: describe(fields.details),
    metadata: fields.metadata === undefined ? { $: 'undefined' } : describe(fields.metadata),
    keys: Object.keys(error).sort(),
  };
}

/** A status object as the client's 'status' event delivers it. */
export function describeStatus(status: { code: number; details: string; metadata: Metadata }): Json {
  return { code: status.code, details: describe(status.details), metadata: describe(status.metadata) };
}

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toString(): string;
}

function isLong(value: unknown): value is LongLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as LongLike).low === 'number' &&
    typeof (value as LongLike).high === 'number' &&
    typeof (value as LongLike).unsigned === 'boolean'
  );
}
