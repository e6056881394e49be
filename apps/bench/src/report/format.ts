/** Numbers as the report prints them. */

export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** Microseconds, or milliseconds for whole streams and large payloads. */
export function latency(us: number, unit: 'µs' | 'ms'): string {
  if (!Number.isFinite(us)) return '–';
  if (unit === 'µs') return us >= 1000 ? us.toFixed(0) : us.toFixed(1);
  const ms = us / 1e3;
  return ms >= 0.1 ? ms.toFixed(2) : ms.toPrecision(2);
}

/** CPU time in µs with three significant figures at most. */
export function micros(us: number): string {
  if (!Number.isFinite(us)) return '–';
  return us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2);
}

/** Bytes as B, KB (1,000) or MB. */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)} KB`;
  return `${Math.round(n)} B`;
}

export function mib(n: number): string {
  return Number.isFinite(n) ? (n / 2 ** 20).toFixed(0) : '–';
}

/** A Markdown table. */
export function table(
  header: readonly string[],
  align: readonly ('l' | 'r')[],
  rows: readonly (readonly string[])[],
): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '--:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}
