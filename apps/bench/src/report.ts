import { loadavg } from 'node:os';
import { machineInfo } from './machine.js';
import { piecesOf, type RoundPlan } from './rounds.js';
import { resultKey, type Results, type Summary } from './tally.js';
import { evaluate, type Target } from './targets.js';
import type { Workload } from './workload.js';

/** What the report says about a variant. */
export interface ReportedVariant {
  id: string;
  label: string;
  /** The path its calls took, as checked during the run. */
  tier: string;
}

export interface ReportInput {
  title: string;
  date: string;
  plan: RoundPlan;
  /** Suite-specific bullet points: what each request is. */
  workloadLines: readonly string[];
  workloads: readonly Workload[];
  variants: readonly ReportedVariant[];
  results: Results;
  targets: readonly Target[];
  wallSeconds: number;
  /** 1-minute load average when the run began. */
  loadAtStart: number;
}

export function renderReport(input: ReportInput): string {
  const { plan, results, variants } = input;
  const lines: string[] = [];
  lines.push(`# ${input.title}, ${input.date}`, '');
  for (const line of machineInfo()) lines.push(`- ${line}`);
  // Other busy processes change cross-process round trips most, so say whether there were any.
  lines.push(`- 1-minute load average: ${input.loadAtStart.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end`);
  for (const line of input.workloadLines) lines.push(`- ${line}`);
  lines.push(
    `- ${plan.rounds} round(s); in each, every variant is measured ${plan.sliceMs} ms per workload, in ` +
      `${plan.pieces} pieces of ${+plan.pieceMs.toFixed(1)} ms that alternate the variants (in a new seeded random order each piece), ` +
      `each after ${plan.leadInMs} ms unmeasured; ${plan.warmupMs} ms warm-up per variant and workload before the ` +
      `first round; ${input.wallSeconds.toFixed(0)} s in all`,
    ...input.workloads
      .filter((w) => piecesOf(plan, w).pieceMs !== plan.pieceMs)
      .map((w) => {
        const { pieces, pieceMs } = piecesOf(plan, w);
        return `- ${w.label}: ${pieces} piece(s) of ${+pieceMs.toFixed(1)} ms per slice instead (a piece always runs at least one whole request)`;
      }),
    `- latency from \`process.hrtime.bigint()\`, log-linear histogram (< 1% bucket error); ` +
      `rate, p50 and p99 = median of the rounds' figures, range = slowest and fastest round`,
  );
  for (const group of tables(input.workloads)) {
    const { unit, latencyUnit } = group[0]!;
    const scale = latencyUnit === 'ms' ? 1e3 : 1;
    lines.push(
      '',
      `| variant | tier | workload | ${unit} | p50 ${latencyUnit} | p99 ${latencyUnit} | ${unit} range |`,
      '|---|---|---|--:|--:|--:|--:|',
    );
    for (const workload of group) {
      for (const v of variants) {
        const s = results.get(resultKey(v.id, workload.key));
        if (!s) continue;
        const rate = (r: number): string => int(r * workload.items);
        lines.push(
          `| ${v.id}: ${v.label} | ${v.tier} | ${workload.label} | ${rate(s.rps)} | ${latency(s, 'p50Us', scale)} | ` +
            `${latency(s, 'p99Us', scale)} | ${rate(s.minRoundRps)}–${rate(s.maxRoundRps)} |`,
        );
      }
    }
  }
  lines.push(
    '',
    'Ratios are medians of per-round ratios (both sides measured in the same round, piece by piece).',
    '',
    '| target | measured | spread | goal | verdict |',
    '|---|--:|--:|--:|---|',
  );
  for (const target of input.targets) {
    const o = evaluate(target, results, input.workloads);
    lines.push(`| ${o.label} | ${o.measured} | ${o.detail} | ${o.goal} | ${o.verdict} |`);
  }
  return lines.join('\n') + '\n';
}

/** Workloads that share units share a table, in order of first appearance. */
function tables(workloads: readonly Workload[]): Workload[][] {
  const groups = new Map<string, Workload[]>();
  for (const w of workloads) {
    const key = `${w.unit} ${w.latencyUnit}`;
    const group = groups.get(key);
    if (group) group.push(w);
    else groups.set(key, [w]);
  }
  return [...groups.values()];
}

function latency(s: Summary, field: 'p50Us' | 'p99Us', scale: number): string {
  return (s[field] / scale).toFixed(scale === 1 ? 1 : 2);
}

function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
