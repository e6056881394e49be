import { formatRatio, ratioOf } from '../ratios.js';
import type { SuiteOutcome } from '../suite.js';
import { summarize, type SideSummary } from '../summary.js';
import { resultKey } from '../tally.js';
import { evaluate } from '../targets.js';
import type { VariantInfo } from '../variant.js';
import type { Workload } from '../workload.js';
import { bytes, int, latency, mib, micros, table } from './format.js';

/** A suite's part of the report: what ran, the ratios, then every figure. */
export function suiteSection(outcome: SuiteOutcome): string[] {
  const lines = [`## ${outcome.title}`, '', ...outcome.notes.map((n) => `- ${n}`), ''];
  lines.push(...variantTable(outcome.variants), '');
  lines.push(
    '### Against stock, same placement',
    '',
    'Rate over the stock variant of the same placement (one process: `stock-inproc`; two processes: ' +
      '`stock-across`), median of per-round ratios (range over rounds). Where a goal applies to every ' +
      'workload, the cell says whether it was met.',
    '',
    ...ratioTable(outcome, (v) => v.baseline, true),
    '',
    '### Against the floor',
    '',
    'Rate over the floor of the placement (one process: `floor-inproc`; two processes: `floor-unix`): the share of ' +
      'the best any design could reach there.',
    '',
    ...ratioTable(outcome, (v) => (v.role === 'floor' ? undefined : v.floor), false),
    '',
    '### Figures',
    '',
    'Rate, p50 and p99: medians over rounds. CPU: µs of CPU time per item (call, or message of a stream), all ' +
      'threads of the process. Heap: V8 heap bytes allocated per item. RSS: the largest resident set seen at the ' +
      'end of a piece, MiB. `client` is the benchmark process (for one-process variants, the server too); ' +
      '`server` is the server process.',
  );
  for (const workload of outcome.workloads) lines.push('', ...figuresTable(outcome, workload));
  lines.push(
    '',
    '### Peak RSS',
    '',
    'Each process\u2019s resident set high-water mark (`process.resourceUsage().maxRSS`) by the end of the ' +
      'variant\u2019s last piece, MiB. The benchmark process is every variant\u2019s client (and every one-process ' +
      'variant\u2019s server), so its peak is the run\u2019s so far, not the variant\u2019s own.',
    '',
    ...peakTable(outcome),
  );
  return lines;
}

function peakTable(outcome: SuiteOutcome): string[] {
  const rows: string[][] = [];
  for (const variant of outcome.variants) {
    let client = NaN;
    let server = NaN;
    for (const workload of outcome.workloads) {
      for (const round of outcome.results.get(resultKey(variant.id, workload.key)) ?? []) {
        client = Math.max(client || 0, round.client.maxRssBytes);
        if (round.server) server = Math.max(server || 0, round.server.maxRssBytes);
      }
    }
    if (Number.isNaN(client)) continue;
    rows.push([`\`${variant.id}\``, mib(client), Number.isNaN(server) ? 'same process' : mib(server)]);
  }
  return table(['variant', 'client process', 'server process'], ['l', 'r', 'r'], rows);
}

function variantTable(variants: readonly VariantInfo[]): string[] {
  return table(
    ['variant', 'client → server', 'placement', 'path checked'],
    ['l', 'l', 'l', 'l'],
    variants.map((v) => [`\`${v.id}\``, v.label, v.placement, v.tier]),
  );
}

function ratioTable(
  outcome: SuiteOutcome,
  against: (v: VariantInfo) => string | undefined,
  verdicts: boolean,
): string[] {
  const rows: string[][] = [];
  for (const variant of outcome.variants) {
    const base = against(variant);
    if (!base || !outcome.variants.some((v) => v.id === base)) continue;
    const cells = outcome.workloads.map((w) => {
      if (outcome.failures.has(resultKey(variant.id, w.key))) return '**failed**';
      if (outcome.failures.has(resultKey(base, w.key))) return `${base} failed`;
      const ratio = ratioOf(outcome.results, variant.id, base, w.key);
      if (!ratio) return '–';
      const target = verdicts
        ? outcome.targets.find(
            (t) =>
              t.kind === 'ratio' && t.family && t.variant === variant.id && t.baseline === base && t.workload === w.key,
          )
        : undefined;
      const verdict = target
        ? ` ${evaluate(target, outcome.results, outcome.workloads, outcome.failures).verdict}`
        : '';
      return `${formatRatio(ratio)}${verdict}`;
    });
    rows.push([`\`${variant.id}\` / \`${base}\``, ...cells]);
  }
  return table(
    ['', ...outcome.workloads.map((w) => w.label)],
    ['l', ...outcome.workloads.map(() => 'r' as const)],
    rows,
  );
}

function figuresTable(outcome: SuiteOutcome, workload: Workload): string[] {
  const unit = workload.unit;
  const rows: string[][] = [];
  for (const variant of outcome.variants) {
    const failure = outcome.failures.get(resultKey(variant.id, workload.key));
    if (failure) {
      rows.push([`\`${variant.id}\``, `**failed**: ${failure}`, '', '', '', '', '', '']);
      continue;
    }
    const rounds = outcome.results.get(resultKey(variant.id, workload.key));
    if (!rounds) continue;
    const s = summarize(rounds, workload.items);
    const both = (pick: (side: SideSummary) => string): string =>
      s.server ? `${pick(s.client)} · ${pick(s.server)}` : pick(s.client);
    rows.push([
      `\`${variant.id}\``,
      int(s.rps * workload.items),
      `${int(s.minRps * workload.items)}–${int(s.maxRps * workload.items)}`,
      latency(s.p50Us, workload.latencyUnit),
      latency(s.p99Us, workload.latencyUnit),
      both((side) => micros(side.cpuUsPerItem)),
      both((side) => bytes(side.heapBytesPerItem)),
      both((side) => mib(side.rssPeakBytes)),
    ]);
  }
  return [
    `**${workload.label}**`,
    '',
    ...table(
      [
        'variant',
        unit,
        `${unit} range`,
        `p50 ${workload.latencyUnit}`,
        `p99 ${workload.latencyUnit}`,
        'CPU µs/item client · server',
        'heap/item client · server',
        'RSS MiB client · server',
      ],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows,
    ),
  ];
}
