import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@nestjs/common';
import type { EchoClient } from './clients.js';
import { killAllChildren } from './child-server.js';
import { parseArgs, USAGE } from './cli.js';
import { renderReport } from './report.js';
import { runBenchmark } from './run.js';
import { ServerPool } from './servers.js';
import { selectVariants } from './variants.js';

const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

// Server processes must not outlive the benchmark, however it ends.
process.on('exit', killAllChildren);
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(code);
  });
}

// The clients log each connection; the numbers are the only output wanted.
Logger.overrideLogger(false);

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const variants = selectVariants(options.variants);
  const pool = new ServerPool();
  const clients: EchoClient[] = [];
  const started = Date.now();
  const loadAtStart = loadavg()[0]!;
  try {
    const results = await runBenchmark(options, variants, pool, clients, (line) => console.error(line));
    const date = localDate();
    const wallSeconds = (Date.now() - started) / 1e3;
    const report = renderReport({ date, options, variants, results, wallSeconds, loadAtStart });
    const out = options.out ? resolve(options.out) : resolve(RESULTS_DIR, `nest-${date}.md`);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, report);
    console.log(report);
    console.error(`written to ${out}`);
  } finally {
    for (const client of clients) client.close();
    await pool.close();
  }
}

function localDate(): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

main().catch((err: unknown) => {
  console.error(`benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
