import { ratioOf, times, type Ratio } from '../ratios.js';
import type { SuiteOutcome } from '../suite.js';
import type { RunInfo } from './markdown.js';
import { resultKey } from '../tally.js';

/**
 * The ratios against stock as a hand-written SVG: a panel per transport,
 * a band per workload, a row per variant (dot: median over rounds; bar: the
 * range), on a log axis with a line at 1× (as fast as stock). Floors are
 * hollow, in the colour of the tier they bound.
 */

interface Series {
  id: string;
  legend: string;
  colour: string;
  hollow?: boolean;
}

const SERIES: readonly Series[] = [
  { id: 'friends-memory', legend: 'friends memory tier / stock, one process', colour: '#1f5fbf' },
  { id: 'friends-memory-clone', legend: "memory tier, copy: 'clone' / stock", colour: '#5b8fd9' },
  { id: 'friends-memory-none', legend: "memory tier, copy: 'none' / stock", colour: '#9dbdea' },
  { id: 'floor-inproc', legend: 'in-process floor / stock (the ceiling for memory)', colour: '#1f5fbf', hollow: true },
  { id: 'friends-unix', legend: 'friends unix tier / stock, two processes', colour: '#1a8a4a' },
  {
    id: 'floor-unix',
    legend: 'bare unix socket / stock (the ceiling across processes)',
    colour: '#1a8a4a',
    hollow: true,
  },
  { id: 'stock-across-unix', legend: 'stock gRPC over a unix:/// socket / stock', colour: '#8a8a8a' },
  { id: 'friends-tcp', legend: "friends' own tcp tier (or a remote-like friend) / stock", colour: '#d9801a' },
  { id: 'stock-to-friends', legend: 'stock client → friends server / stock', colour: '#8e44ad' },
  { id: 'friends-to-stock', legend: 'friends client → stock server / stock', colour: '#b03a2e' },
];

const W = 960;
const LABEL_W = 160;
const PLOT_W = W - LABEL_W - 48;
const ROW_H = 8;
const GROUP_GAP = 10;
const TITLE_H = 56;
const PANEL_HEAD = 26;
const AXIS_H = 46;
const LEGEND_ROW = 18;

interface Row {
  series: Series;
  ratio: Ratio;
  title: string;
}

interface Group {
  label: string;
  rows: Row[];
  /** Why ratios are missing: the stock variants that failed this workload. */
  note?: string;
}

function groupsOf(suite: SuiteOutcome): Group[] {
  return suite.workloads
    .map((w) => ({
      label: w.label,
      rows: SERIES.flatMap((series) => {
        const variant = suite.variants.find((v) => v.id === series.id);
        if (!variant?.baseline) return [];
        const ratio = ratioOf(suite.results, variant.id, variant.baseline, w.key);
        if (!ratio) return [];
        const title = `${suite.title}, ${w.label}: ${variant.id} / ${variant.baseline} = ${times(ratio.median)} (rounds ${times(ratio.min)}–${times(ratio.max)})`;
        return [{ series, ratio, title }];
      }),
      note: failedBaselines(suite, w.key),
    }))
    .filter((g) => g.rows.length > 0 || g.note);
}

function failedBaselines(suite: SuiteOutcome, workload: string): string | undefined {
  const failed = [...new Set(suite.variants.map((v) => v.baseline))].filter(
    (id): id is string => id !== undefined && suite.failures.has(resultKey(id, workload)),
  );
  return failed.length ? `${failed.join(' and ')} failed here (stalled): no ratio against it` : undefined;
}

function groupHeight(group: Group): number {
  return Math.max(group.rows.length * ROW_H + (group.note ? 16 : 0), 12) + GROUP_GAP;
}

/** Axis ticks, most wanted first: a tick is drawn only where it does not crowd those already drawn. */
const TICKS = [1, 10, 0.1, 100, 1_000, 10_000, 100_000, 0.01, 2, 0.5, 5, 0.2, 20, 50, 200, 500, 2_000, 5_000];
const TICK_GAP = 52;

