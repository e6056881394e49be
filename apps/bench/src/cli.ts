import type { RoundPlan } from './rounds.js';
import { SUITE_NAMES, type SuiteName } from './suite.js';

export interface BenchOptions extends RoundPlan {
  /** Suites to run, each in its own interleaved run and report. */
  suites: SuiteName[];
  concurrencies: number[];
  /** Variant ids to run; all when undefined. */
  variants: string[] | undefined;
  /** Markdown destination, for a single suite; undefined means bench/results/<suite>-<date>.md. */
  out: string | undefined;
  quick: boolean;
}

/*
 * Round trips between processes on a small VM swing between regimes several
 * times apart (how fast an idle vCPU wakes up), each lasting seconds; pieces
 * much shorter than that put both sides of every ratio in the same regime.
 */
const PIECE_MS = 100;
const LEAD_IN_MS = 15;

export const USAGE = `usage: node apps/bench/dist/main.js [options]
  --suite nest|grpc    run one suite (default: both, one after the other)
  --rounds N           interleaved rounds (default 5)
  --slice-ms N         measured time per variant, workload and round (default 1000)
  --quick              smoke run: 1 round, 200 ms slices
  --concurrency A,B    concurrent request loops of the round-trip workloads (default 1,32)
  --variants A,B       run only these variant ids, in whichever suite has them (default: all)
  --out FILE           markdown report path, with --suite (default bench/results/<suite>-<YYYY-MM-DD>.md)`;

export function parseArgs(argv: readonly string[]): BenchOptions | 'help' {
  let suites: SuiteName[] = [...SUITE_NAMES];
  let rounds: number | undefined;
  let sliceMs: number | undefined;
  let quick = false;
  let out: string | undefined;
  let variants: string[] | undefined;
  let concurrencies = [1, 32];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--suite':
        suites = [suiteName(value())];
        break;
      case '--rounds':
        rounds = positiveInt(flag, value());
        break;
      case '--slice-ms':
        sliceMs = positiveInt(flag, value());
        break;
      case '--quick':
        quick = true;
        break;
      case '--out':
        out = value();
        break;
      case '--variants':
        variants = list(value());
        break;
      case '--concurrency':
        concurrencies = list(value()).map((c) => positiveInt(flag, c));
        break;
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (out !== undefined && suites.length > 1) throw new Error(`--out needs --suite: each suite writes its own report`);
  rounds ??= quick ? 1 : 5;
  sliceMs ??= quick ? 200 : 1000;
  const pieces = Math.max(1, Math.round(sliceMs / PIECE_MS));
  return {
    suites,
    rounds,
    sliceMs,
    pieceMs: sliceMs / pieces,
    pieces,
    warmupMs: Math.max(100, Math.round(sliceMs / 2)),
    leadInMs: LEAD_IN_MS,
    concurrencies,
    variants,
    out,
    quick,
  };
}

function suiteName(text: string): SuiteName {
  const name = SUITE_NAMES.find((s) => s === text);
  if (!name) throw new Error(`--suite must be one of ${SUITE_NAMES.join(', ')}, got '${text}'`);
  return name;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got '${text}'`);
  return n;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
