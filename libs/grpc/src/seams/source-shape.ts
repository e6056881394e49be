/**
 * Reading a host's shapes from its shipped code. Some contracts cannot be
 * observed from outside: the order of a constructor's parameters, what a class
 * calls on an object it is handed. grpc-js ships readable compiled JavaScript,
 * so the seams read those from `Function.prototype.toString()` of the very
 * functions that run. Anything these helpers cannot read (a minified or
 * rewritten build) reads as "does not match": friends then steps aside.
 */

/** The parameter names of a function, method or class constructor, as written in its source. */
export function parameterNames(fn: Function): string[] | undefined {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return undefined;
  }
  const start = /^\s*class\b/.test(source) ? constructorStart(source) : source.indexOf('(');
  if (start < 0) return /^\s*class\b/.test(source) ? [] : undefined;
  const end = source.indexOf(')', start);
  if (end < 0) return undefined;
  const list = source.slice(start + 1, end).trim();
  if (list === '') return [];
  return list.split(',').map((name) => name.trim());
}

/** Where a class's own constructor's parameter list opens, or -1 when it declares none. */
function constructorStart(source: string): number {
  const match = /\bconstructor\s*\(/.exec(source);
  return match ? match.index + match[0].length - 1 : -1;
}

/** The parameters of a method found on a prototype (undefined when it is not a function). */
export function methodParameters(prototype: object, name: string): string[] | undefined {
  const method = (prototype as Record<string, unknown>)[name];
  return typeof method === 'function' ? parameterNames(method) : undefined;
}

/**
 * The fields a class's constructor sets straight from its parameters
 * (`this.transport = transport`), by field name: which position each comes from.
 */
export function fieldsFromParameters(cls: Function): Map<string, number> {
  const fields = new Map<string, number>();
  const params = parameterNames(cls);
  if (!params) return fields;
  const source = Function.prototype.toString.call(cls);
  const start = constructorStart(source);
  if (start < 0) return fields;
  for (const match of source.slice(start).matchAll(/\bthis\.(\w+)\s*=\s*(\w+)\s*;/g)) {
    const at = params.indexOf(match[2]!);
    if (at >= 0 && !fields.has(match[1]!)) fields.set(match[1]!, at);
  }
  return fields;
}

/** Every `receiver.member` the source reads or calls, for each receiver expression given (e.g. `this.transport`). */
export function membersUsed(fn: Function, receivers: readonly string[]): Set<string> {
  const source = Function.prototype.toString.call(fn);
  const found = new Set<string>();
  for (const receiver of receivers) {
    const pattern = new RegExp(`(?<![\\w.$])${receiver.replace(/\./g, '\\.')}\\??\\.(\\w+)`, 'g');
    for (const match of source.matchAll(pattern)) found.add(match[1]!);
  }
  return found;
}

/** The names in `used` that `provided` lacks, or undefined when it has them all. */
export function missingMembers(used: Iterable<string>, provided: object): string[] | undefined {
  const missing = [...used].filter((name) => !(name in provided));
  return missing.length > 0 ? missing.sort() : undefined;
}

export function sameList(found: readonly string[] | undefined, expected: readonly string[]): boolean {
  return found !== undefined && found.length === expected.length && found.every((name, i) => name === expected[i]);
}

export function describeList(found: readonly string[] | undefined): string {
  return found === undefined ? 'unreadable' : `(${found.join(', ')})`;
}
