import type { HarnessCost } from '../harness.js';
import { piecesOf, type RoundPlan } from '../plan.js';
import type { SuiteOutcome } from '../suite.js';
import { evaluate, type TargetOutcome } from '../targets.js';
import { bytes, table } from './format.js';
import { suiteSection } from './suite-section.js';

export interface RunInfo {
  date: string;
  quick: boolean;
  command: string;
  plan: RoundPlan;
  machine: readonly string[];
  loadAtStart: number;
  loadAtEnd: number;
  wallSeconds: number;
  harness: HarnessCost;
  /** The chart's file name, next to the report. */
  chart: string;
}

export function renderMarkdown(run: RunInfo, suites: readonly SuiteOutcome[]): string {
  const { plan, harness } = run;
  const lines = [`# friends benchmark, ${run.date}${run.quick ? ' (quick run)' : ''}`, ''];
  if (run.quick) {
    lines.push(
      `> **A quick run** (\`--quick\`): ${plan.rounds} short rounds, fewer payload sizes. A smoke test of the ` +
        'benchmark, not figures to conclude from: run `npm run bench` on a quiet machine for those.',
      '',
    );
  }
  lines.push(
    `\`${run.command}\` — ${run.wallSeconds.toFixed(0)} s`,
    '',
    ...run.machine.map((m) => `- ${m}`),
    // Other busy processes change cross-process round trips most, so say whether there were any. The run
    // itself keeps two or three processes busy, so only the load before it says what else was running.
    `- 1-minute load average: ${run.loadAtStart.toFixed(2)} at start` +
      (run.loadAtStart > 0.5 ? ' (**a busy machine**: figures are noisy)' : ' (a quiet machine)') +
      `, ${run.loadAtEnd.toFixed(2)} at end (which counts the benchmark\u2019s own busy processes)`,
    `- ${plan.rounds} round(s); in each, every variant gets ${plan.sliceMs} ms per workload, in ${plan.pieces} ` +
      `piece(s) of ${+plan.pieceMs.toFixed(1)} ms that alternate the variants (a new seeded random order each piece), ` +
      `each after ${plan.leadInMs} ms unmeasured; ${plan.warmupMs} ms of warm-up per variant and workload before ` +
      'the first round' +
      (plan.renewEachRound
        ? ', and again after each restart of a server process'
        : '; server processes are not restarted between rounds in a quick run'),
    ...longPieces(plan, suites),
    '- latency: `process.hrtime.bigint()` around each request, into `perf_hooks.createHistogram()` (3 significant ' +
      'digits); rate, p50 and p99 are medians of the rounds\u2019 figures; ratios are medians of per-round ratios, ' +
      'both sides measured in the same round, piece by piece',
    '- CPU: `process.cpuUsage()` of each process (all its threads: GC, compiler, libuv), before and after each ' +
      'piece; the server process samples itself when told over IPC at the start and end of the piece (not waited ' +
      'for: no pause between the lead-in and the piece)',
    `- heap allocated: in one more piece (${+plan.heapPieceMs.toFixed(1)} ms) per variant, workload and round, after the measured ones and not counted in ` +
      'rates or latencies: V8 heap used at its end − at its start + what every collection in between freed ' +
      '(`v8.GCProfiler`), on both sides; Buffer and ArrayBuffer contents live outside the V8 heap and are not counted',
    '- RSS: `process.memoryUsage.rss()` at the end of each piece, the largest per variant and workload; the ' +
      'benchmark process (one per suite when both run) is shared by every one-process variant and every client of ' +
      'its suite, so its RSS says little about one variant; `server` figures of two-process variants are ' +
      'measured in the server\u2019s process (a process of its own for Nest; for gRPC, the three HTTP/2 servers share one)',
    `- what measuring costs, on this run: the request loop ${harness.loopNs.toFixed(0)} ns and ` +
      `${bytes(harness.loopHeapBytes)} of heap per request around a request that does nothing; a histogram ` +
      `record ${harness.recordNs.toFixed(0)} ns (after the request\u2019s end is stamped); the CPU and RSS window of a ` +
      `piece ${harness.meterWindowUs.toFixed(1)} µs, outside the piece; the GC profiler about ` +
      `${harness.profilerUsPerGc.toFixed(0)} µs of CPU per collection, which is why heap is measured in pieces of its own`,
    '',
    `![Ratios against stock](${run.chart})`,
    '',
  );
  lines.push(...targetSection(suites), '');
  for (const suite of suites) lines.push(...suiteSection(suite), '');
  return lines.join('\n');
}

function longPieces(plan: RoundPlan, suites: readonly SuiteOutcome[]): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const w of suites.flatMap((s) => s.workloads)) {
    const { pieces, pieceMs } = piecesOf(plan, w);
    if (pieceMs === plan.pieceMs || seen.has(w.label)) continue;
    seen.add(w.label);
    lines.push(
      `- ${w.label}: ${pieces} piece(s) of ${+pieceMs.toFixed(1)} ms per slice instead (a piece always runs at least one whole request)`,
    );
  }
  return lines;
}

function targetSection(suites: readonly SuiteOutcome[]): string[] {
  const rows: string[][] = [];
  const families = new Map<string, { hit: number; run: number; misses: string[] }>();
  for (const suite of suites) {
    for (const target of suite.targets) {
      const o: TargetOutcome = evaluate(target, suite.results, suite.workloads, suite.failures);
      if (!target.family) {
        rows.push([`${suite.name}: ${o.label}`, o.measured, o.spread, o.goal, o.verdict]);
        continue;
      }
      const key = `${suite.name}: ${target.family}`;
      let family = families.get(key);
      if (!family) families.set(key, (family = { hit: 0, run: 0, misses: [] }));
      if (o.verdict === 'not run') continue;
      family.run++;
      if (o.verdict === 'HIT') family.hit++;
      else family.misses.push(`${o.label} ${o.measured}`);
    }
  }
  const lines = [
    '## Targets',
    '',
    'Ratios within this run (median of per-round ratios; spread: the lowest and highest round).',
    '',
    ...table(['target', 'measured', 'spread', 'goal', 'verdict'], ['l', 'r', 'r', 'r', 'l'], rows),
    '',
  ];
  for (const [name, family] of families) {
    const verdict = family.run === 0 ? 'not run' : family.hit === family.run ? 'HIT' : 'MISS';
    lines.push(
      `- **${name}**: ${family.hit} of ${family.run} workload ratios met — ${verdict}` +
        (family.misses.length ? `; below: ${family.misses.join('; ')}` : ''),
    );
  }
  return lines;
}
