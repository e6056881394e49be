import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killSuitesApart, runSuiteApart, sendOutcome, suiteApart } from './apart.js';
import { killAllChildren } from './child/child-server.js';
import { measureHarness, type HarnessCost } from './harness.js';
import { machineInfo } from './machine.js';
import { readOptions, USAGE, UsageError, type BenchOptions, type SuiteName } from './options.js';
import { planOf, type RoundPlan } from './plan.js';
import { progressFor } from './progress.js';
import { chartCaption, renderChart } from './report/chart.js';
import { renderJson } from './report/json.js';
import { renderMarkdown, type RunInfo } from './report/markdown.js';
import type { Suite, SuiteOutcome } from './suite.js';

const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

// Server processes must not outlive the benchmark, however it ends.
process.on('exit', () => {
  killAllChildren();
  killSuitesApart();
});
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    killAllChildren();
    killSuitesApart();
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
  const options = readOptions(process.argv.slice(2));
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const started = Date.now();
  const loadAtStart = loadavg()[0]!;
  const suites = await Promise.all(options.suites.map(loadSuite));
  const known = new Set(suites.flatMap((s) => s.variantIds));
  const unknown = (options.variants ?? []).filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new UsageError(`unknown variant(s) ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  const running = suites.filter(
    (suite) =>
      suite.workloads(options).length > 0 &&
      (!options.variants || options.variants.some((id) => suite.variantIds.includes(id))),
  );
  if (running.length === 0) throw new UsageError('nothing to run: no suite has the workloads and variants asked for');
  const plan = planOf(options);
  if (suiteApart()) return sendOutcome(await runHere(running[0]!, options, plan));
  const harness = await measureHarness();
  const outcomes: SuiteOutcome[] = [];
  if (running.length === 1) outcomes.push(await runHere(running[0]!, options, plan));
  else for (const suite of running) outcomes.push(await runSuiteApart(suite.name, options.argv));
  return report(options, plan, { started, loadAtStart, harness }, outcomes);
}

/** Runs one suite in this process, with a progress line of its own. */
async function runHere(suite: Suite, options: BenchOptions, plan: RoundPlan): Promise<SuiteOutcome> {
  const progress = progressFor(process.stderr);
  try {
    return await suite.run(
      options,
      plan,
      options.variants?.filter((id) => suite.variantIds.includes(id)),
      progress,
    );
  } finally {
    progress.done();
  }
}

/** Writes the run's report, raw figures and chart. */
async function report(
  options: BenchOptions,
  plan: RoundPlan,
  { started, loadAtStart, harness }: { started: number; loadAtStart: number; harness: HarnessCost },
  outcomes: SuiteOutcome[],
): Promise<void> {
  const date = localDate();
  const name = fileName(options, date);
  const run: RunInfo = {
    date,
    quick: options.quick,
    command: ['npm run bench', ...(options.argv.length ? ['--', ...options.argv] : [])].join(' '),
    plan,
    machine: machineInfo(),
    loadAtStart,
    loadAtEnd: loadavg()[0]!,
    wallSeconds: (Date.now() - started) / 1e3,
    harness,
    chart: `${name}.svg`,
  };
  const dir = options.outDir ? resolve(options.outDir) : RESULTS_DIR;
  await mkdir(dir, { recursive: true });
  const markdown = renderMarkdown(run, outcomes);
  await writeFile(join(dir, `${name}.md`), markdown);
  await writeFile(join(dir, `${name}.json`), renderJson(run, outcomes));
  await writeFile(join(dir, `${name}.svg`), renderChart(outcomes, chartCaption(run)));
  console.log(markdown);
  console.error(`written to ${join(dir, name)}.{md,json,svg} in ${run.wallSeconds.toFixed(0)} s`);
}

/** bench-<date>, with the suite when only one ran and -quick for a quick run. */
function fileName(options: BenchOptions, date: string): string {
  const suite = options.suites.length === 1 ? `-${options.suites[0]}` : '';
  return `bench-${date}${suite}${options.quick ? '-quick' : ''}`;
}

function localDate(): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

main().catch((err: unknown) => {
  const text =
    err instanceof UsageError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  console.error(`benchmark failed: ${text}`);
  process.exitCode = 1;
});
