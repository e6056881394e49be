import type { Json } from './describe.js';

/** What one run of a scenario observed, per side, in order. Compared after normalize(). */
export interface Trace {
  client: Json[];
  server: Json[];
}

export interface Difference {
  /** Where, e.g. `client[2][1][3].metadata`. */
  path: string;
  expected: Json | undefined;
  actual: Json | undefined;
  /** The top-level entries the difference is in. */
  expectedEntry: Json | undefined;
  actualEntry: Json | undefined;
}

const same = (a: Json | undefined, b: Json | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The first entry that differs, client side first, pinned down to the innermost differing value. */
export function firstDifference(expected: Trace, actual: Trace): Difference | null {
  return differences(expected, actual, 1)[0] ?? null;
}

/** Up to `limit` differences, one per differing entry, client side first. */
export function differences(expected: Trace, actual: Trace, limit: number): Difference[] {
  const found: Difference[] = [];
  for (const side of ['client', 'server'] as const) {
    const a = expected[side];
    const b = actual[side];
    for (let i = 0; i < Math.max(a.length, b.length) && found.length < limit; i++) {
      if (same(a[i], b[i])) continue;
      const inner = innermost(a[i], b[i], `${side}[${i}]`);
      found.push({ ...inner, expectedEntry: a[i], actualEntry: b[i] });
    }
  }
  return found;
}

function innermost(
  a: Json | undefined,
  b: Json | undefined,
  path: string,
): { path: string; expected: Json | undefined; actual: Json | undefined } {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      if (!same(a[i], b[i])) return innermost(a[i], b[i], `${path}[${i}]`);
  } else if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) if (!same(a[key], b[key])) return innermost(a[key], b[key], `${path}.${key}`);
  }
  return { path, expected: a, actual: b };
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const show = (value: Json | undefined, width: number): string => {
  const text = value === undefined ? '(nothing)' : JSON.stringify(value);
  return text.length > width ? `${text.slice(0, width)}…` : text;
};

/** A readable account of a difference: the precise spot, then both whole entries. */
export function formatDifference(difference: Difference, expectedName: string, actualName: string): string {
  return [
    `first difference at ${difference.path}`,
    `  ${expectedName}: ${show(difference.expected, 600)}`,
    `  ${actualName}: ${show(difference.actual, 600)}`,
    `in the entry`,
    `  ${expectedName}: ${show(difference.expectedEntry, 1500)}`,
    `  ${actualName}: ${show(difference.actualEntry, 1500)}`,
  ].join('\n');
}

/** One line for a table cell. */
export function summarizeDifference(difference: Difference): string {
  return `${difference.path}: ${show(difference.expected, 80)} ≠ ${show(difference.actual, 80)}`;
}
