import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAllChildren } from './child-server.js';
import { parseArgs, USAGE, type BenchOptions } from './cli.js';
import { renderReport } from './report.js';
import type { Suite, SuiteName } from './suite.js';

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

/** Loaded on demand, so one suite does not pay for the other's framework. */
async function loadSuite(name: SuiteName): Promise<Suite> {
  switch (name) {
    case 'nest':
      return (await import('./nest/suite.js')).nestSuite;
    case 'grpc':
      return (await import('./grpc/suite.js')).grpcSuite;
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const suites = await Promise.all(options.suites.map(loadSuite));
  const known = new Set(suites.flatMap((s) => s.variantIds));
  const unknown = (options.variants ?? []).filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new Error(`unknown variant(s) ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  for (const suite of suites) {
    const ids = options.variants?.filter((id) => suite.variantIds.includes(id));
    if (ids?.length === 0) continue;
    await runSuite(suite, options, ids);
  }
}

async function runSuite(suite: Suite, options: BenchOptions, variantIds: string[] | undefined): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg()[0]!;
  const progress = (line: string): void => console.error(`[${suite.name}] ${line}`);
  const outcome = await suite.run(options, variantIds, progress);
  const date = localDate();
  const report = renderReport({
    ...outcome,
    title: suite.title,
    date,
    plan: options,
    wallSeconds: (Date.now() - started) / 1e3,
    loadAtStart,
  });
  const out = options.out ? resolve(options.out) : resolve(RESULTS_DIR, `${suite.name}-${date}.md`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, report);
  console.log(report);
  console.error(`written to ${out}`);
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
