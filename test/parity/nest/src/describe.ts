import { createHash } from 'node:crypto';

/**
 * A JSON-safe, order-preserving description of any value, faithful enough that
 * two values describe alike only if an application could not tell them apart:
 * -0, NaN, undefined, Dates, class instances, errors and lone surrogates all
 * keep their identity. Traces hold descriptions, so they cross process
 * boundaries and compare as strings (key order included).
 */
export type Described = null | boolean | number | string | Described[] | { [key: string]: Described };

/** Strings longer than this are described by length and hash, so traces stay readable. */
const LONG_STRING = 160;
/** Deeper structures are summarised; scenarios about depth record what they measure themselves. */
const MAX_DEPTH = 64;

export function describe(value: unknown): Described {
  return describeAt(value, 0, new Set());
}

function describeAt(value: unknown, depth: number, seen: Set<object>): Described {
  switch (typeof value) {
    case 'string':
      return value.length > LONG_STRING ? { $type: 'string', length: value.length, hash: hashOf(value) } : value;
    case 'boolean':
      return value;
    case 'number':
      if (Object.is(value, -0)) return { $type: 'number', value: '-0' };
      return Number.isFinite(value) ? value : { $type: 'number', value: String(value) };
    case 'undefined':
      return { $type: 'undefined' };
    case 'bigint':
      return { $type: 'bigint', value: value.toString() };
    case 'symbol':
      return { $type: 'symbol', value: value.description ?? '' };
    case 'function':
      return { $type: 'function', name: value.name };
  }
  if (value === null) return null;
  const object = value as object;
  if (seen.has(object)) return { $type: 'circular' };
  if (depth >= MAX_DEPTH) return { $type: 'deeper', depth };
  seen.add(object);
  try {
    return describeObject(object, depth + 1, seen);
  } finally {
    seen.delete(object);
  }
}

function describeObject(value: object, depth: number, seen: Set<object>): Described {
  if (value instanceof Date) {
    return { $type: 'Date', value: Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString() };
  }
  if (value instanceof Error) {
    // The class, message and own properties are what an application can see; the stack is not compared.
    const props = ownProps(value, depth, seen, ['stack', 'message']);
    return {
      $type: 'Error',
      class: value.constructor?.name ?? 'Error',
      name: value.name,
      message: value.message,
      props,
    };
  }
  if (Array.isArray(value)) {
    const items: Described[] = [];
    for (let i = 0; i < value.length; i++) {
      items.push(i in value ? describeAt(value[i], depth, seen) : { $type: 'hole' });
    }
    const extra = Object.keys(value).filter((k) => !/^\d+$/.test(k));
    if (extra.length === 0) return items;
    return { $type: 'Array', items, props: ownProps(value, depth, seen, [], extra) };
  }
  if (value instanceof Map) {
    return {
      $type: 'Map',
      entries: [...value].map(([k, v]) => [describeAt(k, depth, seen), describeAt(v, depth, seen)]),
    };
  }
  if (value instanceof Set) return { $type: 'Set', values: [...value].map((v) => describeAt(v, depth, seen)) };
  if (ArrayBuffer.isView(value)) {
    return {
      $type: value.constructor.name,
      bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex'),
    };
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  const props = ownProps(value, depth, seen);
  if (proto === Object.prototype) return props;
  return { $type: 'instance', class: proto === null ? null : (proto.constructor?.name ?? '?'), props };
}

/** Own enumerable properties in their order; keys starting with `$` are escaped so tags stay unambiguous. */
function ownProps(
  value: object,
  depth: number,
  seen: Set<object>,
  skip: string[] = [],
  keys: string[] = Object.keys(value),
): { [key: string]: Described } {
  const out: { [key: string]: Described } = {};
  for (const key of keys) {
    if (skip.includes(key)) continue;
    const safe = key.startsWith('$') ? `$${key}` : key;
    Object.defineProperty(out, safe, {
      value: describeAt((value as Record<string, unknown>)[key], depth, seen),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Code units, not UTF-8: lone surrogates must not collapse into one replacement character. */
function hashOf(text: string): string {
  return createHash('sha256').update(Buffer.from(text, 'utf16le')).digest('hex').slice(0, 16);
}
