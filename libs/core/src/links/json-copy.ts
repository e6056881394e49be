/**
 * `jsonCopy(v)` returns what `JSON.parse(JSON.stringify(v))` would, without
 * building the string: the memory tier's default copy, so that in-process
 * payloads behave exactly as on the wire (toJSON called with its key, Dates to
 * strings, undefined/functions/symbols dropped from objects and nulled in
 * arrays, NaN/Infinity to null, -0 to 0, wrappers unboxed, prototypes lost)
 * and fail where the wire fails (BigInt, cycles) with the same error types.
 * Returns undefined where JSON.stringify would (then nothing is sent for it).
 */
export function jsonCopy(value: unknown): unknown {
  return copyProperty(value, '', []);
}

function copyProperty(value: unknown, key: string, stack: object[]): unknown {
  if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = toJSON.call(value, key);
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value + 0 : null;
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object':
      if (value === null) return null;
      if (value instanceof Number) return copyProperty(Number(value), key, stack);
      if (value instanceof String) return String(value);
      if (value instanceof Boolean) return value.valueOf();
      if (value instanceof BigInt) throw new TypeError('Do not know how to serialize a BigInt');
      return Array.isArray(value) ? copyArray(value, stack) : copyObject(value, stack);
    default:
      // undefined, function, symbol
      return undefined;
  }
}

function enter(value: object, stack: object[]): void {
  if (stack.includes(value)) throw new TypeError('Converting circular structure to JSON');
  stack.push(value);
}

function copyArray(value: unknown[], stack: object[]): unknown[] {
  enter(value, stack);
  const length = value.length;
  const out = new Array<unknown>(length);
  for (let i = 0; i < length; i++) {
    const item = copyProperty(value[i], String(i), stack);
    out[i] = item === undefined ? null : item;
  }
  stack.pop();
  return out;
}

function copyObject(value: object, stack: object[]): Record<string, unknown> {
  enter(value, stack);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = copyProperty((value as Record<string, unknown>)[key], key, stack);
    if (item === undefined) continue;
    // JSON.parse makes "__proto__" an own property; plain assignment would set the prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  stack.pop();
  return out;
}
