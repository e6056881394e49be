import { loadavg } from 'node:os';
import type { BenchOptions } from './cli.js';
import { machineInfo } from './machine.js';
import { PAYLOAD_BYTES } from './measure.js';
import { resultKey, type Results } from './tally.js';
import { evaluate, TARGETS } from './targets.js';
import type { Variant } from './variants.js';

export interface ReportInput {
  date: string;
  options: BenchOptions;
  variants: readonly Variant[];
  results: Results;
  wallSeconds: number;
  /** 1-minute load average when the run began. */
  loadAtStart: number;
}

export function renderReport({ date, options, variants, results, wallSeconds, loadAtStart }: ReportInput): string {
  const lines: string[] = [];
  lines.push(`# Nest transport benchmark, ${date}`, '');
  for (const line of machineInfo()) lines.push(`- ${line}`);
  // Other busy processes change cross-process round trips most, so say whether there were any.
  lines.push(`- 1-minute load average: ${loadAtStart.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end`);
  lines.push(
    `- workload: \`await lastValueFrom(client.send('echo', payload))\`, ${PAYLOAD_BYTES}-byte JSON payload, ` +
      `concurrency ${options.concurrencies.join(' and ')} (independent request loops)`,
    `- ${options.rounds} round(s); in each, every variant is measured ${options.sliceMs} ms per concurrency, in ` +
      `${options.pieces} pieces of ${+options.pieceMs.toFixed(1)} ms that alternate the variants (order rotated per piece), ` +
      `each after ${options.leadInMs} ms unmeasured; ${options.warmupMs} ms warm-up per variant before the first ` +
      `round; ${wallSeconds.toFixed(0)} s in all`,
    `- latency from \`process.hrtime.bigint()\`, log-linear histogram (< 1% bucket error); ` +
      `req/s, p50 and p99 = median of the rounds' figures, range = slowest and fastest round`,
    '',
    '| variant | tier | c | req/s | p50 µs | p99 µs | req/s range |',
    '|---|---|--:|--:|--:|--:|--:|',
  );
  for (const c of options.concurrencies) {
    for (const v of variants) {
      const s = results.get(resultKey(v.id, c));
      if (!s) continue;
      lines.push(
        `| ${v.id}: ${v.label} | ${v.tier} | ${c} | ${int(s.rps)} | ${s.p50Us.toFixed(1)} | ${s.p99Us.toFixed(1)} | ` +
          `${int(s.minRoundRps)}–${int(s.maxRoundRps)} |`,
      );
    }
  }
  lines.push(
    '',
    'Ratios are medians of per-round ratios (both sides measured in the same round, piece by piece).',
    '',
    '| target | measured | spread | goal | verdict |',
    '|---|--:|--:|--:|---|',
  );
  for (const target of TARGETS) {
    const o = evaluate(target, results);
    lines.push(`| ${o.label} | ${o.measured} | ${o.detail} | ${o.goal} | ${o.verdict} |`);
  }
  return lines.join('\n') + '\n';
}

function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
