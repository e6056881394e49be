import type { Trace } from './run.js';

const CONTEXT = 2;

/**
 * The first entry where `actual` differs from `expected`, per channel, with a
 * little context, or undefined when they are equal. `PARITY_VERBOSE=1` appends both traces.
 */
export function firstDifference(
  expected: Trace,
  actual: Trace,
  expectedName: string,
  actualName: string,
): string | undefined {
  const reports: string[] = [];
  for (const channel of ['client', 'server', 'logs'] as const) {
    const a = expected[channel].map((entry) => JSON.stringify(entry));
    const b = actual[channel].map((entry) => JSON.stringify(entry));
    const length = Math.max(a.length, b.length);
    let i = 0;
    while (i < length && a[i] === b[i]) i++;
    if (i === length) continue;
    const lines = [`${channel}[${i}] differs (${a.length} entries on ${expectedName}, ${b.length} on ${actualName})`];
    for (let j = Math.max(0, i - CONTEXT); j < i; j++) lines.push(`    same ${channel}[${j}]: ${clip(a[j]!)}`);
    lines.push(`  ${pad(expectedName)}: ${a[i] === undefined ? '(nothing)' : clip(a[i]!)}`);
    lines.push(`  ${pad(actualName)}: ${b[i] === undefined ? '(nothing)' : clip(b[i]!)}`);
    reports.push(lines.join('\n'));
  }
  if (reports.length === 0) return undefined;
  if (process.env.PARITY_VERBOSE) {
    reports.push(
      `${expectedName}:\n${JSON.stringify(expected, null, 1)}`,
      `${actualName}:\n${JSON.stringify(actual, null, 1)}`,
    );
  }
  return reports.join('\n');
}

const pad = (name: string): string => name.padEnd(8);
const clip = (text: string): string => (text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text);
