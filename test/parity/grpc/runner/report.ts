import { writeFileSync } from 'node:fs';
import type { TargetName } from '../../../support/target-names.js';

export interface PairResult {
  scenario: string;
  placement: TargetName;
  outcome: 'equal' | 'differs' | 'skipped' | 'no oracle';
  /** One line: where the trace first differs, or why it was skipped. */
  detail?: string;
  /** The known-divergences entry's reason, if the pair is listed. */
  listed?: string;
}

const CELL: Record<PairResult['outcome'], string> = { equal: '✓', differs: '✗', skipped: 'skipped', 'no oracle': '?' };
const escape = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The divergence table (scenario × placement), then the first differences of
 * every differing pair (one per differing trace entry, up to three). A path
 * ending in .json gets the results as JSON instead.
 */
export function writeReport(path: string, results: readonly PairResult[], placements: readonly TargetName[]): void {
  if (path.endsWith('.json')) {
    writeFileSync(path, `${JSON.stringify(results, null, 1)}\n`);
    return;
  }
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  const find = (scenario: string, placement: TargetName) =>
    results.find((r) => r.scenario === scenario && r.placement === placement);
  const lines = [
    '# gRPC parity: divergences from stock',
    '',
    `✓ same trace as stock, ✗ differs (first difference below), skipped: could not run here. ${results.filter((r) => r.outcome === 'differs').length} differing pairs of ${results.length}.`,
    '',
    `| scenario | ${placements.join(' | ')} |`,
    `| --- | ${placements.map(() => '---').join(' | ')} |`,
  ];
  for (const scenario of scenarios)
    lines.push(
      `| ${scenario} | ${placements
        .map((p) => {
          const r = find(scenario, p);
          return r ? CELL[r.outcome] : '';
        })
        .join(' | ')} |`,
    );
  lines.push('', '## First differences', '');
  for (const r of results.filter((r) => r.outcome !== 'equal'))
    lines.push(
      `- **${r.scenario}** on *${r.placement}*: ${escape(r.detail ?? '')}${r.listed ? ` (listed: ${escape(r.listed)})` : ''}`,
    );
  writeFileSync(path, `${lines.join('\n')}\n`);
}
