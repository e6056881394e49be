/**
 * `jsonCopy(v)` returns what `JSON.parse(JSON.stringify(v))` would, without
 * building the string: the memory tier's default copy, so that in-process
 * payloads behave exactly as on the wire (toJSON called with its key, Dates to
 * strings, undefined/functions/symbols dropped from objects and nulled in
 * arrays, NaN/Infinity to null, -0 to 0, wrappers unboxed, prototypes lost)
 * and fail where the wire fails (BigInt, cycles, nesting too deep for
 * JSON.stringify) with the same errors. Returns undefined where JSON.stringify
 * would (then nothing is sent for it).
 */
export function jsonCopy(value: unknown): unknown {
  return jsonCopyWithin(value, Infinity);
}

/** What `jsonCopyWithin` returns when the JSON text would be longer than the limit. */
export class TooLong {
  constructor(
    /** The JSON text's length, in UTF-16 code units. */
    readonly length: number,
  ) {}
}

/**
 * `jsonCopy`, or a TooLong when `JSON.stringify(value).length` (UTF-16 code
 * units, as the stock wire counts) would exceed `maxLength`. The length is
 * bounded from above while copying; the text is only built when that bound is
 * above the limit.
 */
export function jsonCopyWithin(value: unknown, maxLength: number): unknown {
  // Saved and restored: a toJSON may itself send a message and so copy another value.
  const outer = lengthBound;
  lengthBound = 0;
  let copy: unknown;
  let bound: number;
  try {
    copy = copyValue(value, '', []);
  } catch (err) {
    if (err !== FALL_BACK) throw err;
    // Deeper than we recurse, or a cycle: take the wire's own path, so that it
    // succeeds or fails exactly as JSON.stringify does, the error included
    // (toJSON methods above that depth run a second time).
    const text = JSON.stringify(value);
    if (text === undefined) return undefined;
    return text.length > maxLength ? new TooLong(text.length) : JSON.parse(text);
  } finally {
    bound = lengthBound;
    lengthBound = outer;
  }
  if (bound <= maxLength || copy === undefined) return copy;
  const length = JSON.stringify(copy).length;
  return length > maxLength ? new TooLong(length) : copy;
}

/** Recursion deeper than this hands over to JSON.stringify, which uses far less stack per level. */
const MAX_DEPTH = 1000;
const FALL_BACK: unique symbol = Symbol('fall back to JSON.stringify');
/**
 * Upper bound of the JSON text: 6 characters per UTF-16 unit of a string or
 * key (`\u0000`), and 32 per value for its literal (a number takes at most 24),
 * quotes, brackets and separators.
 */
const PER_UNIT = 6;
const PER_VALUE = 32;
let lengthBound = 0;

/** `key` is what a toJSON gets, as a string; array indices stay numbers until one needs it. */
function copyValue(value: unknown, key: string | number, stack: object[]): unknown {
  switch (typeof value) {
    case 'string':
      lengthBound += PER_UNIT * value.length + PER_VALUE;
      return value;
    case 'number':
      lengthBound += PER_VALUE;
      return Number.isFinite(value) ? value + 0 : null;
    case 'boolean':
      lengthBound += PER_VALUE;
      return value;
    case 'object':
      if (value === null) {
        lengthBound += PER_VALUE;
        return null;
      }
      return copyObjectLike(value, key, stack);
    case 'bigint': {
      const toJSON = (value as unknown as { toJSON?: unknown }).toJSON;
      if (typeof toJSON !== 'function') throw bigIntError();
      return copyConverted(toJSON.call(value, String(key)), key, stack);
    }
    default:
      // undefined, function, symbol
      return undefined;
  }
}

function copyObjectLike(value: object, key: string | number, stack: object[]): unknown {
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return copyConverted(toJSON.call(value, String(key)), key, stack);
  return copyStructure(value, key, stack);
}

/** A toJSON result: copied as a value, without looking for a toJSON on it again. */
function copyConverted(value: unknown, key: string | number, stack: object[]): unknown {
  if (typeof value === 'bigint') throw bigIntError();
  if (typeof value !== 'object' || value === null) return copyValue(value, key, stack);
  return copyStructure(value, key, stack);
}

function copyStructure(value: object, key: string | number, stack: object[]): unknown {
  if (Array.isArray(value)) return copyArray(value, stack);
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    if (value instanceof Number) return copyValue(Number(value), key, stack);
    if (value instanceof String) return copyValue(String(value), key, stack);
    if (value instanceof Boolean) return copyValue(value.valueOf(), key, stack);
    if (value instanceof BigInt) throw bigIntError();
  }
  return copyObject(value, stack);
}

function bigIntError(): TypeError {
  return new TypeError('Do not know how to serialize a BigInt');
}

function enter(value: object, stack: object[]): void {
  if (stack.length >= MAX_DEPTH || stack.includes(value)) throw FALL_BACK;
  stack.push(value);
}

function copyArray(value: unknown[], stack: object[]): unknown[] {
  enter(value, stack);
  const length = value.length;
  const out = new Array<unknown>(length);
  lengthBound += PER_VALUE * (length + 1);
  for (let i = 0; i < length; i++) {
    const item = copyValue(value[i], i, stack);
    out[i] = item === undefined ? null : item;
  }
  stack.pop();
  return out;
}

function copyObject(value: object, stack: object[]): Record<string, unknown> {
  enter(value, stack);
  const out: Record<string, unknown> = {};
  lengthBound += PER_VALUE;
  // for-in with an own-property check visits what Object.keys lists, in its order, without building the array.
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue;
    const item = copyValue((value as Record<string, unknown>)[key], key, stack);
    if (item === undefined) continue;
    lengthBound += PER_UNIT * key.length;
    // JSON.parse makes "__proto__" an own property; plain assignment would set the prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  stack.pop();
  return out;
}

const hasOwn = Object.prototype.hasOwnProperty;