/** A log axis over a panel's ratios: the domain, the ticks, and where a ratio lands. */
function axisOf(ratios: readonly Ratio[]): { ticks: number[]; x: (v: number) => number } {
  const lo = Math.min(0.5, ...ratios.map((r) => r.min));
  const hi = Math.max(2, ...ratios.map((r) => r.max));
  const sorted = [...TICKS].sort((a, b) => a - b);
  const min = [...sorted].reverse().find((t) => t <= lo) ?? lo;
  const max = sorted.find((t) => t >= hi) ?? hi;
  const x = (v: number): number => (Math.log(v / min) / Math.log(max / min)) * PLOT_W;
  const ticks: number[] = [];
  for (const t of TICKS) {
    if (t < min || t > max) continue;
    if (ticks.every((u) => Math.abs(x(t) - x(u)) >= TICK_GAP)) ticks.push(t);
  }
  return { ticks, x };
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** What the chart says of its run, under the title. */
export function chartCaption(run: RunInfo): string {
  const kind = run.quick ? ', quick run (a smoke test, not figures to quote)' : '';
  return `${run.date}${kind}; ${run.plan.rounds} round(s); ${run.machine[1] ?? ''}; load ${run.loadAtStart.toFixed(2)} at start`;
}

export function renderChart(suites: readonly SuiteOutcome[], caption: string): string {
  const panels = suites.map((suite) => ({ suite, groups: groupsOf(suite) }));
  const shown = SERIES.filter((series) =>
    panels.some((p) => p.groups.some((g) => g.rows.some((r) => r.series === series))),
  );
  const panelHeight = (groups: readonly Group[]): number =>
    PANEL_HEAD +
    Math.max(
      40,
      groups.reduce((sum, g) => sum + groupHeight(g), 0),
    ) +
    AXIS_H;
  const legendTop = TITLE_H + panels.reduce((sum, p) => sum + panelHeight(p.groups), 0) + 8;
  const height = legendTop + Math.ceil(shown.length / 2) * LEGEND_ROW + 12;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="bold">Rate against stock on the same placement</text>`,
    `<text x="16" y="44" fill="#555">${escape(`median of per-round ratios, bar: range over rounds; ${caption}`)}</text>`,
  ];
  let top = TITLE_H;
  for (const { suite, groups } of panels) {
    out.push(...panel(suite.title, groups, top));
    top += panelHeight(groups);
  }
  const perColumn = Math.ceil(shown.length / 2);
  shown.forEach((series, i) => {
    const lx = 28 + Math.floor(i / perColumn) * (W / 2);
    const ly = legendTop + (i % perColumn) * LEGEND_ROW;
    out.push(
      `<line x1="${lx - 9}" x2="${lx + 9}" y1="${ly}" y2="${ly}" stroke="${series.colour}" stroke-width="1.5"/>`,
      `<circle cx="${lx}" cy="${ly}" r="3.4" fill="${series.hollow ? '#ffffff' : series.colour}" stroke="${series.colour}" stroke-width="1.3"/>`,
      `<text x="${lx + 16}" y="${ly + 4}">${escape(series.legend)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** One transport: its title, a band per workload, the axis under them. */
function panel(title: string, groups: readonly Group[], top: number): string[] {
  const left = LABEL_W + 8;
  const { ticks, x } = axisOf(groups.flatMap((g) => g.rows.map((r) => r.ratio)));
  const out = [`<text x="16" y="${top + 16}" font-size="14" font-weight="bold">${escape(title)}</text>`];
  const plotTop = top + PANEL_HEAD;
  let y = plotTop;
  groups.forEach((group, g) => {
    const h = groupHeight(group);
    if (g % 2 === 0)
      out.push(`<rect x="8" y="${y - 3}" width="${W - 16}" height="${h - GROUP_GAP + 6}" fill="#f3f5f8"/>`);
    out.push(
      `<text x="${left - 10}" y="${y + (h - GROUP_GAP) / 2 + 4}" text-anchor="end">${escape(group.label)}</text>`,
    );
    if (group.note) {
      const ny = y + group.rows.length * ROW_H + 11;
      out.push(`<text x="${left + 6}" y="${ny}" fill="#a33" font-style="italic">${escape(group.note)}</text>`);
    }
    group.rows.forEach((row, r) => {
      const cy = y + r * ROW_H + ROW_H / 2;
      const { colour, hollow } = row.series;
      out.push(
        `<g><title>${escape(row.title)}</title>` +
          `<line x1="${(left + x(row.ratio.min)).toFixed(1)}" x2="${(left + x(row.ratio.max)).toFixed(1)}" y1="${cy}" y2="${cy}" stroke="${colour}" stroke-width="1.5"/>` +
          `<circle cx="${(left + x(row.ratio.median)).toFixed(1)}" cy="${cy}" r="3" fill="${hollow ? '#ffffff' : colour}" stroke="${colour}" stroke-width="1.3"/></g>`,
      );
    });
    y += h;
  });
  const bottom = Math.max(y, plotTop + 40);
  for (const t of ticks) {
    const tx = (left + x(t)).toFixed(1);
    const one = t === 1;
    out.push(
      `<line x1="${tx}" x2="${tx}" y1="${plotTop - 6}" y2="${bottom}" stroke="${one ? '#222' : '#d5d9e0'}" stroke-width="${one ? 1.3 : 0.8}"${one ? '' : ' stroke-dasharray="2,3"'}/>`,
      `<text x="${tx}" y="${bottom + 15}" text-anchor="middle">${t.toLocaleString('en-US')}×</text>`,
    );
  }
  out.push(
    `<text x="${(left + x(1) + 5).toFixed(1)}" y="${plotTop + 4}" fill="#222" font-size="11">= stock</text>`,
    `<text x="${left + PLOT_W / 2}" y="${bottom + 33}" text-anchor="middle" fill="#333">× the stock transport\u2019s rate (log scale; right of the black line: faster than stock)</text>`,
  );
  return out;
}
